"""Who holds the GIL: the one place that derives it from a trace.

The GIL lane of the timeline, the hand-off count, the scheduler view's token
and the tests all read these functions. A thread holds the GIL while its task
is ``running`` on a worker that shares the probe's interpreter; a process of a
pool has a GIL of its own and never takes the probe's.

:func:`reconcile_gil` enforces the GIL's one rule on a finished trace: where one
thread's ``running`` time is known precisely, no other thread of the probe ran
Python then (see docs/how-it-measures.md, "GIL exclusion").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from ..wire import STATE_CODES


class _Worker(Protocol):
    @property
    def traits(self) -> Any: ...


class TraceLike(Protocol):
    """What these functions read of a :class:`threadloom.model.Trace` (which imports this module)."""

    header: dict[str, Any]
    workers: Mapping[int, _Worker]

    @property
    def spec(self) -> Any: ...

    def segments(self) -> Any: ...

    def replace_segments(self, task, worker, state, start, end) -> None: ...


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


def gil_mode(trace: TraceLike) -> str:
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


def in_probe_gil(trace: TraceLike, workers: np.ndarray) -> np.ndarray:
    """Which of ``workers`` (ids) take the probe's GIL: not a process with one of its own."""
    own = np.array([wid for wid, w in trace.workers.items() if w.traits.own_gil], dtype=np.int64)
    return ~np.isin(workers, own)


# -- GIL exclusion -----------------------------------------------------------------------------

_RUNNING = STATE_CODES["running"]
_READY = STATE_CODES["ready"]
_NO_STATE = 255  # before a task's first segment
#: States that end at an instant the probe knows (a timer's deadline, a reply's stamp, a pool
#: thread taking the task): what a precisely measured ``running`` stretch resumes from.
_WAITS = np.array([STATE_CODES[s] for s in ("io", "blocked", "queued")], dtype=np.uint8)
_IS_WAIT = np.zeros(256, dtype=bool)
_IS_WAIT[_WAITS] = True
#: The probe's largest gap threshold, for traces whose header does not say theirs.
_DEFAULT_GAP_NS = 200_000


def precise_running(
    task: np.ndarray, state: np.ndarray, start: np.ndarray, end: np.ndarray, longest_ns: int
) -> np.ndarray:
    """Which segments are ``running`` stretches whose whole length is known to hold the GIL.

    A thread stamps the moment it resumes after a wait (it holds the GIL then) and the
    moment it enters its next state: a ``running`` segment that follows a wait (``io``,
    ``blocked``, ``queued``), or a ``ready`` after one (or the ``ready`` a task starts in),
    is measured at both ends. It must also be no longer than ``longest_ns`` (the gap
    threshold): a longer one holds CPU-bound work, which may hide GIL losses shorter than
    the threshold like any other ``running`` stretch.
    """
    n = len(state)
    order = _by_task_then_start(task, start)
    t, s = task[order], state[order]
    prev1 = np.full(n, _NO_STATE, dtype=np.uint8)
    prev2 = np.full(n, _NO_STATE, dtype=np.uint8)
    if n > 1:
        same1 = t[1:] == t[:-1]
        prev1[1:] = np.where(same1, s[:-1], _NO_STATE)
    if n > 2:
        same2 = t[2:] == t[:-2]
        prev2[2:] = np.where(same2, s[:-2], _NO_STATE)
    after_wait = _IS_WAIT[prev1]
    after_ready = (prev1 == _READY) & (_IS_WAIT[prev2] | (prev2 == _NO_STATE))
    length = end[order] - start[order]
    out = np.empty(n, dtype=bool)
    out[order] = (s == _RUNNING) & (after_wait | after_ready) & (length <= longest_ns)
    return out


