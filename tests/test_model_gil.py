"""Who holds the GIL and which segments occupy a worker, on small synthetic traces (no probe, no Qt)."""

from __future__ import annotations

import numpy as np
import pytest

from threadloom.model import STATES, Trace
from threadloom.model.gil import GIL_MODE_TEXT, GIL_NONE, GIL_ONE, GIL_PER_PROCESS, gil_mode, gil_runs, holder_at
from threadloom.model.occupancy import WorkerTable, occupies
from threadloom.viewmodel.lanes import Band
from threadloom.wire import TASK_DONE, WORKER_LOOP, WORKER_POOL_THREAD, WORKER_PROCESS, WORKER_THREAD

S = {name: code for code, name in enumerate(STATES)}
MS = 1_000_000  # ns


def _trace(model: str, workers: list[tuple[int, str]], n_tasks: int = 1, **header) -> Trace:
    trace = Trace()
    trace.apply_record(
        {"type": "header", "model": model, "t0_ns": 0, "tasks": [[i, "g", i] for i in range(n_tasks)], **header}
    )
    for wid, kind in workers:
        trace.apply_record({"type": "worker", "id": wid, "kind": kind, "name": f"w{wid}", "pid": 100 + wid})
    return trace


def _events(*rows: tuple[float, int, int, int]) -> np.ndarray:
    """(ms, task, worker, state) rows as the probe's (t_ns, task, worker, state) events."""
    return np.array([(int(ms * MS), task, worker, state) for ms, task, worker, state in rows], dtype=np.int64)


# -- gil_runs ----------------------------------------------------------------------------------


def test_gil_runs_sorts_by_start_and_flips_the_shade_at_each_hand_off():
    # Given out of order: task 0 runs twice in a row, then 1, then 0 again.
    start = np.array([30.0, 0.0, 10.0, 20.0])
    end = np.array([40.0, 10.0, 20.0, 30.0])
    task = np.array([0, 0, 0, 1])
    worker = np.array([7, 7, 7, 8])
    (s, e, t, w), shade, handoffs, last = gil_runs(start, end, task, worker)
    assert s.tolist() == [0.0, 10.0, 20.0, 30.0]
    assert e.tolist() == [10.0, 20.0, 30.0, 40.0]
    assert t.tolist() == [0, 0, 1, 0] and w.tolist() == [7, 7, 8, 7]
    # The first holder takes the other shade from "nobody yet"; a repeat holder keeps its shade.
    assert shade.tolist() == [1, 1, 0, 1]
    # A hand-off is a change of holder after a first one, not the first acquisition.
    assert handoffs.tolist() == [20.0, 30.0]
    assert last == 1


def test_gil_runs_continues_a_lane_from_how_it_ended():
    start, end = np.array([5.0, 6.0]), np.array([6.0, 7.0])
    task, worker = np.array([3, 4]), np.array([0, 1])
    # The lane so far ended with task 3 in shade 1: task 3 goes on, with no hand-off, in the same shade.
    _, shade, handoffs, last = gil_runs(start, end, task, worker, prev_task=3, prev_shade=1)
    assert shade.tolist() == [1, 0] and handoffs.tolist() == [6.0] and last == 0
    # After another holder, the first segment is a hand-off too.
    _, shade, handoffs, _ = gil_runs(start, end, task, worker, prev_task=9, prev_shade=1)
    assert shade.tolist() == [0, 1] and handoffs.tolist() == [5.0, 6.0]


def test_gil_runs_of_nothing_keeps_the_shade():
    z = np.zeros(0)
    cols, shade, handoffs, last = gil_runs(z, z, z.astype(np.int64), z.astype(np.int64), prev_task=2, prev_shade=1)
    assert all(len(c) == 0 for c in cols) and len(shade) == 0 and len(handoffs) == 0 and last == 1


# -- holder_at ---------------------------------------------------------------------------------


def test_holder_at_picks_the_covering_segment_and_the_latest_start_where_they_overlap():
    closed = (np.array([0.0, 10.0, 12.0, 30.0]), np.array([10.0, 15.0, 20.0, 40.0]), np.array([1, 2, 3, 1]))
    assert holder_at([closed], 5.0) == 1
    assert holder_at([closed], 11.0) == 2
    # 10-15 and 12-20 overlap: the one that started last holds it.
    assert holder_at([closed], 13.0) == 3
    assert holder_at([closed], 17.0) == 3
    # Ends are exclusive, and gaps have no holder.
    assert holder_at([closed], 20.0) is None
    assert holder_at([closed], 25.0) is None
    assert holder_at([closed], -1.0) is None
    # Across lanes (closed and still-open segments) too: the open one started later.
    live = (np.array([33.0]), np.array([50.0]), np.array([4]))
    assert holder_at([closed, live], 35.0) == 4
    assert holder_at([closed, live], 45.0) == 4
    assert holder_at([live, closed], 31.0) == 1
    assert holder_at([], 1.0) is None


# -- gil_mode ----------------------------------------------------------------------------------


def test_a_process_pool_has_one_gil_per_process():
    trace = _trace("process-pool", [(1, WORKER_PROCESS), (2, WORKER_PROCESS)])
    assert gil_mode(trace) == GIL_PER_PROCESS
    assert "one GIL per process" in GIL_MODE_TEXT[GIL_PER_PROCESS]


