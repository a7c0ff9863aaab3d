"""Metrics on synthetic traces: every figure checked against a schedule written by hand."""

from __future__ import annotations

import numpy as np
import pytest

from threadloom.model import Trace, compute_metrics
from threadloom.wire import STATE_CODES, TASK_DONE, WORKER_POOL_THREAD, WORKER_THREAD

MS = 1_000_000
R, RD, IO, Q = (STATE_CODES[s] for s in ("running", "ready", "io", "queued"))


def build(
    events: list[tuple[float, int, int, int]],
    groups: dict[str, list[str]],
    tasks: list[str],
    *,
    kind: str = WORKER_THREAD,
    cpu_count: int = 2,
    model: str = "threads",
    gap_threshold_ns: int = 50_000,
) -> Trace:
    """A finished trace from ``(t_ms, task, worker, state)`` events; ``tasks`` names each task's group."""
    trace = Trace()
    index = {g: 0 for g in groups}
    task_rows = []
    for i, g in enumerate(tasks):
        task_rows.append([i, g, index[g]])
        index[g] += 1
    trace.apply_record(
        {
            "type": "header",
            "model": model,
            "t0_ns": 0,
            "cpu_count": cpu_count,
            "gil_enabled": True,
            "switch_interval_ms": 5.0,
            "gap_threshold_ns": gap_threshold_ns,
            "tasks": task_rows,
            "groups": groups,
        }
    )
    for wid in sorted({w for _, _, w, _ in events if w >= 0}):
        trace.apply_record({"type": "worker", "id": wid, "kind": kind, "name": f"w{wid}", "pid": 1})
    arr = np.array([(round(t * MS), task, w, s) for t, task, w, s in events], dtype=np.int64)
    trace.add_events(arr)
    trace.apply_record({"type": "trailer", "makespan_ns": int(arr[:, 0].max())})
    return trace


def test_state_totals_makespan_latency_and_utilization():
    # Two threads on one GIL: a takes 10 ms of running, waits, b waits for it; both finish at 30 ms.
    events = [
        (0, 0, 0, R),
        (0, 1, 1, RD),
        (10, 0, 0, IO),
        (10, 1, 1, R),
        (20, 0, 0, RD),
        (20, 1, 1, TASK_DONE),
        (22, 0, 0, R),
        (30, 0, 0, TASK_DONE),
    ]
    m = compute_metrics(build(events, {"g": ["cpu", "io"]}, ["g", "g"]))
    assert m.makespan_ms == pytest.approx(30)
    assert m.state_ms["running"] == pytest.approx(28)  # 10 + 10 + 8
    assert m.state_ms["io"] == pytest.approx(10)
    assert m.ready_ms == pytest.approx(12)  # b waited 10, a waited 2
    assert m.groups["g"].count == 2
    assert m.groups["g"].ready_ms == pytest.approx(12)
    assert m.latency_ms.p99 == pytest.approx(30, abs=0.2)
    assert m.latency_ms.p50 == pytest.approx(25, abs=5.01)  # 20 and 30
    # 28 ms of CPU over 30 ms on two CPUs.
    assert m.cpu_utilization == pytest.approx(28 / 60)


def test_queued_time_counts_only_the_wait_for_a_worker():
    events = [
        (0, 0, 0, R),
        (0, 1, -1, Q),
        (5, 0, 0, TASK_DONE),
        (5, 1, 0, R),
        (9, 1, 0, TASK_DONE),
    ]
    m = compute_metrics(build(events, {"g": ["cpu"]}, ["g", "g"], kind=WORKER_POOL_THREAD, model="thread-pool"))
    assert m.queued_ms == pytest.approx(5)
    assert m.latency_ms.p99 == pytest.approx(9, abs=0.1)
    # The pool thread worked 9 ms without a break, so no idle time before the end.
    assert m.state_ms["idle"] == pytest.approx(0)


def test_median_slice_joins_an_os_preemption_but_not_a_handoff():
    # Task 0 runs 0-5, is preempted by the OS 5-5.2 while nobody else runs, runs on to 10 (one 10 ms tenure),
    # then hands the GIL to task 1 for 4 ms, gets it back at 14 and runs to 20 (a second, 6 ms tenure).
    events = [
        (0, 0, 0, R),
        (0, 1, 1, RD),
        (5, 0, 0, RD),
        (5.2, 0, 0, R),
        (10, 0, 0, RD),
        (10, 1, 1, R),
        (14, 1, 1, RD),
        (14, 0, 0, R),
        (20, 0, 0, TASK_DONE),
        (20, 1, 1, R),
        (24, 1, 1, TASK_DONE),
    ]
    trace = build(events, {"g": ["cpu"]}, ["g", "g"])
    m = compute_metrics(trace)
    # Tenures: 10 (task 0), 4 (task 1), 6 (task 0), 4 (task 1): median 5.
    assert m.median_running_slice_ms == pytest.approx(5)


def test_slices_below_the_probe_resolution_do_not_count():
    events = [(0, 0, 0, R), (0.01, 0, 0, IO), (5, 0, 0, R), (5.01, 0, 0, TASK_DONE)]
    m = compute_metrics(build(events, {"g": ["cpu", "io"]}, ["g"], gap_threshold_ns=50_000))
    assert m.median_running_slice_ms is None
    m = compute_metrics(build(events, {"g": ["io"]}, ["g"]))
    assert m.median_running_slice_ms is None  # no cpu steps: no slices to speak of


def test_python_in_parallel_counts_only_overlapping_running_time():
    # Three processes: 0 runs 0-10, 1 runs 5-15, 2 runs 8-9 and again 15-20 (touching 1's end: no overlap).
    events = [
        (0, 0, 0, R),
        (10, 0, 0, TASK_DONE),
        (0, 1, 1, Q),
        (5, 1, 1, R),
        (15, 1, 1, TASK_DONE),
        (8, 2, 2, R),
        (9, 2, 2, RD),
        (15, 2, 2, R),
        (20, 2, 2, TASK_DONE),
    ]
    m = compute_metrics(build(events, {"crunch": ["cpu"]}, ["crunch"] * 3, kind="process", model="process-pool"))
    assert m.parallel_python_ms == pytest.approx(5.0)  # 5-10, of which 8-9 had three at once
    assert m.peak_parallel_python == 3


@pytest.mark.physics
def test_under_one_gil_python_hardly_runs_in_parallel_and_in_processes_it_does():
    """Real runs: threads take turns on the GIL (its rule removes what overlap the probe saw); processes do not."""
    from .conftest import group, run, scenario_text
    from .test_physics import holds_within_attempts

    text = scenario_text(group("crunch", count=2, cpu=150))

    def measure():
        _, threads = run(text, "threads")
        _, processes = run(text, "process-pool", pool_size=2)
        assert threads.parallel_python_ms <= 0.02 * threads.makespan_ms, threads.parallel_python_ms
        # How much the processes overlap depends on the CPUs other programs leave free: only that they do.
        assert processes.peak_parallel_python == 2
        assert processes.parallel_python_ms > threads.parallel_python_ms

    holds_within_attempts(measure)
