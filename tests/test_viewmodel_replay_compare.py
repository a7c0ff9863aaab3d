"""The Qt-free view models on synthetic traces: the replay clock, the compare table, live figures and the formatters.

No probe runs and no Qt is imported: every trace here is built from events
written out by hand, so each figure is known exactly.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from threadloom.errors import ThreadloomError, UsageError
from threadloom.model import Trace, compute_metrics
from threadloom.viewmodel.compare import BEST, ROW_NAMES, SIGNIFICANT, WORST, compare_runs
from threadloom.viewmodel.live import live_metrics
from threadloom.viewmodel.replay import SPEEDS, ReplayClock
from threadloom.viewmodel.text import (
    RunSettings,
    clock_ms,
    count,
    duration_ms,
    megabytes,
    metric_ms,
    speed,
)
from threadloom.wire import STATE_CODES, TASK_DONE

MS = 1_000_000
T0 = 5 * MS  # the probe's clock does not start at 0; the trace's does


def synthetic(
    tasks: list[list[tuple[str, float]]],
    *,
    model: str = "threads",
    switch_ms: float = 5.0,
    pool_size: int | None = None,
    cpu_count: int = 1,
    finished: bool = True,
    **trailer,
) -> Trace:
    """A trace whose task ``i`` goes through ``tasks[i]`` ((state, ms) steps, on worker ``i``), then ends.

    ``finished=False`` leaves it live (no trailer, the last task not done); ``trailer`` adds
    fields to the trailer (``peak_rss_bytes``, ``peak_threads``, ``voluntary_switches``).
    """
    trace = Trace()
    trace.apply_record(
        {
            "type": "header",
            "model": model,
            "scenario": "synthetic",
            "t0_ns": T0,
            "switch_interval_ms": switch_ms,
            "pool_size": pool_size,
            "cpu_count": cpu_count,
            "gil_enabled": True,
            "interpreter": {"implementation": "CPython", "version": "3.12.1", "path": "/usr/bin/python3"},
            "groups": {"work": ["cpu"]},
            "tasks": [[i, "work", i] for i in range(len(tasks))],
        }
    )
    for i in range(len(tasks)):
        trace.apply_record({"type": "worker", "id": i, "kind": "thread", "name": f"t{i}", "pid": 1})
    events, end = [], 0
    for i, steps in enumerate(tasks):
        t = 0
        for state, ms in steps:
            events.append((T0 + t, i, i, STATE_CODES[state]))
            t += round(ms * MS)
        if finished or i < len(tasks) - 1:
            events.append((T0 + t, i, i, TASK_DONE))
        end = max(end, t)
    trace.add_events(np.array(events, dtype=np.int64))
    if finished:
        trace.apply_record({"type": "trailer", "makespan_ns": end, **trailer})
    return trace


def run_for(ms: float, **kwargs):
    """Metrics of one task that runs for ``ms``."""
    return compute_metrics(synthetic([[("running", ms)]], **kwargs))


# -- the replay clock ------------------------------------------------------------------------


def test_replay_clock_plays_scrubs_and_stops_at_the_end():
    clock = ReplayClock(100.0, speed=0.5)
    assert not clock.advance(10)  # paused: nothing moves
    clock.play()
    assert clock.advance(40) and clock.position_ms == pytest.approx(20.0)
    assert clock.seek(500) == 100.0 and clock.seek(-3) == 0.0
    clock.seek(95)
    clock.advance(1000)
    assert clock.position_ms == 100.0 and not clock.playing
    clock.play()  # from the end: again from the start
    assert clock.position_ms == 0.0 and clock.playing
    clock.toggle()
    assert not clock.playing and clock.position_ms == 0.0


def test_replay_clock_speed_steps_between_the_offered_speeds_and_refuses_zero():
    clock = ReplayClock(100.0)
    assert clock.speed == 0.01
    clock.set_speed(1.0)
    assert clock.step_speed(faster=False) == 0.5 and clock.step_speed(faster=True) == 1.0
    assert clock.step_speed(faster=True) == 1.0  # 1x is the fastest
    clock.set_speed(0.001)
    assert clock.step_speed(faster=False) == 0.001 == SPEEDS[-1]
    clock.set_speed(0.3)  # not offered: the nearest offered one is the starting point
    assert clock.step_speed(faster=True) == 0.5
    for bad in (0, -1.0, float("nan")):
        with pytest.raises(UsageError, match="greater than 0"):
            clock.set_speed(bad)
    assert clock.speed == 0.5
    assert issubclass(UsageError, ThreadloomError)


def test_replay_clock_advances_at_its_speed_from_a_given_position():
    clock = ReplayClock(1000.0, speed=0.01)
    clock.seek(400)
    clock.play()
    assert clock.advance(1000)  # one wall-clock second at 0.01x: 10 ms of trace
    assert clock.position_ms == pytest.approx(410.0)
    clock.pause()
    assert not clock.advance(1000) and clock.position_ms == pytest.approx(410.0)
    clock.play()  # not at the end: resumes where it was
    assert clock.position_ms == pytest.approx(410.0)


def test_replay_clock_duration_clamps_the_position_and_an_empty_run_does_not_play():
    clock = ReplayClock(100.0)
    clock.seek(80)
    clock.set_duration(50)
    assert clock.position_ms == 50.0
    clock.set_duration(-5)
    assert clock.duration_ms == 0.0 and clock.position_ms == 0.0
    clock.play()
    assert not clock.playing
    assert clock.stepped(+1) is None


def test_replay_clock_steps_by_a_tenth_of_a_switch_interval_or_a_five_hundredth_of_the_run():
    long = ReplayClock(10_000.0)
    long.seek(100)
    assert long.stepped(+1) == pytest.approx(100.5) and long.stepped(-1) == pytest.approx(99.5)
    short = ReplayClock(50.0)
    short.seek(10)
    assert short.stepped(+1) == pytest.approx(10.1)


# -- the compare table -----------------------------------------------------------------------


def test_the_lower_makespan_is_best_and_the_worst_says_how_many_times_worse():
    fast, slow = run_for(100), run_for(250)
    table = compare_runs([fast, slow], ["fast", "slow"])
    assert table.labels == ("fast", "slow")
    # Rows of noughts (no data moved, never two at once) are left out of a comparison that has no other figure.
    assert [row.name for row in table.rows] == [n for n in ROW_NAMES if n not in ("moving data", "Python in parallel")]
    row = table.row("makespan")
    assert row.best() == 0 and row.worst() == 1
    assert [cell.text for cell in row.cells] == ["100 ms", "250 ms  (×2.5)"]
    assert [cell.mark for cell in row.cells] == [BEST, WORST]
    assert not any(cell.differs for cell in row.cells)  # "differs" is for settings
    # The other order: the marks follow the values, not the columns.
    assert compare_runs([slow, fast], ["slow", "fast"]).row("makespan").best() == 1


def test_a_tie_marks_neither_run():
    row = compare_runs([run_for(100), run_for(100)], ["a", "b"]).row("makespan")
    assert row.best() is None and row.worst() is None
    assert [cell.text for cell in row.cells] == ["100 ms", "100 ms"]


def test_differences_within_the_noise_mark_nothing():
    within = 100 * (1 + SIGNIFICANT / 2)
    assert compare_runs([run_for(100), run_for(within)], ["a", "b"]).row("makespan").best() is None
    beyond = 100 * (1 + SIGNIFICANT * 2)
    assert compare_runs([run_for(100), run_for(beyond)], ["a", "b"]).row("makespan").best() == 0
    # Below the row's floor (1 ms) a difference is noise whatever the ratio.
    assert compare_runs([run_for(0.3), run_for(0.9)], ["a", "b"]).row("makespan").best() is None


def test_cpu_utilization_is_neither_best_nor_worst():
    busy = compute_metrics(synthetic([[("running", 100)]]))
    waiting = compute_metrics(synthetic([[("io", 100), ("running", 100)]]))
    row = compare_runs([waiting, busy], ["waiting", "busy"]).row("CPU utilization")
    # A busier CPU is not a better run (issue 12, item 9): the makespan says which did better.
    assert [cell.text for cell in row.cells] == ["50%", "100%"]
    assert row.best() is None and row.worst() is None


def test_a_missing_value_is_a_dash_and_is_never_best():
    known = run_for(100, peak_rss_bytes=50 * 2**20, peak_threads=3)
    unknown = run_for(200)  # the trailer has neither
    table = compare_runs([known, unknown], ["known", "unknown"])
    memory = table.row("peak memory")
    assert [cell.text for cell in memory.cells] == ["50.0 MB", "-"]
    assert memory.best() is None and memory.worst() is None
    assert [cell.text for cell in table.row("peak threads").cells] == ["3", "-"]
    assert [cell.text for cell in table.row("context switches").cells] == ["-", "-"]
    # No task finished: no latency, a dash, not "nan ms".
    live = compute_metrics(synthetic([[("running", 10)]], finished=False))
    latency = compare_runs([live, known], ["live", "known"]).row("latency p50")
    assert latency.cells[0].text == "-" and latency.best() is None
    # Between others, the unknown one is left out of the ranking.
    latency = compare_runs([live, known, unknown], ["live", "known", "unknown"]).row("latency p50")
    assert [cell.mark for cell in latency.cells] == [None, BEST, WORST]


def test_settings_that_differ_are_flagged_not_ranked():
    table = compare_runs([run_for(100, switch_ms=5), run_for(100, switch_ms=0.5)], ["5", "0.5"])
    switch = table.row("switch interval")
    assert [cell.text for cell in switch.cells] == ["5 ms", "0.5 ms"]
    assert all(cell.differs for cell in switch.cells)
    assert switch.best() is None and switch.worst() is None
    same = table.row("interpreter")
    assert [cell.text for cell in same.cells] == ["CPython 3.12.1"] * 2
    assert not any(cell.differs for cell in same.cells)
    assert not any(cell.differs for cell in table.row("makespan").cells)


def test_an_unknown_row_names_the_rows_there_are():
    with pytest.raises(KeyError, match="makespan"):
        compare_runs([run_for(1)], ["a"]).row("speed of light")


# -- live figures ----------------------------------------------------------------------------


def test_live_metrics_count_what_is_done_so_far():
    # Task 0: queued 2 ms, ready 3 ms, running 5 ms, done at 10 ms. Task 1: ready 4 ms, then running still.
    trace = synthetic([[("queued", 2), ("ready", 3), ("running", 5)], [("ready", 4), ("running", 20)]], finished=False)
    live = live_metrics(trace, wall_s=2.0)
    assert (live.tasks_done, live.task_count) == (1, 2)
    assert live.latency_ms is not None and live.latency_ms.p50 == pytest.approx(10.0)
    assert live.ready_ms == pytest.approx(7.0) and live.queued_ms == pytest.approx(2.0)
    assert live.elapsed_ms == pytest.approx(10.0)  # the last event: task 0 done
    assert live.segments == len(trace) and live.segments_per_s == pytest.approx(len(trace) / 2.0)
    assert live_metrics(trace, wall_s=0.0).segments_per_s == 0.0


def test_live_metrics_before_any_task_is_done_have_no_latency():
    trace = synthetic([[("ready", 4), ("running", 20)]], finished=False)
    live = live_metrics(trace, wall_s=1.0)
    assert live.tasks_done == 0 and live.latency_ms is None
    assert live.ready_ms == pytest.approx(4.0)


# -- formatters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ms", "text"),
    [(0.5, "0.50 ms"), (1, "1.00 ms"), (99.99, "99.99 ms"), (100, "100.0 ms"), (1000, "1,000.0 ms"),
     (9999.9, "9,999.9 ms"), (10_000, "10.00 s")],
)  # fmt: skip
def test_clock_ms_boundaries(ms, text):
    assert clock_ms(ms) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.5, "0.50 ms"), (0.994, "0.99 ms"), (1, "1.0 ms"), (99.9, "99.9 ms"), (100, "100 ms"),
     (1000, "1,000 ms"), (9999, "9,999 ms"), (10_000, "10.00 s"), (None, "-"), (math.nan, "-"),
     (math.inf, "-")],
)  # fmt: skip
def test_metric_ms_boundaries_and_unknowns(value, text):
    assert metric_ms(value) == text


@pytest.mark.parametrize(
    ("ms", "text"),
    [(0.0875, "87.5 \u00b5s"), (0.999, "999.0 \u00b5s"), (1, "1.00 ms"), (999.9, "999.90 ms"), (1000, "1.000 s"),
     (-2, "-2.00 ms")],
)  # fmt: skip
def test_duration_ms_boundaries(ms, text):
    assert duration_ms(ms) == text


def test_counts_sizes_and_speeds():
    assert count(None) == "-" and count(0) == "0" and count(1234567) == "1,234,567"
    assert megabytes(None) == "-" and megabytes(math.nan) == "-" and megabytes(1234.56) == "1,234.6 MB"
    assert [speed(s) for s in (1.0, 0.5, 0.01, 0.001)] == ["1x", "0.5x", "0.01x", "0.001x"]


def test_run_settings_name_the_pool_only_for_a_model_with_one():
    threads = RunSettings.of(synthetic([[("running", 1)]], model="threads", pool_size=4))
    pool = RunSettings.of(synthetic([[("running", 1)]], model="thread-pool", pool_size=4, switch_ms=0.5))
    assert threads.pool == "" and pool.pool == "pool 4"
    assert threads.line("interpreter", "switch", "pool") == "CPython 3.12.1, switch interval 5 ms"
    assert pool.line("interpreter", "switch", "pool") == "CPython 3.12.1, switch interval 0.5 ms, pool 4"


def test_the_view_models_load_no_qt():
    code = (
        "import sys\n"
        "import threadloom.viewmodel.replay, threadloom.viewmodel.compare, threadloom.viewmodel.live\n"
        "import threadloom.viewmodel.text\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_figure_keeps_the_digits_that_matter():
    from threadloom.viewmodel.text import figure

    assert figure(1605.8) == "1,606"
    assert figure(80.52) == "80.5"
    assert figure(0.012345) == "0.0123"
    assert figure(None) == "-" and figure(float("nan")) == "-"


def test_the_data_and_parallel_rows_show_where_a_run_has_them():
    from dataclasses import replace

    plain, moving = run_for(100), replace(run_for(120), transfer_ms=30.0, parallel_python_ms=50.0)
    table = compare_runs([plain, moving], ["threads", "processes"])
    row = table.row("moving data")
    assert [c.text for c in row.cells][1].startswith("30") and row.best() == 0
    assert table.row("Python in parallel").best() is None, "not ranked: running in parallel is a means"
