"""The app starts, or says in one line why it cannot, on any desktop: no display, missing libraries."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from threadloom import syslibs
from threadloom.errors import DisplayError

from .conftest import threadloom_cmd


def _no_display_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return env


def test_without_a_display_gui_exits_with_one_line_not_an_abort():
    started = time.monotonic()
    result = subprocess.run(threadloom_cmd("gui"), capture_output=True, text=True, timeout=60, env=_no_display_env())
    assert time.monotonic() - started < 20
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) <= 3, result.stderr
    assert "display" in result.stderr and "xvfb-run" in result.stderr
    assert "Traceback" not in result.stderr and "Aborted" not in result.stderr


def test_opening_a_saved_run_without_a_display_says_the_same(mixed_run, tmp_path):
    from threadloom.export.savefile import save_runs

    path = tmp_path / "run.tlrun"
    save_runs(path, [mixed_run[0]], "", ["run"])
    result = subprocess.run(
        threadloom_cmd(str(path)), capture_output=True, text=True, timeout=60, env=_no_display_env()
    )
    assert result.returncode == 1 and "display" in result.stderr and "Traceback" not in result.stderr


def test_a_missing_library_is_named_with_the_line_that_installs_it(monkeypatch):
    monkeypatch.setitem(syslibs.XCB, "libthreadloom-absent0", "libthreadloom-absent.so.0")
    problem = syslibs.startup_problem({"DISPLAY": ":0"})
    assert problem is not None
    assert "sudo apt-get install" in problem and "libthreadloom-absent0" in problem and "xcb" in problem
    # Headless drawing needs only the core libraries, which this test machine has.
    assert syslibs.startup_problem({"QT_QPA_PLATFORM": "offscreen"}) is None


def test_start_gui_raises_display_error_before_qt_starts(monkeypatch):
    from threadloom.cli.gui import start_gui

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    with pytest.raises(DisplayError, match="no display"):
        start_gui()


def test_platform_follows_the_session():
    assert syslibs.platform_plugin({"QT_QPA_PLATFORM": "offscreen"}) == "offscreen"
    assert syslibs.platform_plugin({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}) == "wayland"
    assert syslibs.platform_plugin({"DISPLAY": ":0"}) == "xcb"
    assert syslibs.platform_plugin({}) == ""
    assert set(syslibs.needed("xcb")) == set(syslibs.CORE) | set(syslibs.XCB)


def test_the_package_list_prints_for_ci_and_the_deb():
    result = subprocess.run(
        [sys.executable, str(syslibs.__file__), "--packages"], capture_output=True, text=True, timeout=30, check=True
    )
    assert "libxcb-cursor0" in result.stdout.split() and "libegl1" in result.stdout.split()