def test_threads_share_one_gil_unless_the_header_says_it_is_off():
    assert gil_mode(_trace("threads", [(1, WORKER_THREAD)])) == GIL_ONE
    assert gil_mode(_trace("threads", [(1, WORKER_THREAD)], gil_enabled=True)) == GIL_ONE
    off = _trace("threads", [(1, WORKER_THREAD)], gil_enabled=False)
    assert gil_mode(off) == GIL_NONE
    assert "no GIL" in GIL_MODE_TEXT[GIL_NONE]
    # A header without a GIL does not make a process pool share one.
    assert gil_mode(_trace("process-pool", [(1, WORKER_PROCESS)], gil_enabled=False)) == GIL_PER_PROCESS


def test_an_unknown_model_is_judged_by_its_workers():
    assert _trace("from-the-future", []).spec is None
    assert gil_mode(_trace("from-the-future", [(1, WORKER_PROCESS), (2, WORKER_PROCESS)])) == GIL_PER_PROCESS
    # One worker that shares the probe's GIL is enough for a shared GIL.
    assert gil_mode(_trace("from-the-future", [(1, WORKER_PROCESS), (2, WORKER_THREAD)])) == GIL_ONE
    # No worker yet: nothing says the GIL is per process.
    assert gil_mode(_trace("from-the-future", [])) == GIL_ONE
    assert gil_mode(_trace("from-the-future", [(1, WORKER_THREAD)], gil_enabled=False)) == GIL_NONE


# -- occupancy ---------------------------------------------------------------------------------


def _waiting_task(kind: str) -> Trace:
    """One task on one worker of ``kind``: runs 0-10 ms, waits on I/O 10-30 ms, runs 30-40 ms; the run ends at 50."""
    trace = _trace("asyncio" if kind == WORKER_LOOP else "thread-pool", [(0, kind)])
    trace.add_events(
        _events((0, 0, 0, S["running"]), (10, 0, 0, S["io"]), (30, 0, 0, S["running"]), (40, 0, 0, TASK_DONE))
    )
    trace.apply_record({"type": "trailer", "makespan_ns": 50 * MS})
    return trace


def _lane(trace: Trace) -> list[tuple[int, str, float, float]]:
    lanes = trace.worker_lanes()
    order = np.argsort(lanes.start, kind="stable")
    return [
        (int(lanes.task[i]), STATES[int(lanes.state[i])], lanes.start[i] / MS, lanes.end[i] / MS)
        for i in order.tolist()
    ]


def test_an_event_loop_is_not_occupied_while_its_coroutine_waits_on_io():
    assert _lane(_waiting_task(WORKER_LOOP)) == [
        (0, "running", 0.0, 10.0),
        (-1, "idle", 10.0, 30.0),
        (0, "running", 30.0, 40.0),
        (-1, "idle", 40.0, 50.0),  # a loop lives for the whole run
    ]


def test_a_pool_thread_is_occupied_while_its_task_waits_on_io():
    assert _lane(_waiting_task(WORKER_POOL_THREAD)) == [
        (0, "running", 0.0, 10.0),
        (0, "io", 10.0, 30.0),
        (0, "running", 30.0, 40.0),
        (-1, "idle", 40.0, 50.0),
    ]


def test_a_thread_of_its_own_is_not_idle_after_its_task():
    # Started for its task and gone after it: no idle stretch to the end of the run.
    assert _lane(_waiting_task(WORKER_THREAD))[-1] == (0, "running", 30.0, 40.0)


@pytest.mark.parametrize(
    ("kind", "occupying"),
    [
        (WORKER_LOOP, {"running", "native", "blocked"}),
        (WORKER_POOL_THREAD, {"running", "native", "ready", "io", "blocked"}),
        (WORKER_PROCESS, {"running", "native", "ready", "io", "blocked"}),
    ],
)
def test_which_states_occupy_a_worker(kind, occupying):
    trace = _trace("x", [(5, kind)])
    codes = np.arange(len(STATES), dtype=np.uint8)
    table = WorkerTable.of(trace.workers)
    got = {STATES[c] for c in codes[table.occupied(np.full(len(codes), 5), codes)].tolist()}
    assert got == occupying
    assert {STATES[c] for c in codes[occupies(trace.workers[5].traits.cooperative, codes)].tolist()} == occupying
    # A segment on a worker the trace does not list occupies nothing.
    assert not table.occupied(np.full(len(codes), 6), codes).any()


def test_the_timeline_worker_row_follows_the_same_rule():
    for kind, drawn in ((WORKER_LOOP, ["running", "running"]), (WORKER_POOL_THREAD, ["running", "io", "running"])):
        band, rows = Band(_waiting_task(kind), "x", 0), []
        band.lay_out(rows, 0.0, compare=False)
        _, updates = band.load(full=True)
        workers = next(u for u in updates if u.kind == "workers")
        assert [STATES[s] for s in workers.values[np.argsort(workers.start)].tolist()] == drawn, kind
        # The idle backdrop runs from the first occupation to the end of the run (both workers live that long).
        assert [(x0, x1) for _, _, x0, x1 in band.idle_spans(rows)] == [(0.0, 50.0)]
