"""Shared helpers: run the real probe on small scenarios written inline."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import stat
import sys
import time
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

from threadloom.engine import RunRequest, run_blocking
from threadloom.model import Trace, compute_metrics
from threadloom.scenario import parse_scenario

REPO = Path(__file__).resolve().parents[1]


def load_benchmark(name: str):
    """``benchmarks/<name>.py`` as a module, for a test that checks what it measures or builds on what
    it makes: benchmarks are scripts, not a package."""
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def group(name: str, *, count: int = 1, repeat: int = 1, steps: list[tuple[str, float]] | None = None, **kinds) -> str:
    """One ``[[groups]]`` table: ``group("crunch", count=2, cpu=40)``; ``steps=[...]`` where a kind repeats."""
    pairs = list(steps or []) + list(kinds.items())
    body = ", ".join(f"{{ {kind} = {amount!r} }}" for kind, amount in pairs)
    lines = ["[[groups]]", f'name = "{name}"', f"count = {count}"]
    if repeat != 1:
        lines.append(f"repeat = {repeat}")
    return "\n".join([*lines, f"steps = [{body}]"]) + "\n"


def scenario_text(*groups: str, name: str = "test", **run_settings) -> str:
    """Scenario TOML from ``group(...)`` tables and ``[run]`` settings (``model=``, ``pool_size=``, ...)."""
    lines = [f'name = "{name}"']
    if run_settings:
        lines.append("[run]")
        lines += [
            f"{key} = {value!r}" if not isinstance(value, str) else f'{key} = "{value}"'
            for key, value in run_settings.items()
        ]
    return "\n".join(lines) + "\n\n" + "\n".join(groups)


def scenario(text: str, source: str = "test.toml"):
    return parse_scenario(text, source=source)


def run(
    text: str,
    model: str,
    *,
    switch_interval_ms: float | None = None,
    pool_size: int | None = None,
    interpreter: str | None = None,
    gil: bool | None = None,
) -> tuple[Trace, object]:
    """Run scenario TOML under one model with the real probe; return the trace and its metrics."""
    trace = run_blocking(RunRequest(scenario(text), model, switch_interval_ms, pool_size, interpreter, gil=gil))
    return trace, compute_metrics(trace)


def wait_for(predicate, timeout: float = 30.0, what: str = ""):
    """Poll ``predicate`` until it returns something true (returned), or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def threadloom_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "threadloom", *args]


#: A small run with every common state: crunching, waiting in a pool's queue, loopback round trips.
MIXED_TEXT = scenario_text(
    group("crunch", count=2, cpu=40),
    group("chatty", count=3, repeat=5, steps=[("net", 1), ("io", 2)]),
    name="export test",
    switch_interval_ms=1,
)


@pytest.fixture(scope="session")
def mixed_run():
    """(trace, metrics) of MIXED_TEXT under a thread pool of 2, run once per session."""
    return run(MIXED_TEXT, "thread-pool", switch_interval_ms=1, pool_size=2)


@pytest.fixture(scope="session")
def qapp():
    """The application as the app builds it (names, bundled fonts), offscreen."""
    from threadloom.ui.app import make_app

    app = make_app(["threadloom-tests"])
    app.setQuitOnLastWindowClosed(False)  # tests close windows; the session's loop must go on
    return app


@pytest.fixture(autouse=True)
def _qt_objects_die_with_their_test(request):
    """After a test that used Qt, delete what it closed now, then collect its Python wrappers.

    Left to the cyclic garbage collector, a closed window's wrapper (kept in a cycle by its signal
    connections) may be collected while Qt walks every widget, as ``setStyleSheet`` does when the next
    test's window applies its theme, and Qt then touches freed memory: a segfault, one run in a few.
    """
    yield
    if "qapp" not in request.fixturenames:
        return
    import gc

    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def widget(qapp):
    """A shown 1200x700 timeline, closed after the test."""
    from threadloom.ui.timeline import TimelineWidget

    w = TimelineWidget()
    w.resize(1200, 700)
    w.show()
    qapp.processEvents()
    yield w
    w.close()
    w.deleteLater()


@pytest.fixture
def loop(qapp):
    """A fresh qasync loop on the session's QApplication, as the app runs one (qasync's own tests do this)."""
    import qasync

    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)


def drive(loop, coro, timeout: float = 45.0):
    """Run ``coro`` on ``loop`` to its end, failing after ``timeout`` seconds."""
    return loop.run_until_complete(asyncio.wait_for(coro, timeout))


async def until(predicate, timeout: float = 20.0, step: float = 0.05) -> None:
    """Wait, on the running loop, until ``predicate()`` holds; fail after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(step)


def processes() -> list[tuple[int, str, int, int]]:
    """(pid, state, ppid, pgid) of every process, from /proc."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text(errors="replace").rsplit(")", 1)[1].split()
        except OSError:
            continue
        out.append((int(entry.name), fields[0], int(fields[1]), int(fields[2])))
    return out


def alive_in_group(pgid: int) -> set[int]:
    """Processes of a group that still run. A zombie has ended: it only waits to be
    collected, which PID 1 does not do in some sandboxes."""
    return {pid for pid, state, _, group in processes() if group == pgid and state not in ("Z", "X")}


@pytest.fixture
def tmp_toml(tmp_path):
    def write(text: str, name: str = "scenario.toml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


#: A ``sitecustomize`` that makes the real interpreter report a free-threaded build whose GIL follows ``PYTHON_GIL``.
STUB_SITE = """
import os, sys, sysconfig
_real = sysconfig.get_config_var
sysconfig.get_config_var = lambda name: 1 if name == "Py_GIL_DISABLED" else _real(name)
sys._is_gil_enabled = lambda: os.environ.get("PYTHON_GIL", "0") == "1"
"""


def stub_interpreter(folder: Path, name: str, site: str) -> str:
    """An interpreter called ``name`` in ``folder``: this one, with ``site`` run as its ``sitecustomize``."""
    (folder / "sitecustomize.py").write_text(site)
    script = folder / name
    script.write_text(f'#!/bin/sh\nPYTHONPATH="{folder}${{PYTHONPATH:+:$PYTHONPATH}}" exec {sys.executable} "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


@pytest.fixture(scope="session")
def free_threaded_stub(tmp_path_factory) -> str:
    """A stub free-threaded interpreter: no such build installs here (see tests/test_interpreters.py)."""
    return stub_interpreter(tmp_path_factory.mktemp("stub"), "python3.14t", STUB_SITE)
