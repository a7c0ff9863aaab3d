"""The control panel's interpreter picker and GIL control, offscreen.

Interpreters are described by :class:`InterpreterInfo` written here (what
``describe_interpreter`` would answer) or, end to end, by the stub free-threaded
interpreter of ``conftest.py``, whose GIL follows ``PYTHON_GIL``.
"""

from __future__ import annotations

import asyncio
import importlib.util
from dataclasses import replace

import pytest
from PySide6.QtCore import QSettings

from threadloom.engine import InterpreterInfo, describe_interpreter
from threadloom.errors import UsageError
from threadloom.probe.models import MODELS
from threadloom.scenario import parse_scenario
from threadloom.ui.controls import ControlPanel
from threadloom.ui.interpreters import selected_text
from threadloom.ui.window import MainWindow

from .conftest import drive, group, scenario_text

pytestmark = pytest.mark.gui

TWO_WAITS = scenario_text(group("wait", count=2, io=20), name="two waits")

FREE = InterpreterInfo("/opt/py/bin/python3.14t", "3.14.0", "CPython", True, gil_enabled=False)
PLAIN = InterpreterInfo("/opt/py/bin/python3.12", "3.12.4", "CPython", False)


@pytest.fixture
def panel(qapp):
    p = ControlPanel()
    p.select_scenario(parse_scenario(TWO_WAITS, "two-waits.toml"), "two-waits.toml")
    p.set_models(["threads"])
    yield p
    p.deleteLater()


@pytest.fixture
def needs_a_package(monkeypatch):
    """``sequential`` made to need a package nobody has, as gevent needs gevent."""
    module = MODELS["sequential"]
    monkeypatch.setattr(module, "SPEC", replace(module.SPEC, packages=("threadloom_no_such_package",)))
    return "sequential"


def _texts(panel: ControlPanel) -> list[str]:
    return [panel.interpreter_box.itemText(i) for i in range(panel.interpreter_box.count())]


def test_the_picker_says_free_threaded_and_the_gil_state(panel):
    panel.add_interpreter(FREE)
    panel.add_interpreter(PLAIN)
    entry = next(t for t in _texts(panel) if FREE.path in t)
    assert "free-threaded" in entry and "GIL off" in entry
    plain = next(t for t in _texts(panel) if PLAIN.path in t)
    assert "free-threaded" not in plain and "GIL" not in plain
    panel.add_interpreter(replace(FREE, gil_enabled=True))  # the same path described again: relabelled
    assert any(FREE.path in t and "GIL on" in t for t in _texts(panel))
    assert sum(FREE.path in t for t in _texts(panel)) == 1


def test_the_gil_control_is_enabled_only_for_a_free_threaded_build_and_reaches_the_request(panel):
    assert not panel.gil_box.isEnabled()  # this Python has its GIL either way
    assert panel.plan()[0].request.gil is None
    panel.add_interpreter(FREE, select=True)
    assert panel.gil_box.isEnabled()
    for text, wanted in (("auto", None), ("on", True), ("off", False)):
        panel.gil_box.setCurrentIndex(panel.gil_box.findText(text))
        (planned,) = panel.plan()
        assert planned.request.gil is wanted and planned.request.interpreter == FREE.path
    assert panel.plan()[0].request.probe_environment() == {"PYTHON_GIL": "0"}
    panel.add_interpreter(PLAIN, select=True)
    assert not panel.gil_box.isEnabled() and "not a free-threaded build" in panel.gil_box.toolTip()
    assert panel.plan()[0].request.gil is None  # "off" is still chosen, but this build cannot take it


