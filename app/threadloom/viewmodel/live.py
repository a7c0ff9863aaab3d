"""The figures shown while a run is live: cheap, vectorised, recomputed at every redraw.

The full :class:`~threadloom.model.RunMetrics` come when the run ends; until then
the summary shows these, a few milliseconds' work even for a big trace.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from ..model import STATES, Latency, Trace

_READY, _QUEUED = STATES.index("ready"), STATES.index("queued")


@dataclass(frozen=True)
class LiveMetrics:
    """What a live trace says so far.

    Attributes:
        elapsed_ms: the run's clock so far (the last event).
        tasks_done: tasks that were submitted and have finished.
        task_count: tasks the run has.
        latency_ms: submission to completion of the tasks done, or ``None`` before the first is.
        ready_ms: time spent ready, waiting to run, added over all closed segments.
        queued_ms: time spent in a pool's queue, likewise.
        segments: closed segments recorded so far.
        segments_per_s: ``segments`` over the wall-clock time the run has taken.
    """

    elapsed_ms: float
    tasks_done: int
    task_count: int
    latency_ms: Latency | None
    ready_ms: float
    queued_ms: float
    segments: int
    segments_per_s: float


#: Per live trace: (segments summed, rewrites then, ready ns, queued ns). A live trace only grows, so
#: each redraw sums its new tail alone; a rewrite (GIL exclusion) or a shrink starts the sums over.
_SUMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _waiting_ns(trace: Trace) -> tuple[int, int]:
    n_sum, rewrites, ready, queued = _SUMS.get(trace, (0, trace.rewrites, 0, 0))
    if rewrites != trace.rewrites or n_sum > len(trace):
        n_sum, ready, queued = 0, 0, 0
    seg = trace.segments()
    if len(seg.start) > n_sum:
        tail = slice(n_sum, len(seg.start))
        length, state = seg.end[tail] - seg.start[tail], seg.state[tail]
        ready += int(np.sum(length, where=state == _READY))
        queued += int(np.sum(length, where=state == _QUEUED))
        n_sum = len(seg.start)
    _SUMS[trace] = (n_sum, trace.rewrites, ready, queued)
    return ready, queued


def live_metrics(trace: Trace, wall_s: float) -> LiveMetrics:
    """The live figures of ``trace``, a run that has taken ``wall_s`` seconds of real time so far."""
    done_mask = (trace.finished >= 0) & (trace.submitted >= 0)
    done = int(done_mask.sum())
    latency = Latency.of((trace.finished - trace.submitted)[done_mask]) if done else None
    ready_ns, queued_ns = _waiting_ns(trace)
    return LiveMetrics(
        elapsed_ms=trace.end_ns / 1e6,
        tasks_done=done,
        task_count=len(trace.tasks),
        latency_ms=latency,
        ready_ms=ready_ns / 1e6,
        queued_ms=queued_ns / 1e6,
        segments=len(trace),
        segments_per_s=len(trace) / wall_s if wall_s > 0 else 0.0,
    )


#: The steps of the live timeline's time span, per decade: each at most 1.5x the last, so the run
#: fills at least two thirds of the plot after the span grows.
_SPAN_STEPS = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0)


def live_span_ms(end_ms: float) -> float:
    """Where the live timeline's time axis ends while it follows a whole run that has reached ``end_ms``.

    A round number a little past the run's end, so that the run grows into the
    plot and the axis stays still between steps, rather than rescaling (and
    redrawing its ticks and every item) at every frame.
    """
    if end_ms <= 0.1:
        return 0.1
    decade = 10.0 ** np.floor(np.log10(end_ms))
    wanted = end_ms * 1.02  # a little room past the end, so its last pixels show
    for scale in (decade, 10 * decade):
        for step in _SPAN_STEPS:
            if step * scale >= wanted:
                return float(step * scale)
    return float(100 * decade)  # not reached: wanted < 10.2 decades, and the second scale reaches 15


__all__ = ["LiveMetrics", "live_metrics", "live_span_ms"]