def _by_task_then_start(task: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The order of segments by task, then start (stable): one sort of a combined key where it
    fits in 63 bits, which is ten times faster than ``np.lexsort`` on a million segments."""
    if not len(task):
        return np.zeros(0, dtype=np.intp)
    lo = int(start.min())
    span = int(start.max()) - lo + 1
    if int(task.max()) + 1 > (2**62) // span or int(task.min()) < 0:
        return np.lexsort((start, task))
    key = task.astype(np.int64) * span + (start - lo)
    return np.argsort(key, kind="stable")


def exclude_gil(
    task: np.ndarray,
    worker: np.ndarray,
    state: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    shared: np.ndarray,
    longest_ns: int,
) -> tuple[np.ndarray, ...] | None:
    """Segments where no ``running`` overlaps a precise ``running`` stretch of another thread.

    ``shared`` marks the segments on workers that take the one GIL. Every other ``running``
    segment there is cut where a precise stretch (:func:`precise_running`) covers it, and the
    cut becomes ``ready``: the thread was runnable, but another held the GIL. Each segment is
    replaced in place by its pieces, in time order, so a task's segments stay in order and its
    ``running`` + ``ready`` total is unchanged. Precise stretches are never cut (where two
    overlap, by a few microseconds, both stay). Returns the new columns
    ``(task, worker, state, start, end)``, or None when nothing overlaps (so it is idempotent).
    """
    eligible = (state == _RUNNING) & shared
    precise = eligible & precise_running(task, state, start, end, longest_ns) & (end > start)
    target = eligible & ~precise & (end > start)
    if not precise.any() or not target.any():
        return None
    # The union of the precise stretches, as disjoint sorted intervals [us, ue).
    order = np.argsort(start[precise], kind="stable")
    cs, ce = start[precise][order], end[precise][order]
    reach = np.maximum.accumulate(ce)
    new = np.ones(len(cs), dtype=bool)
    new[1:] = cs[1:] > reach[:-1]
    heads = np.flatnonzero(new)
    us = cs[heads]
    ue = reach[np.append(heads[1:] - 1, len(cs) - 1)]
    # For each target, the union intervals it overlaps: [a, b).
    idx = np.flatnonzero(target)
    a = np.searchsorted(ue, start[idx], "right")
    b = np.searchsorted(us, end[idx], "left")
    k = b - a
    hit = k > 0
    if not hit.any():
        return None
    n = len(state)
    cut, a, k = idx[hit], a[hit], k[hit]
    s0, e0 = start[cut], end[cut]
    # A segment cut k times becomes up to 2k + 1 pieces: running, ready, running, ..., running;
    # the first (last) running piece is empty where the first (last) cut reaches the segment's
    # edge. Cuts are disjoint and apart, and each overlaps the segment, so no other piece is empty.
    skip_first = (us[a] <= s0).astype(np.int64)
    skip_last = (ue[a + k - 1] >= e0).astype(np.int64)
    pieces = 2 * k + 1 - skip_first - skip_last
    # Where each segment's pieces go: in its place, after the pieces of the segments before it.
    extra = np.zeros(n, dtype=np.int64)
    extra[cut] = pieces - 1
    shift = np.cumsum(extra)
    pos = np.arange(n, dtype=np.int64) + shift - extra
    total = n + int(shift[-1])
    out = [np.empty(total, dtype=col.dtype) for col in (task, worker, state, start, end)]
    whole = np.ones(n, dtype=bool)
    whole[cut] = False
    kept = np.flatnonzero(whole)
    at_kept = pos[kept]
    for dst, col in zip(out, (task, worker, state, start, end), strict=True):
        dst[at_kept] = col[kept]
    # The pieces of the cut segments: q counts all 2k + 1 of them, empty ones included.
    owner = np.repeat(np.arange(len(cut)), pieces)
    first_piece = np.cumsum(pieces) - pieces
    q = np.arange(len(owner)) - first_piece[owner] + skip_first[owner]
    r = q // 2
    last = len(us) - 1
    j0 = a[owner] + r
    after = us[np.minimum(j0, last)]  # the cut after running piece r; ready piece r's start
    after_end = ue[np.minimum(j0, last)]  # ready piece r's end
    before = ue[np.maximum(j0 - 1, 0)]  # the cut before running piece r
    s_, e_ = s0[owner], e0[owner]
    is_ready = q % 2 == 1
    piece_start = np.where(is_ready, np.maximum(after, s_), np.where(r == 0, s_, np.minimum(before, e_)))
    piece_end = np.where(is_ready, np.minimum(after_end, e_), np.where(r == k[owner], e_, np.maximum(after, s_)))
    at = pos[cut][owner] + (np.arange(len(owner)) - first_piece[owner])
    out[0][at], out[1][at] = task[cut][owner], worker[cut][owner]
    out[2][at] = np.where(is_ready, _READY, _RUNNING).astype(state.dtype)
    out[3][at], out[4][at] = piece_start, piece_end
    return tuple(out)


def gil_exclusion(trace: TraceLike) -> tuple[np.ndarray, ...] | None:
    """What :func:`reconcile_gil` would put in place of the trace's segments, without touching the trace.

    Pure numpy on a snapshot of the segments: a caller may run it on a thread of its own (the GUI does,
    when a run's trailer arrives, so that a second of reconciling never freezes the window) as long as
    nothing appends to the trace meanwhile, then hand the result to ``trace.replace_segments``.
    Returns None when nothing is to be cut.
    """
    if gil_mode(trace) != GIL_ONE:
        return None
    seg = trace.segments()
    if not len(seg):
        return None
    longest = int(trace.header.get("gap_threshold_ns") or _DEFAULT_GAP_NS)
    return exclude_gil(*seg, shared=in_probe_gil(trace, seg.worker), longest_ns=longest)


def reconcile_gil(trace: TraceLike) -> bool:
    """Apply :func:`exclude_gil` to a trace whose threads share one GIL; returns whether it cut anything.

    Nothing is cut without a GIL (a free-threaded build), on workers with a GIL of their own
    (a process pool's), or where no segments overlap, which makes it safe to apply again.
    """
    cols = gil_exclusion(trace)
    if cols is None:
        return False
    trace.replace_segments(*cols)
    return True