def test_models_the_interpreter_cannot_run_are_disabled_with_the_reason(panel, needs_a_package):
    panel._apply_interpreter()  # the spec changed after the panel was built
    check = panel.model_checks[needs_a_package]
    assert not check.isEnabled()
    assert "threadloom_no_such_package" in check.toolTip() and "not installed" in check.toolTip()
    assert panel.model_checks["threads"].isEnabled()
    # Chosen anyway (a preset, restored settings): not ticked, and ticked again where it can run.
    panel.set_models(["threads", needs_a_package])
    assert panel.selected_models() == ["threads"]
    able = replace(PLAIN, importable=frozenset({"threadloom_no_such_package"}))
    panel.add_interpreter(able, select=True)
    assert check.isEnabled() and panel.selected_models() == ["threads", needs_a_package]
    assert "Not under this interpreter" not in check.toolTip()
    panel.add_interpreter(PLAIN, select=True)
    assert not check.isEnabled() and panel.selected_models() == ["threads"]
    tip = panel.interpreter_box.itemData(panel.interpreter_box.currentIndex(), 3)  # ToolTipRole
    assert PLAIN.path in tip and "threadloom_no_such_package" in tip
    assert "It cannot run sequential (needs threadloom_no_such_package" in selected_text(PLAIN)


def test_a_refused_model_is_not_planned(panel, needs_a_package):
    panel.set_models([needs_a_package])
    panel.model_checks[needs_a_package].setChecked(True)  # forced past the disabled box
    with pytest.raises(UsageError, match="sequential cannot run under this interpreter: needs"):
        panel.plan()


def test_the_gil_choice_survives_a_restart(qapp, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    first = ControlPanel()
    first.gil_box.setCurrentIndex(first.gil_box.findText("off"))
    first.save_settings(settings)
    second = ControlPanel()
    second.restore_choices(settings)
    assert second.gil_box.currentText() == "off"


def test_the_window_runs_the_stub_free_threaded_build_with_the_gil_off_and_on(qapp, loop, tmp_path, free_threaded_stub):
    window = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    try:
        drive(loop, window.interpreters.describe(free_threaded_stub, select=True), 30)
        assert window.controls.interpreter() == free_threaded_stub
        assert "free-threaded, GIL off" in window.controls.interpreter_box.currentText()
        assert "free-threaded, GIL off" in window.status_message()
        assert window.controls.gil_box.isEnabled()
        window.select_scenario(parse_scenario(TWO_WAITS, "two-waits.toml"))
        window.set_models(["threads"])
        for text, enabled in (("off", False), ("on", True)):
            window.controls.gil_box.setCurrentIndex(window.controls.gil_box.findText(text))
            (trace,) = drive(loop, window.run_current(), 60)
            assert trace.header["interpreter"]["free_threaded_build"] is True
            assert trace.header["gil_enabled"] is enabled
    finally:
        window.runner.stop()
        window.close()
        window.deleteLater()


def test_the_stub_as_describe_interpreter_reports_it_is_listed_with_its_gil(panel, free_threaded_stub):
    info = asyncio.run(describe_interpreter(free_threaded_stub))
    panel.add_interpreter(info, select=True)
    assert panel.interpreter_info() == info and panel.gil_box.isEnabled()
    assert "(free-threaded, GIL off)" in panel.interpreter_box.currentText()


def test_gevent_is_offered_where_it_is_installed_and_explained_where_it_is_not(panel):
    panel.add_interpreter(PLAIN, select=True)  # an interpreter that has no gevent
    check = panel.model_checks["gevent"]
    assert not check.isEnabled()
    assert "needs gevent, not installed for this interpreter: pip install gevent" in check.toolTip()
    with_gevent = replace(PLAIN, path="/opt/py/bin/python3.12-gevent", importable=frozenset({"gevent"}))
    panel.add_interpreter(with_gevent, select=True)
    assert check.isEnabled() and "Not under this interpreter" not in check.toolTip()


@pytest.mark.skipif(importlib.util.find_spec("gevent") is None, reason="gevent is not installed (make test has it)")
def test_the_window_runs_gevent_where_this_python_has_it(qapp, loop, tmp_path):
    window = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    try:
        assert window.controls.model_checks["gevent"].isEnabled()
        window.select_scenario(parse_scenario(TWO_WAITS, "two-waits.toml"))
        window.set_models(["gevent"])
        (trace,) = drive(loop, window.run_current(), 60)
        assert trace.complete and [w.kind for w in trace.workers.values()] == ["hub"]
        assert "gevent hub" in window.timeline.row_labels()
    finally:
        window.runner.stop()
        window.close()
        window.deleteLater()
