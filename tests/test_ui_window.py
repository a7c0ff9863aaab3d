"""The main window driven as a user would: real QApplication (offscreen), real qasync loop, real probe.

pytest-qt cannot drive qasync, so these tests follow qasync's own: one
QApplication for the session and a fresh ``qasync.QEventLoop`` per test, with
``loop.run_until_complete(asyncio.wait_for(coro, timeout))``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings

from threadloom.engine import InterpreterInfo
from threadloom.errors import ScenarioError, UsageError
from threadloom.model import STATES
from threadloom.scenario import parse_scenario
from threadloom.ui.app import _run_window
from threadloom.ui.runner import REFRESH_MS
from threadloom.ui.window import MainWindow

from .conftest import alive_in_group, drive, group, scenario_text, until

pytestmark = pytest.mark.gui

LONG_CRUNCH = scenario_text(group("crunch", count=2, cpu=20000), name="long crunch", model="threads")

CONVOY = scenario_text(
    group("crunch", cpu=400),
    group("chatty", repeat=40, net=1),
    name="short convoy",
    model="threads",
    switch_interval_ms=5,
)

TWO_WAITS = scenario_text(group("wait", count=2, io=150), name="two waits")


@pytest.fixture
def window(qapp, loop, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=settings)
    w.resize(1400, 850)
    w.show()
    yield w
    w.runner.stop()
    w.close()
    w.deleteLater()


def _gone(pid: int) -> bool:
    """True once nothing of the probe's process group runs any more.

    ``os.killpg(pid, 0)`` would be the simple check, but a killed grandchild
    stays a zombie where PID 1 does not reap (as in some sandboxes), so the
    group is checked in /proc for processes that still run.
    """
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return True
    return not alive_in_group(pid)


async def _start_and_wait_for_events(window: MainWindow) -> tuple[asyncio.Task, int]:
    task = asyncio.ensure_future(window.run_current())
    await until(
        lambda: (
            window.runner.pids()
            and window.runner.live_trace() is not None
            and len(window.runner.live_trace().open_segments()) > 0
        )
    )
    return task, window.runner.pids()[0]


def test_preset_runs_to_the_end_and_fills_timeline_and_summary(window, loop):
    assert window.select_scenario("pool-starvation") is not None
    window.set_models(["thread-pool"])
    started = time.perf_counter()
    traces = drive(loop, window.run_current())
    wall = time.perf_counter() - started
    assert len(traces) == 1 and traces[0].complete
    rows = window.timeline.row_labels()
    assert [f"slow-call-{i}" for i in range(16)] == [r for r in rows if r.startswith("slow-call-")]
    assert window.timeline.segment_item.layer_count(window.timeline.bands[0].layer("tasks")) > 0
    metrics = window.summary.metrics
    assert metrics is not None and metrics.complete
    assert window.summary.makespan.value.text() not in ("", "-")
    assert window.summary.latency.value.text() not in ("", "-")
    # Pool of two, sixteen tasks: most of them waited in the queue, and the strip says so.
    assert metrics.queued_ms > 0
    assert "queue" in window.summary.waiting.detail.text()
    assert window.status_message().startswith("Finished")
    assert window.replay.clock.duration_ms == pytest.approx(traces[0].end_ns / 1e6)
    # Live redraws are throttled to one per REFRESH_MS at most (25 a second).
    assert 1 <= window.runner.updates_emitted <= (1000 / REFRESH_MS) * wall + 2


def test_stop_mid_run_keeps_partial_trace_and_leaves_no_probe(window, loop):
    window.select_scenario(parse_scenario(LONG_CRUNCH, "long-crunch.toml"))
    window.set_models(["threads"])

    async def scenario():
        task, pid = await _start_and_wait_for_events(window)
        window.stop_run()
        traces = await task
        await until(lambda: _gone(pid), timeout=5)
        return traces, pid

    traces, pid = drive(loop, scenario())
    assert _gone(pid)
    assert len(traces) == 1 and not traces[0].complete and len(traces[0]) > 0
    assert "Stopped" in window.status_message() and "partial trace is kept" in window.status_message()
    assert window.timeline.row_labels()  # the partial run is on screen
    assert window.summary.metrics is not None and not window.summary.metrics.complete
    # The app is still usable: another run goes through.
    window.select_scenario(parse_scenario(CONVOY, "convoy-short.toml"))
    assert drive(loop, window.run_current())[0].complete


def test_closing_mid_run_stops_the_probe_and_closes(window, loop):
    window.select_scenario(parse_scenario(LONG_CRUNCH, "long-crunch.toml"))

    async def scenario():
        task, pid = await _start_and_wait_for_events(window)
        window.close()
        assert window.isVisible(), "the window waits for the probe to end before it closes"
        await task
        await until(lambda: not window.isVisible(), timeout=5)
        await until(lambda: _gone(pid), timeout=5)
        return pid

    pid = drive(loop, scenario())
    assert _gone(pid)
    assert not window.isVisible()
    assert not window.runner.running


def test_sigterm_mid_run_stops_the_probe_and_the_app_returns(qapp, loop):
    """The app's own quit path: SIGTERM (logout, `kill`) while a run is going."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    async def scenario():
        app_done = asyncio.ensure_future(_run_window(qapp, None))
        await until(lambda: any(isinstance(w, MainWindow) and w.isVisible() for w in qapp.topLevelWidgets()))
        window = next(w for w in qapp.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
        window.select_scenario(parse_scenario(LONG_CRUNCH, "long-crunch.toml"))
        window.set_models(["threads"])
        run_task, pid = await _start_and_wait_for_events(window)
        os.kill(os.getpid(), signal.SIGTERM)
        status = await asyncio.wait_for(app_done, 20)
        # The run itself winds down too (the window's own run task is cancelled by
        # shutdown; this one, started by the test, ends once its probe is gone).
        await asyncio.wait([run_task], timeout=10)
        assert run_task.done()
        return status, pid, window

    try:
        status, pid, window = drive(loop, scenario())
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert status == 0
    assert _gone(pid)
    assert not window.runner.running and not window.isVisible()
    window.deleteLater()


def test_broken_scenario_in_editor_shows_the_engine_error(window, loop):
    editor = window.open_editor()
    broken = CONVOY.replace("count = 1\nrepeat = 40", "count = -1\nrepeat = 40")
    with pytest.raises(ScenarioError) as expected:
        parse_scenario(broken, editor.source)
    editor.set_text(broken)

    async def settle():
        await until(lambda: editor.error_text() != "", timeout=5)

    drive(loop, settle())
    assert editor.error_text() == str(expected.value)
    assert "groups[1].count must be a whole number" in window.status_message()
    assert str(expected.value) == window.status_message()
    assert not editor.apply_button.isEnabled()
    editor.set_text(CONVOY)
    drive(loop, until(lambda: editor.error_text() == "", timeout=5))
    assert editor.apply_button.isEnabled()
    assert "valid" in window.status_message()


def test_replay_in_the_middle_shows_the_traces_gil_holder(window, loop):
    window.select_scenario(parse_scenario(CONVOY, "convoy-short.toml"))
    window.set_models(["threads"])
    trace = drive(loop, window.run_current())[0]
    seg = trace.segments()
    running = seg.state == STATES.index("running")
    starts, ends, tasks = seg.start[running], seg.end[running], seg.task[running]
    # The instant nearest the middle that exactly one running stretch covers (hand-offs overlap a little).
    middle = trace.end_ns // 2
    mids = (starts + ends) // 2
    candidates = [
        m for m in sorted(mids, key=lambda m: abs(int(m) - middle)) if ((starts <= m) & (ends > m)).sum() == 1
    ]
    t_ns = int(candidates[0])
    holder = int(tasks[(starts <= t_ns) & (ends > t_ns)][0])
    window.set_replay_time(t_ns / 1e6)
    assert window.replay_time_ms() == pytest.approx(t_ns / 1e6)
    assert window.scheduler.gil_holder() == trace.tasks[holder].label
    assert window.timeline.gil_holder_at(t_ns / 1e6) == holder
    # And somewhere nobody holds it, the view agrees too.
    window.set_replay_time(trace.end_ns / 1e6)
    assert window.scheduler.gil_holder() is None


def test_two_models_compare_on_one_axis_with_differences_highlighted(window, loop):
    window.select_scenario(parse_scenario(TWO_WAITS, "two-waits.toml"))
    window.set_models(["threads", "sequential"])
    traces = drive(loop, window.run_current())
    assert [t.model for t in traces] == ["threads", "sequential"]
    assert window.bottom.currentWidget() is window.compare
    assert window.compare.columnCount() == 2
    assert [window.compare.horizontalHeaderItem(c).text() for c in range(2)] == ["threads", "sequential"]
    # Two 150 ms waits: threads overlap them, sequential adds them up (about twice as long).
    assert traces[1].end_ns > 1.5 * traces[0].end_ns
    assert window.compare.highlighted_best("makespan") == 0
    assert "×" in window.compare.cell_text("makespan", 1)
    assert len(window.timeline.row_labels(0)) > 0 and len(window.timeline.row_labels(1)) > 0


def test_a_probe_that_prints_garbage_is_reported_and_the_app_stays_usable(window, loop, tmp_path):
    fake = tmp_path / "python-garbage"
    fake.write_text("#!/bin/sh\necho 'this is not a Threadloom event stream'\nsleep 0.2\n")
    fake.chmod(0o755)
    window.controls.add_interpreter(InterpreterInfo(str(fake), "3.12.0", "CPython", False), select=True)
    window.select_scenario(parse_scenario(CONVOY, "convoy-short.toml"))
    window.set_models(["threads"])
    assert drive(loop, window.run_current()) == []
    message = window.status_message()
    assert message.startswith("threads failed:") and str(fake) in message
    assert window.controls.run_button.isEnabled() and not window.runner.running
    assert all(_gone(pid) for pid in window.runner.pids())
    window.controls.select_interpreter(None)
    assert drive(loop, window.run_current())[0].complete


def test_choices_and_recent_files_survive_a_restart(qapp, loop, tmp_path):
    ini = str(tmp_path / "settings.ini")
    scenario_file = tmp_path / "my-convoy.toml"
    scenario_file.write_text(CONVOY)
    first = MainWindow(settings=QSettings(ini, QSettings.Format.IniFormat))
    first.select_scenario(str(scenario_file))
    first.set_models(["threads", "asyncio"])
    first.controls.switch.set_value(0.5)
    first.set_dark(True)
    first.close()
    second = MainWindow(settings=QSettings(ini, QSettings.Format.IniFormat))
    try:
        assert second.controls.current_spec() == str(scenario_file.resolve())
        assert second.controls.selected_models() == ["threads", "asyncio"]
        assert second.controls.switch.value() == pytest.approx(0.5)
        assert second.is_dark()
        assert str(scenario_file.resolve()) in second.controls.recent_files()
    finally:
        second.set_dark(False)
        second.close()


def test_an_unknown_model_is_refused_naming_the_allowed_ones(window):
    window.set_models(["threads"])
    with pytest.raises(UsageError, match="unknown model 'green-threads'; allowed: threads, thread-pool"):
        window.set_models(["threads", "green-threads"])
    assert window.controls.selected_models() == ["threads"]  # nothing changed


def test_two_windows_run_at_once_and_each_cleans_up(qapp, loop, tmp_path):
    """Two runs from the app at the same time: one finishes, one is stopped; no probe outlives either."""
    windows = []
    for i in range(2):
        w = MainWindow(QSettings(str(tmp_path / f"two-{i}.ini"), QSettings.Format.IniFormat))
        w.resize(1400, 850)
        w.show()
        windows.append(w)
    first, second = windows
    first.select_scenario(parse_scenario(CONVOY, "convoy-short.toml"))
    first.set_models(["threads"])
    second.select_scenario(parse_scenario(LONG_CRUNCH, "long-crunch.toml"))
    second.set_models(["threads"])

    async def scenario():
        long_task, long_pid = await _start_and_wait_for_events(second)
        short_traces = await first.run_current()
        assert second.runner.running, "the other window's run goes on"
        second.stop_run()
        long_traces = await long_task
        await until(lambda: _gone(long_pid), timeout=5)
        return short_traces, long_traces, long_pid

    try:
        short_traces, long_traces, long_pid = drive(loop, scenario(), timeout=60)
        assert short_traces[0].complete and len(short_traces[0]) > 0
        assert not long_traces[0].complete and len(long_traces[0]) > 0
        assert first.status_message().startswith("Finished") and "Stopped" in second.status_message()
        assert all(_gone(pid) for w in windows for pid in w.runner.pids()) and long_pid in second.runner.pids()
        assert not first.runner.running and not second.runner.running
    finally:
        for w in windows:
            w.runner.stop()
            w.close()
            w.deleteLater()
