"""Who holds the GIL: the one place that derives it from a trace.

The GIL lane of the timeline, the hand-off count, the scheduler view's token
and the tests all read these functions. A thread holds the GIL while its task
is ``running`` on a worker that shares the probe's interpreter; a process of a
pool has a GIL of its own and never takes the probe's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np

from .trace import Trace

#: One GIL shared by every thread of the probe.
GIL_ONE = "gil"
#: An interpreter running without a GIL (a free-threaded build with it off).
GIL_NONE = "nogil"
#: Every worker is a process with a GIL of its own.
GIL_PER_PROCESS = "processes"

#: What the GIL lane says where it has nothing to draw.
GIL_MODE_TEXT = {
    GIL_NONE: "no GIL: threads run in parallel",
    GIL_PER_PROCESS: "one GIL per process: processes run in parallel",
}


def gil_mode(trace: Trace) -> str:
    """How the GIL works in this run: :data:`GIL_ONE`, :data:`GIL_NONE` or :data:`GIL_PER_PROCESS`."""
    spec = trace.spec
    if spec is not None:
        per_worker = not spec.shares_gil
    else:  # a model this install does not have: judge by the workers it made
        per_worker = bool(trace.workers) and all(w.traits.own_gil for w in trace.workers.values())
    if per_worker:
        return GIL_PER_PROCESS
    return GIL_ONE if trace.header.get("gil_enabled", True) else GIL_NONE


def gil_runs(
    start: np.ndarray, end: np.ndarray, task: np.ndarray, worker: np.ndarray, prev_task: int = -1, prev_shade: int = 0
) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray, int]:
    """The GIL lane from ``running`` segments.

    Returns the segments sorted by start ``(start, end, task, worker)``, a shade
    per segment (0 or 1) that flips at each hand-off so neighbours stay apart,
    the hand-off times, and the last shade. ``prev_task`` and ``prev_shade`` say
    how the lane ended so far, so a live lane can be extended piece by piece.
    """
    order = np.argsort(start, kind="stable")
    start, end, task, worker = start[order], end[order], task[order], worker[order]
    prev = np.empty_like(task)
    prev[:1] = prev_task
    prev[1:] = task[:-1]
    change = task != prev
    shade = ((prev_shade + np.cumsum(change)) % 2).astype(np.uint8)
    handoffs = start[change & (prev >= 0)]
    last = int(shade[-1]) if len(shade) else prev_shade
    return (start, end, task, worker), shade, handoffs, last


def holder_at(lanes: Iterable[Sequence[np.ndarray]], t: float) -> int | None:
    """The task whose GIL-lane segment covers time ``t``, or None.

    ``lanes`` are ``(start, end, task, ...)`` column sets, each sorted by start.
    Where segments overlap (no GIL, or hand-offs measured a few microseconds
    apart), the one that started last holds it.
    """
    best: tuple[float, int] | None = None
    for start, end, task, *_ in lanes:
        hi = int(np.searchsorted(start, t, "right"))
        cover = np.flatnonzero(end[:hi] > t)
        if len(cover) and (best is None or start[cover[-1]] >= best[0]):
            best = (float(start[cover[-1]]), int(task[cover[-1]]))
    return None if best is None else best[1]


class _Running(Protocol):
    id: int
    since_ns: int


def latest_acquirer(running: Iterable[_Running]) -> _Running | None:
    """Of tasks running Python in the probe's process at one instant, the one holding the GIL.

    Hand-offs are measured, so two ``running`` stretches can overlap by a few
    microseconds: the most recent acquirer is the holder.
    """
    return max(running, key=lambda t: (t.since_ns, t.id), default=None)


def in_probe_gil(trace: Trace, workers: np.ndarray) -> np.ndarray:
    """Which of ``workers`` (ids) take the probe's GIL: not a process with one of its own."""
    own = np.array([wid for wid, w in trace.workers.items() if w.traits.own_gil], dtype=np.int64)
    return ~np.isin(workers, own)
