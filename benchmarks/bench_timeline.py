"""Timeline frame time at a million segments, full view and zoomed to 1% of the run; and the cost of
live refreshes while a run grows to that size.

Run: QT_QPA_PLATFORM=offscreen python benchmarks/bench_timeline.py [--segments N] [--frames N] [--chunks N]

Builds a synthetic finished trace (256 tasks in 8 groups on 32 pool threads, 60 s) with
``Trace.from_arrays``, shows it in a 1600x900 ``TimelineWidget`` and times frames of the plot
(``plot_widget.grab()``: layout, axes, every item). Each frame pans the view a little, so every
frame redoes the visibility and level-of-detail work, as a pan or zoom would. The worker lanes
and the GIL lane derived from the trace are drawn too, so the item holds more than N segments.

The live part feeds the same segments, in the order they close, to a live trace in ``--chunks``
batches, calling ``refresh()`` after each as the window does, and times every turn of the event
loop that the timeline spends packing (a big batch is spread over several turns) and the frame
after it, with the view following the run. Its goal: no turn over 16 ms, whatever the run's size.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from threadloom.model import STATES, Trace
from threadloom.ui.app import make_app

RUN_MS = 60_000.0


def synthetic_trace(n_segments: int, **kw) -> Trace:
    """A finished trace of about ``n_segments`` segments once GIL exclusion has cut the running ones
    (it cuts them into pieces: the size is scaled from a trial at half of it)."""
    trial = _synthetic_trace(max(n_segments // 2, 10_000), **kw)
    ratio = len(trial) / max(n_segments // 2, 10_000)
    return _synthetic_trace(max(int(n_segments / ratio), 1000), **kw)


def _synthetic_trace(
    n_segments: int, n_tasks: int = 256, n_workers: int = 32, n_groups: int = 8, seed: int = 7
) -> Trace:
    """A finished trace of about ``n_segments`` segments: each task cycles through random states."""
    rng = np.random.default_rng(seed)
    per_task = max(1, n_segments // n_tasks)
    lengths = rng.exponential(RUN_MS * 1e6 / per_task, size=(n_tasks, per_task))
    ends = np.cumsum(lengths, axis=1)
    starts = ends - lengths
    states = rng.choice(
        [STATES.index(s) for s in ("running", "native", "ready", "io", "blocked")],
        size=(n_tasks, per_task),
        p=[0.3, 0.1, 0.3, 0.2, 0.1],
    )
    states[:, 0] = STATES.index("queued")
    task = np.repeat(np.arange(n_tasks, dtype=np.int32), per_task)
    worker = (task % n_workers).astype(np.int64)
    worker[states.ravel() == STATES.index("queued")] = -1
    columns = {
        "task": task,
        "worker": worker,
        "state": states.ravel().astype(np.uint8),
        "start": starts.ravel().astype(np.int64),
        "end": ends.ravel().astype(np.int64),
    }
    groups = [f"group{g}" for g in range(n_groups)]
    tasks = [[i, groups[i % n_groups], i // n_groups] for i in range(n_tasks)]
    header = {
        "model": "thread-pool",
        "scenario": "synthetic",
        "gil_enabled": True,
        "switch_interval_ms": 5.0,
        "pool_size": n_workers,
        "cpu_count": 2,
        "t0_ns": 0,
        "tasks": tasks,
        "groups": {g: ["cpu"] for g in groups},
        "interpreter": {"path": "python", "version": "3", "implementation": "CPython", "free_threaded_build": False},
    }
    end_ns = int(columns["end"].max())
    trailer = {"makespan_ns": end_ns}
    workers = [{"id": w, "kind": "pool-thread", "name": f"pool_{w}", "pid": 1} for w in range(n_workers)]
    return Trace.from_arrays(
        header, trailer, workers, columns, starts[:, 0].astype(np.int64), ends[:, -1].astype(np.int64)
    )


def time_frames(widget, app, start: float, span: float, frames: int) -> tuple[list[float], list[float], list[float]]:
    """Milliseconds per frame of the whole plot (wall and CPU) and of the segment item's paint alone (wall).

    The CPU time of this thread is reported beside the wall time because the box is shared: when
    other jobs take the cores, wall time measures them too.
    """
    item = widget.segment_item
    paint = item.paint
    item_ms: list[float] = []

    def timed_paint(*args) -> None:
        t = time.perf_counter()
        paint(*args)
        item_ms.append((time.perf_counter() - t) * 1e3)

    item.paint = timed_paint
    frame_ms: list[float] = []
    cpu_ms: list[float] = []
    try:
        for i in range(frames):
            shift = span * 0.001 * (i % 7)
            widget.set_visible_range_ms(start + shift, start + shift + span)
            t, c = time.perf_counter(), time.thread_time()
            widget.plot_widget.grab()
            cpu_ms.append((time.thread_time() - c) * 1e3)
            frame_ms.append((time.perf_counter() - t) * 1e3)
    finally:
        del item.paint
    return frame_ms, cpu_ms, item_ms


def wait_loaded(widget, app) -> tuple[float, float]:
    """Turn the event loop until the widget has packed what it packs off the GUI thread:
    (seconds it took, longest turn of the event loop in ms)."""
    t0 = time.perf_counter()
    longest = 0.0
    while widget.is_loading():
        t = time.perf_counter()
        app.processEvents()
        longest = max(longest, (time.perf_counter() - t) * 1e3)
        time.sleep(0.002)
    return time.perf_counter() - t0, longest


def time_live(app, trace: Trace, chunks: int) -> tuple[list[float], list[float], float, tuple[float, float]]:
    """Grow a live copy of ``trace`` in ``chunks`` batches: ms of each refresh turn, ms of each frame,
    ms for ``set_traces`` once the run completes (the window's end-of-run call), and the repack after
    GIL exclusion rewrote it (seconds, longest event-loop turn in ms)."""
    from threadloom.ui.timeline import TimelineWidget

    seg = trace.segments()
    order = np.argsort(seg.end, kind="stable")
    cols = [getattr(seg, k)[order] for k in ("task", "worker", "state", "start", "end")]
    live = Trace.from_arrays(
        trace.header,
        None,
        trace.worker_records(),
        {k: c[:0] for k, c in zip(("task", "worker", "state", "start", "end"), cols, strict=True)},
        trace.submitted,
        trace.finished,
    )
    widget = TimelineWidget()
    widget.resize(1600, 900)
    widget.show()
    app.processEvents()
    widget.set_traces([live])
    widget.follow_live(True)
    refresh = widget.refresh
    turns: list[float] = []

    def timed_refresh() -> None:
        t = time.perf_counter()
        refresh()
        turns.append((time.perf_counter() - t) * 1e3)

    widget.refresh = timed_refresh
    widget._catch_up.timeout.disconnect()
    widget._catch_up.timeout.connect(timed_refresh)
    frames: list[float] = []
    n = len(cols[0])
    for i in range(chunks):
        lo, hi = n * i // chunks, n * (i + 1) // chunks
        live._append(*(c[lo:hi] for c in cols))
        live._last_t = int(cols[4][hi - 1])
        live.generation += 1
        widget.refresh()
        while widget._catch_up.isActive():
            app.processEvents()
        t = time.perf_counter()
        widget.plot_widget.grab()
        frames.append((time.perf_counter() - t) * 1e3)
    live.trailer = trace.trailer
    live.generation += 1
    t = time.perf_counter()
    widget.set_traces([live])
    done_ms = (time.perf_counter() - t) * 1e3
    while widget._catch_up.isActive():
        app.processEvents()
    # At the end of a real run GIL exclusion rewrites the trace: the band is packed again, all of it.
    live.rewrites += 1
    live.generation += 1
    t = time.perf_counter()
    widget.refresh()
    first = (time.perf_counter() - t) * 1e3
    seconds, longest = wait_loaded(widget, app)
    while widget._catch_up.isActive():
        t = time.perf_counter()
        app.processEvents()
        longest = max(longest, (time.perf_counter() - t) * 1e3)
    widget.close()
    return turns, frames, done_ms, (seconds, max(first, longest))


def report(label: str, values: list[float], goal: str = "") -> None:
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    print(f"{label}: median {statistics.median(values):.1f} ms, p95 {p95:.1f} ms{goal}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=1_000_000)
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--chunks", type=int, default=40, help="batches the live run arrives in")
    args = parser.parse_args()

    app = make_app()
    from threadloom.ui.timeline import TimelineWidget

    t = time.perf_counter()
    trace = synthetic_trace(args.segments)
    build_ms = (time.perf_counter() - t) * 1e3
    widget = TimelineWidget()
    widget.resize(1600, 900)
    t = time.perf_counter()
    widget.set_traces([trace])
    load_ms = (time.perf_counter() - t) * 1e3
    widget.show()
    app.processEvents()
    pack_s, pack_turn = wait_loaded(widget, app)
    n = len(trace)
    print(
        f"synthetic trace: {n:,} segments, {len(trace.tasks)} tasks, {len(trace.workers)} workers "
        f"(built in {build_ms:.0f} ms); set_traces returned in {load_ms:.0f} ms, packed in {pack_s:.1f} s "
        f"more, longest event-loop turn meanwhile {pack_turn:.1f} ms (goal <= 50 ms)"
    )
    end = trace.end_ns / 1e6
    goal = " (goal <= 16 ms)"
    for name, start, span in (("full view", 0.0, end), ("zoomed to 1%", end * 0.5, end * 0.01)):
        time_frames(widget, app, start, span, 3)  # warm up
        frames, cpu, items = time_frames(widget, app, start, span, args.frames)
        stats = widget.segment_item.last_paint
        report(f"timeline frame, {n:,} segments, {name}", frames, goal)
        report(f"  same frames, CPU time of the GUI thread, {name}", cpu)
        report(f"  segment item paint alone, {name}", items)
        print(
            f"  last frame: {stats.rects:,} rects + {stats.strips} image strips; {stats.visible:,} segments taken "
            f"one by one, {stats.lod_cells:,} pixel cells filled from merged sub-pixel segments"
        )
    widget.close()
    turns, frames, done_ms, (repack_s, repack_turn) = time_live(app, trace, args.chunks)
    report(
        f"live refresh, one turn of the event loop, growing to {n:,} segments in {args.chunks} batches "
        f"({len(turns)} turns; longest {max(turns):.1f} ms)",
        turns,
        goal,
    )
    report("  frame after each batch, following the run", frames, goal)
    print(f"  end of run, set_traces on the completed live trace: {done_ms:.1f} ms")
    print(
        f"  end of run, trace rewritten (GIL exclusion): packed again in {repack_s:.1f} s, "
        f"longest event-loop turn {repack_turn:.1f} ms (goal <= 50 ms)"
    )
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
