"""The Code tab: the view model lines programs up and marks what differs; the tab shows it for real runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from threadloom.codegen import generate_program
from threadloom.model import Trace
from threadloom.scenario import resolve_scenario
from threadloom.viewmodel.code import RunProgram, compare_programs, run_overrides, run_program, single_program

from .conftest import run, scenario

TINY = """
name = "tiny code"
[run]
pool_size = 2
[[groups]]
name = "tick"
count = 2
repeat = 2
steps = [{ io = 5 }]
[[groups]]
name = "culprit"
steps = [{ block = 10 }]
"""


def _program(sc, model: str) -> RunProgram:
    return RunProgram(model, model, generate_program(sc, model))


def _changed_texts(pane) -> list[str]:
    return [pane.lines[i].text for i in pane.changed_rows]


def test_threads_against_asyncio_marks_every_function_that_gained_async_and_await():
    sc = resolve_scenario("blocking-in-loop")
    cmp = compare_programs(_program(sc, "threads"), _program(sc, "asyncio"))
    left, right = cmp.panes
    assert len(left.lines) == len(right.lines)  # lined up row for row
    changed = _changed_texts(right)
    for line in ("async def wait(ms):", "async def ticker():", "async def culprit():", "        await wait(20)"):
        assert line in changed
    assert "def blocking_call(ms):" not in changed and "    blocking_call(200)" not in changed
    assert "def wait(ms):" in _changed_texts(left)
    row = next(i for i in right.changed_rows if right.lines[i].text == "async def wait(ms):")
    assert right.lines[row].spans == ((0, 6),)  # just "async "
    assert left.lines[row].text == "def wait(ms):" and left.lines[row].spans == ()
    assert "4 functions (culprit, run_all, ticker, wait) became coroutines" in cmp.summary


def test_asyncio_against_offload_marks_the_to_thread_line():
    sc = resolve_scenario("blocking-in-loop")
    cmp = compare_programs(_program(sc, "asyncio"), _program(sc, "asyncio-offload"))
    left, right = cmp.panes
    code = [t for t in _changed_texts(right) if t.startswith("    ")]  # past the docstring's prose
    assert "    await asyncio.to_thread(blocking_call, 200)" in code
    assert "    blocking_call(200)" in _changed_texts(left)
    assert not any(t.startswith("async def") for t in _changed_texts(right))  # nothing changed colour
    assert "1 call goes to a thread (asyncio.to_thread)" in cmp.summary


def test_filler_rows_stand_for_lines_the_other_side_lacks():
    sc = resolve_scenario("blocking-in-loop")
    left, right = compare_programs(_program(sc, "threads"), _program(sc, "asyncio")).panes
    fillers = [i for i, line in enumerate(left.lines) if line.number is None]
    assert fillers and all(right.lines[i].number is not None for i in fillers)
    assert "\n".join(line.text for line in left.lines if line.number is not None) + "\n" == left.program.text
    numbers = [line.number for line in right.lines if line.number is not None]
    assert numbers == list(range(1, len(numbers) + 1))


def test_the_same_program_twice_differs_nowhere_and_a_single_run_has_one_pane():
    sc = resolve_scenario("convoy")
    cmp = compare_programs(_program(sc, "threads"), _program(sc, "threads"))
    assert cmp.panes[0].changed_rows == () and "the same program" in cmp.summary
    one = single_program(_program(sc, "threads"))
    assert not one.comparing and one.panes[0].display_text + "\n" == one.panes[0].program.text


def _trace(model: str, **header) -> Trace:
    trace = Trace()
    trace.header = {"model": model, "scenario": "tiny code", **header}
    return trace


def test_a_run_program_uses_the_settings_the_run_ran_with():
    sc = scenario(TINY)
    assert run_overrides(_trace("thread-pool", switch_interval_ms=5.0, pool_size=2, cpu_count=4), sc) == (None, 2)
    assert run_overrides(_trace("thread-pool", switch_interval_ms=0.5, pool_size=8, cpu_count=4), sc) == (0.5, 8)
    program = run_program(_trace("thread-pool", switch_interval_ms=0.5, pool_size=8, cpu_count=4), "pool", sc)
    assert "ThreadPoolExecutor(max_workers=8)" in program.text and "sys.setswitchinterval(0.0005)" in program.text
    assert program.file_name == "tiny-code-thread-pool.py"
    assert "not known" in run_program(_trace("threads"), "t", None).problem
    assert "not of the scenario" in run_program(_trace("threads", scenario="other"), "t", sc).problem
    assert "no program" in run_program(_trace("fibers"), "f", sc).problem


# -- the tab, on real runs ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_runs():
    return [run(TINY, model, pool_size=2)[0] for model in ("threads", "asyncio", "asyncio-offload")]


@pytest.fixture
def window(qapp, tmp_path):
    from threadloom.ui.window import MainWindow

    w = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    w.resize(1600, 900)
    w.show()
    yield w
    w.close()
    w.deleteLater()


def _settle():
    for _ in range(5):
        QApplication.processEvents()


@pytest.mark.gui
def test_the_code_tab_shows_the_program_of_a_run(window, tiny_runs):
    sc = scenario(TINY)
    window.select_scenario(sc)
    window.show_traces(tiny_runs[:1], ["threads"])
    window.centre_tabs.setCurrentWidget(window.code_view)
    _settle()
    view = window.code_view
    left, right = view.panes
    assert left.isVisible() and not right.isVisible()
    assert left.editor.toPlainText() + "\n" == generate_program(sc, "threads")
    assert left.editor.marked_rows() == []
    assert left.copy_button.isEnabled()
    left.copy()
    assert QApplication.clipboard().text() == left.program_text()
    assert "Copied" in window.status_message()


@pytest.mark.gui
def test_compare_mode_puts_two_programs_side_by_side_and_marks_the_lines_that_differ(window, tiny_runs, tmp_path):
    sc = scenario(TINY)
    window.select_scenario(sc)
    window.show_traces(tiny_runs, ["threads", "asyncio", "asyncio-offload"])
    window.centre_tabs.setCurrentWidget(window.code_view)
    _settle()
    view = window.code_view
    left, right = view.panes
    assert left.isVisible() and right.isVisible()
    assert "async def tick():" in right.editor.toPlainText() and "async def" not in left.editor.toPlainText()
    marked = right.editor.marked_rows()
    assert marked == list(view.comparison.panes[1].changed_rows) and marked
    lines = right.editor.toPlainText().splitlines()
    assert any(lines[i] == "async def tick():" for i in marked)
    assert "became coroutines" in view.summary.text()
    # Both sides scroll together.
    left.editor.verticalScrollBar().setValue(5)
    assert right.editor.verticalScrollBar().value() == 5

    # Three runs: pick asyncio against asyncio-offload, and the to_thread line is marked.
    assert view.left_run.isVisible()
    view.left_run.setCurrentIndex(1)
    view.right_run.setCurrentIndex(2)
    _settle()
    lines = right.editor.toPlainText().splitlines()
    marked = [lines[i] for i in right.editor.marked_rows()]
    assert "    await asyncio.to_thread(blocking_call, 10)" in marked
    assert "to_thread" in view.summary.text()

    # Save writes the program itself, not the lined-up rows.
    out = tmp_path / "offload.py"
    right.save_to(out)
    assert out.read_text() == generate_program(sc, "asyncio-offload", pool_size=2)
    assert f"Wrote {out}" in window.status_message()


@pytest.mark.gui
def test_the_code_tab_says_so_when_the_scenario_is_unknown(window, tiny_runs):
    window.select_scenario("convoy")  # not the scenario these runs ran
    window.show_traces(tiny_runs[:1], ["threads"])
    _settle()
    assert "not known" in window.code_view.summary.text()
    assert not window.code_view.panes[0].copy_button.isEnabled()


@pytest.mark.gui
def test_dark_mode_repaints_the_code(window, tiny_runs):
    window.select_scenario(scenario(TINY))
    window.show_traces(tiny_runs[:2], ["threads", "asyncio"])
    window.set_dark(True)
    _settle()
    assert window.code_view.panes[1].editor.marked_rows()
    window.set_dark(False)


def test_the_screenshot_script_exists():
    assert (Path(__file__).resolve().parents[1] / "docs" / "screenshots" / "make_code_screenshot.py").is_file()
