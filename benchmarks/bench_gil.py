"""GIL exclusion figures: how long reconciling a finished trace takes (it runs when a run completes).

Run: python benchmarks/bench_gil.py   (prints one line per figure; goal: 1M segments well under 1 s)
"""

from __future__ import annotations

import platform
import time

import numpy as np

from threadloom.model import Trace
from threadloom.wire import STATE_CODES

RUNNING, READY, IO = STATE_CODES["running"], STATE_CODES["ready"], STATE_CODES["io"]
US = 1_000


def convoy_columns(n_segments: int = 1_000_000, crunchers: int = 4, chatty: int = 96) -> dict[str, np.ndarray]:
    """A big convoy: crunchers in long ``running`` segments, chatty threads doing round trips
    (io, ready, a 5-20 us precise ``running``) that overlap them, as the probe reports it."""
    rng = np.random.default_rng(7)
    per_chatty = (n_segments * 9 // 10) // (3 * chatty)
    trip = rng.integers(800 * US, 2_000 * US, size=(chatty, per_chatty))
    t = np.cumsum(trip, axis=1)
    io_len = (trip * 0.2).astype(np.int64)
    run_len = rng.integers(5 * US, 20 * US, size=(chatty, per_chatty))
    io_s, io_e = t - trip, t - trip + io_len
    run_s = t - run_len
    chat = {
        "task": np.repeat(np.arange(crunchers, crunchers + chatty, dtype=np.int32), 3 * per_chatty),
        "state": np.tile(np.array([IO, READY, RUNNING], np.uint8), chatty * per_chatty),
        "start": np.stack([io_s, io_e, run_s], axis=2).ravel(),
        "end": np.stack([io_e, run_s, t], axis=2).ravel(),
    }
    span = int(t.max())
    per_cruncher = (n_segments - len(chat["start"])) // crunchers
    cuts = np.sort(rng.integers(0, span, size=(crunchers, per_cruncher)), axis=1)
    cuts[:, 0], cuts[:, -1] = 0, span
    states = np.resize(np.array([RUNNING, READY], np.uint8), per_cruncher - 1)
    crunch = {
        "task": np.repeat(np.arange(crunchers, dtype=np.int32), per_cruncher - 1),
        "state": np.tile(states, crunchers),
        "start": cuts[:, :-1].ravel(),
        "end": cuts[:, 1:].ravel(),
    }
    cols = {k: np.concatenate([crunch[k], chat[k]]) for k in ("task", "state", "start", "end")}
    cols["worker"] = cols["task"].astype(np.int64)
    return cols


def convoy_trace(cols: dict[str, np.ndarray]) -> Trace:
    """A live trace (no trailer yet) of a threads run with these segments, one thread per task."""
    n_tasks = int(cols["task"].max()) + 1
    trace = Trace()
    trace.apply_record(
        {
            "type": "header",
            "model": "threads",
            "t0_ns": 0,
            "gil_enabled": True,
            "gap_threshold_ns": 200 * US,
            "tasks": [[i, "g", i] for i in range(n_tasks)],
        }
    )
    for w in range(n_tasks):
        trace.apply_record({"type": "worker", "id": w, "kind": "thread", "name": f"t{w}", "pid": 1})
    trace.extend_segments(*(cols[k] for k in ("task", "worker", "state", "start", "end")))
    return trace


def reconcile_seconds(cols: dict[str, np.ndarray], rounds: int = 5) -> tuple[float, int, int]:
    """Best time of ``rounds`` to reconcile a trace with these segments when its trailer arrives."""
    best, before, after = float("inf"), 0, 0
    for _ in range(rounds):
        trace = convoy_trace(cols)
        before = len(trace)
        t0 = time.perf_counter()
        trace.apply_record({"type": "trailer", "makespan_ns": int(cols["end"].max())})
        best = min(best, time.perf_counter() - t0)
        after = len(trace)
    return best, before, after


def main() -> None:
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, numpy {np.__version__}")
    cols = convoy_columns()
    seconds, before, after = reconcile_seconds(cols)
    print(
        f"GIL exclusion: {before:,} segments of a convoy reconciled in {seconds * 1e3:.0f} ms "
        f"({after - before:,} pieces added; goal: well under 1 s)"
    )
    calm = dict(cols)
    calm["state"] = np.where(cols["state"] == RUNNING, READY, cols["state"]).astype(np.uint8)
    seconds, before, _ = reconcile_seconds(calm)
    print(f"GIL exclusion with nothing to cut: {before:,} segments checked in {seconds * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
