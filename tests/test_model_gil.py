"""Who holds the GIL and which segments occupy a worker, on small synthetic traces (no probe, no Qt)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from threadloom.model import STATES, Trace, compute_metrics
from threadloom.model.gil import (
    GIL_MODE_TEXT,
    GIL_NONE,
    GIL_ONE,
    GIL_PER_PROCESS,
    exclude_gil,
    gil_mode,
    gil_runs,
    holder_at,
    reconcile_gil,
)
from threadloom.model.occupancy import WorkerTable, occupies
from threadloom.viewmodel.instant import snapshot_at
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
        (WORKER_POOL_THREAD, {"running", "native", "ready", "io", "blocked", "transfer"}),
        (WORKER_PROCESS, {"running", "native", "ready", "io", "blocked", "transfer"}),
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


# -- GIL exclusion -----------------------------------------------------------------------------

US = 1_000  # ns
#: A convoy written by hand: task 0 crunches from 0 to 30 ms in one running segment (its probe saw
#: no gap over the threshold); task 1 makes round trips whose replies resume it at 5, 15 and 25 ms
#: for 5 us each (running after a ready after io: measured at both ends).
CONVOY = (
    (0, 0, 0, S["running"]),
    (30, 0, 0, TASK_DONE),
    (0, 1, 1, S["running"]),
    (0.01, 1, 1, S["io"]),
    (4, 1, 1, S["ready"]),
    (5, 1, 1, S["running"]),
    (5.005, 1, 1, S["io"]),
    (14, 1, 1, S["ready"]),
    (15, 1, 1, S["running"]),
    (15.005, 1, 1, S["io"]),
    (25, 1, 1, S["running"]),  # the reply found the GIL free: no ready
    (25.005, 1, 1, TASK_DONE),
)


def _convoy(model: str = "threads", kind: str = WORKER_THREAD, finish: bool = True, **header) -> Trace:
    header = {"gap_threshold_ns": 200 * US, "groups": {"g": ["cpu", "net"]}, **header}
    trace = _trace(model, [(0, kind), (1, kind)], n_tasks=2, **header)
    trace.add_events(_events(*CONVOY))
    if finish:
        trace.apply_record({"type": "trailer", "makespan_ns": 30 * MS})
    return trace


def _task_segments(trace: Trace, task: int) -> list[tuple[str, float, float]]:
    seg = trace.segments()
    idx = np.flatnonzero(seg.task == task)
    idx = idx[np.argsort(seg.start[idx], kind="stable")]
    return [(STATES[int(seg.state[i])], seg.start[i] / MS, seg.end[i] / MS) for i in idx.tolist()]


def _totals(trace: Trace) -> dict[tuple[int, str], int]:
    seg = trace.segments()
    out: dict[tuple[int, str], int] = {}
    for t, s, a, b in zip(seg.task.tolist(), seg.state.tolist(), seg.start.tolist(), seg.end.tolist(), strict=True):
        out[(t, STATES[s])] = out.get((t, STATES[s]), 0) + (b - a)
    return out


def _overlap_ns(trace: Trace, a: int, b: int) -> int:
    seg = trace.segments()
    run = seg.state == S["running"]
    sa, ea = seg.start[run & (seg.task == a)], seg.end[run & (seg.task == a)]
    sb, eb = seg.start[run & (seg.task == b)], seg.end[run & (seg.task == b)]
    return int(np.clip(np.minimum(ea[:, None], eb[None, :]) - np.maximum(sa[:, None], sb[None, :]), 0, None).sum())


def test_precise_running_stretches_cut_the_crunchers_running_segment_into_ready():
    live = _convoy(finish=False)
    before, chatty = _totals(live), _task_segments(live, 1)
    assert _overlap_ns(live, 0, 1) > 0  # what the probe's stream says: both "running" at 5 ms
    generation = live.generation
    live.apply_record({"type": "trailer", "makespan_ns": 30 * MS})  # the run completes: the trace is reconciled
    assert live.generation > generation + 1 and live.rewrites == 1
    got = _task_segments(live, 0)
    assert [s for s, _, _ in got] == ["running", "ready"] * 3 + ["running"]
    assert got[1] == ("ready", 5.0, 5.005) and got[3] == ("ready", 15.0, 15.005) and got[5] == ("ready", 25.0, 25.005)
    assert got[0] == ("running", 0.0, 5.0) and got[-1] == ("running", 25.005, 30.0)
    # The first 10 us of task 1 ran before any wait (its start is not measured the same way): not a cutter.
    # Only the precise stretches cut; task 1 itself is untouched.
    assert _task_segments(live, 1) == chatty
    # A cut moves time from running to ready; each task's segments still tile its time, in order.
    after = _totals(live)
    for task in (0, 1):
        assert after.get((task, "running"), 0) + after.get((task, "ready"), 0) == before.get(
            (task, "running"), 0
        ) + before.get((task, "ready"), 0)
    assert after[(0, "ready")] == 3 * 5 * US
    for task in (0, 1):
        segs = _task_segments(live, task)
        assert all(a[2] == b[1] for a, b in itertools.pairwise(segs)), task
    assert _overlap_ns(live, 0, 1) == 10 * US  # only the unmeasured start overlaps


def test_the_reconciled_trace_feeds_the_gil_lane_and_the_median_slice():
    seg = _convoy().segments()
    run = seg.state == S["running"]
    _, _, handoffs, _ = gil_runs(seg.start[run], seg.end[run], seg.task[run], seg.worker[run])
    # 1 -> 0 at 5.005 ms, then 0 -> 1 and back at 15 and 25 ms (5 us apart), plus the unmeasured
    # start, where task 1 is drawn after task 0 and so holds the lane until 5.005 ms.
    assert handoffs.tolist() == [0, 5_005_000, 15_000_000, 15_005_000, 25_000_000, 25_005_000]
    # The cruncher's slices are 5, 10, 10 and 5 ms (not one 30 ms slice).
    assert compute_metrics(_convoy()).median_running_slice_ms == pytest.approx(7.5, abs=0.01)


def test_without_a_gil_nothing_is_cut():
    trace = _convoy(gil_enabled=False)
    assert gil_mode(trace) == GIL_NONE and trace.rewrites == 0
    assert [s for s, _, _ in _task_segments(trace, 0)] == ["running"]
    assert not reconcile_gil(trace)


def test_processes_with_a_gil_of_their_own_cut_nothing():
    trace = _convoy("process-pool", WORKER_PROCESS)
    assert gil_mode(trace) == GIL_PER_PROCESS and trace.rewrites == 0
    assert [s for s, _, _ in _task_segments(trace, 0)] == ["running"]
    # A model with threads and processes: only the threads share the GIL.
    mixed = _trace("from-the-future", [(0, WORKER_PROCESS), (1, WORKER_THREAD)], n_tasks=2, gap_threshold_ns=200 * US)
    mixed.add_events(_events(*CONVOY))
    mixed.apply_record({"type": "trailer", "makespan_ns": 30 * MS})
    assert gil_mode(mixed) == GIL_ONE
    assert [s for s, _, _ in _task_segments(mixed, 0)] == ["running"]


def test_reconciling_is_idempotent_and_saved_runs_are_reconciled_when_read():
    trace = _convoy()
    snapshot = [a.copy() for a in trace.segments()]
    generation = trace.generation
    assert not reconcile_gil(trace)
    assert trace.generation == generation and trace.rewrites == 1
    assert all(np.array_equal(a, b) for a, b in zip(snapshot, trace.segments(), strict=True))
    # A run saved before this rule existed: its segments are cut when it is read back...
    raw = _convoy(finish=False)
    columns = dict(zip(("task", "worker", "state", "start", "end"), raw.segments(), strict=True))
    header = {k: v for k, v in raw.header.items() if k != "type"}
    read = Trace.from_arrays(
        header, {"makespan_ns": 30 * MS}, raw.worker_records(), columns, raw.submitted, raw.finished
    )
    assert all(np.array_equal(a, b) for a, b in zip(snapshot, read.segments(), strict=True))
    # ...and one saved after it reads back as it was.
    columns = dict(zip(("task", "worker", "state", "start", "end"), trace.segments(), strict=True))
    again = Trace.from_arrays(header, trace.trailer, trace.worker_records(), columns, trace.submitted, trace.finished)
    assert again.rewrites == 0
    assert all(np.array_equal(a, b) for a, b in zip(snapshot, again.segments(), strict=True))


def test_a_stopped_run_is_reconciled_when_its_open_segments_close():
    trace = _convoy(finish=False)
    trace.close_open_segments()
    assert [s for s, _, _ in _task_segments(trace, 0)] == ["running", "ready"] * 3 + ["running"]


def _cols(*rows: tuple[int, str, float, float]) -> tuple[np.ndarray, ...]:
    """(task, state, start us, end us) rows as segment columns, each task on its own worker."""
    task = np.array([r[0] for r in rows], np.int32)
    state = np.array([S[r[1]] for r in rows], np.uint8)
    start = np.array([round(r[2] * US) for r in rows], np.int64)
    end = np.array([round(r[3] * US) for r in rows], np.int64)
    return task, task.astype(np.int64), state, start, end


def test_long_or_unmeasured_running_stretches_do_not_cut():
    cols = _cols(
        (0, "running", 0, 1000),
        # Resumed after a wait, but for 300 us: longer than the gap threshold, so it may hold
        # CPU-bound work with GIL losses of its own below the threshold.
        (1, "io", 0, 100),
        (1, "ready", 100, 200),
        (1, "running", 200, 500),
        # Running after running work (a slice boundary inside a cpu step): its start is estimated.
        (2, "running", 500, 600),
        (2, "ready", 600, 650),
        (2, "running", 650, 660),
    )
    assert exclude_gil(*cols, shared=np.ones(7, bool), longest_ns=200 * US) is None


def test_overlapping_precise_stretches_merge_into_one_cut_and_stay_whole_themselves():
    cols = _cols(
        (0, "running", 0, 1000),
        (1, "io", 0, 100),
        (1, "running", 100, 110),  # straight after a wait
        (2, "blocked", 0, 105),
        (2, "ready", 105, 108),
        (2, "running", 108, 120),  # overlaps task 1's by 2 us: both stay
        (3, "queued", 0, 500),
        (3, "running", 500, 520),  # a pool thread took the task at 500
    )
    task, _, state, start, end = exclude_gil(*cols, shared=np.ones(8, bool), longest_ns=200 * US)
    pieces = [(int(t), STATES[int(s)], a / US, b / US) for t, s, a, b in zip(task, state, start, end, strict=True)]
    assert pieces[:5] == [
        (0, "running", 0, 100),
        (0, "ready", 100, 120),
        (0, "running", 120, 500),
        (0, "ready", 500, 520),
        (0, "running", 520, 1000),
    ]
    assert pieces[5:] == [(t, s, a, b) for t, s, a, b in zip(*_rows_of(cols), strict=True)][1:]
    # Segments of workers outside the GIL are neither cut nor cutters.
    shared = np.array([False] + [True] * 7)
    assert exclude_gil(*cols, shared=shared, longest_ns=200 * US) is None


def _rows_of(cols):
    task, _, state, start, end = cols
    return task.tolist(), [STATES[s] for s in state.tolist()], (start / US).tolist(), (end / US).tolist()


def test_the_timeline_reloads_a_band_whose_trace_was_reconciled():
    live = _convoy(finish=False)
    band, rows = Band(live, "x", 0), []
    band.lay_out(rows, 0.0, compare=False)
    band.load(full=True)
    live.apply_record({"type": "trailer", "makespan_ns": 30 * MS})
    assert not band.layout_changed() and band.generation != live.generation
    caught_up, updates = band.load(full=False)
    assert caught_up
    tasks = next(u for u in updates if u.kind == "tasks")
    gil = next(u for u in updates if u.kind == "gil")
    # Drawn again from the start, with the cut segments (not the old ones plus a tail).
    assert tasks.replace and gil.replace and len(tasks.start) == len(live)
    assert len(band.handoffs) == 6


def test_the_scheduler_says_who_holds_the_gil_from_the_reconciled_trace():
    trace = _convoy()
    # At 10 ms the cruncher has held the GIL since the reply at 5 ms handed it back, not since 0.
    holder = snapshot_at(trace, 10 * MS).gil_holder
    assert holder is not None and holder.id == 0 and holder.since_ns == 5_005_000
    # During a reply, the chatty thread holds it and the cruncher is ready.
    snap = snapshot_at(trace, 15 * MS + 2 * US)
    assert snap.gil_holder is not None and snap.gil_holder.id == 1
    assert {t.id: t.state for t in snap.tasks}[0] == "ready"
