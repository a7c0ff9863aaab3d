"""The columnar trace: every segment of every task, in numpy arrays.

A segment is ``(task, worker, state, start, end)`` with times in nanoseconds
since the run's start (``header["t0_ns"]``). Segments grow while a run is
live; readers take :meth:`Trace.segments`, a consistent snapshot of views.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .._text import shown
from ..errors import WireFormatError
from ..probe.models import MODELS, ModelSpec
from ..wire import STATE_CODES, STATE_NAMES, TASK_DONE, WORKER_THREAD, WorkerKind, worker_kind
from .gil import reconcile_gil
from .occupancy import occupies
from .records import MAX_INT, record_problem

STATES = STATE_NAMES
_NONE = -1
_DONE = TASK_DONE

_IDLE = STATE_CODES["idle"]


@dataclass(frozen=True)
class TaskInfo:
    id: int
    group: str
    index: int

    @property
    def label(self) -> str:
        return f"{self.group}-{self.index}"


@dataclass(frozen=True)
class WorkerInfo:
    id: int
    kind: str  # one of threadloom.wire.WORKER_KINDS
    name: str
    pid: int

    @property
    def traits(self) -> WorkerKind:
        """What this kind of worker is: shares the GIL or not, idles between tasks, and so on."""
        return worker_kind(self.kind)


class Segments(NamedTuple):
    task: np.ndarray
    worker: np.ndarray
    state: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def __len__(self) -> int:  # type: ignore[override]
        return len(self.start)


class Trace:
    """Segments of one run, plus the probe's header and trailer records."""

    def __init__(self) -> None:
        self.header: dict[str, Any] = {}
        self.trailer: dict[str, Any] | None = None
        self.error: dict[str, Any] | None = None
        self.tasks: list[TaskInfo] = []
        self.workers: dict[int, WorkerInfo] = {}
        self.generation = 0
        #: How many times the closed segments were rewritten rather than appended to (see
        #: :meth:`replace_segments`): a view that packed them must pack them all again.
        self.rewrites = 0
        self._n = 0
        self._alloc(1024)
        self._set_task_count(0)
        self._last_t = 0

    # -- storage -------------------------------------------------------
    def _alloc(self, capacity: int) -> None:
        old = getattr(self, "_task", None)
        cols = {
            "_task": np.int32,
            "_worker": np.int64,
            "_state": np.uint8,
            "_start": np.int64,
            "_end": np.int64,
        }
        for name, dtype in cols.items():
            arr = np.empty(capacity, dtype=dtype)
            if old is not None:
                arr[: self._n] = getattr(self, name)[: self._n]
            setattr(self, name, arr)
        self._capacity = capacity

    def _set_task_count(self, n: int) -> None:
        self._open_t = np.zeros(n, dtype=np.int64)
        self._open_s = np.full(n, _NONE, dtype=np.int64)
        self._open_w = np.full(n, -1, dtype=np.int64)
        self.submitted = np.full(n, -1, dtype=np.int64)
        self.finished = np.full(n, -1, dtype=np.int64)

    def extend_segments(self, task, worker, state, start, end) -> None:
        """Append closed segments directly, for builders that read segments rather than events.

        Arrays of equal length; times in ns since the run's start. Views see a new generation.
        """
        self._append(task, worker, state, start, end)
        if len(end):
            self._last_t = max(self._last_t, int(np.max(end)))
        self.generation += 1

    def _append(self, task, worker, state, start, end) -> None:
        k = len(start)
        if not k:
            return
        need = self._n + k
        if need > self._capacity:
            self._alloc(max(need, self._capacity * 2))
        sl = slice(self._n, need)
        self._task[sl] = task
        self._worker[sl] = worker
        self._state[sl] = state
        self._start[sl] = start
        self._end[sl] = end
        self._n = need

    # -- reading -------------------------------------------------------
    def __len__(self) -> int:
        return self._n

    @property
    def t0_ns(self) -> int:
        return int(self.header.get("t0_ns", 0))

    @property
    def model(self) -> str:
        return str(self.header.get("model", "?"))

    @property
    def spec(self) -> ModelSpec | None:
        """The spec of the model that made this trace, or None for a model this install does not have."""
        module = MODELS.get(self.model)
        return module.SPEC if module is not None else None

    @property
    def complete(self) -> bool:
        return self.trailer is not None

    def segments(self) -> Segments:
        n = self._n
        return Segments(self._task[:n], self._worker[:n], self._state[:n], self._start[:n], self._end[:n])

    @property
    def end_ns(self) -> int:
        """The run's length so far: the makespan once complete, else the last event."""
        if self.trailer and "makespan_ns" in self.trailer:
            return int(self.trailer["makespan_ns"])
        return int(self._last_t)

    def open_segments(self, until_ns: int | None = None) -> Segments:
        """Segments still open in a live run, drawn up to ``until_ns`` (default: the last event)."""
        until = self._last_t if until_ns is None else until_ns
        live = (self._open_s != _NONE) & (self._open_s != _DONE)
        idx = np.nonzero(live)[0]
        start = self._open_t[idx]
        return Segments(
            idx.astype(np.int32),
            self._open_w[idx],
            self._open_s[idx].astype(np.uint8),
            start,
            np.maximum(start, until),
        )

    def groups(self) -> list[str]:
        seen: dict[str, None] = {}
        for t in self.tasks:
            seen.setdefault(t.group, None)
        return list(seen)

    # -- building ------------------------------------------------------
    def apply_record(self, record: dict[str, Any], *, reconciled: tuple[np.ndarray, ...] | bool | None = True) -> None:
        """Take one JSON record from the wire (header, worker, trailer, error...).

        A record that does not hold what its type promises (see :mod:`.records`)
        is a :class:`WireFormatError`, and the trace is left as it was.

        A trailer completes the run, and the GIL's rule is applied then (:func:`.gil.reconcile_gil`):
        synchronously by default (the CLI, saved runs, tests). A caller that computed the exclusion
        already (``gil.gil_exclusion``, on a thread of its own) passes its columns, or None when it
        cut nothing, as ``reconciled``: then the trailer costs a copy, not the reconciling.
        """
        kind = record.get("type")
        problem = record_problem(record)
        if problem:
            raise WireFormatError(f"the probe sent a {shown(kind, 40)} record that does not fit: {problem}")
        if kind == "header":
            self.header = record
            self.tasks = [TaskInfo(int(i), str(g), int(k)) for i, g, k in record.get("tasks", [])]
            self._set_task_count(len(self.tasks))
        elif kind == "worker":
            wid = int(record["id"])
            self.workers[wid] = WorkerInfo(
                wid, str(record.get("kind", WORKER_THREAD)), str(record.get("name", "")), int(record.get("pid", 0))
            )
        elif kind == "trailer":
            self.trailer = record
            # The run is complete: no thread held the GIL while another did.
            if reconciled is True:
                reconcile_gil(self)
            elif isinstance(reconciled, tuple):
                self.replace_segments(*reconciled)
        elif kind == "error":
            self.error = record
        elif kind == "clock":
            # The probe's time as of a flush: nothing changed state before it that has not arrived.
            if self.trailer is None and self.header:
                self._last_t = max(self._last_t, int(record["t_ns"]) - self.t0_ns)
        self.generation += 1

    def add_events(self, events: np.ndarray) -> None:
        """Turn a batch of ``(t_ns, task, worker, state)`` events into segments.

        Vectorised: a live run may deliver 200,000 events a second to a GUI
        thread that must not stall.
        """
        if not len(events):
            return
        if not self.header:
            raise WireFormatError("the probe sent events before its header")
        events = events[np.lexsort((events[:, 0], events[:, 1]))]
        t = events[:, 0] - self.t0_ns
        task = events[:, 1]
        worker = events[:, 2]
        state = events[:, 3]
        if task[0] < 0 or task[-1] >= len(self.tasks):
            bad = int(task[0]) if task[0] < 0 else int(task[-1])
            raise WireFormatError(f"the probe sent an event for task {bad}, which its header does not list")
        self._check_events(events)
        first = np.ones(len(t), dtype=bool)
        first[1:] = task[1:] != task[:-1]
        prev_s = np.empty_like(state)
        prev_w = np.empty_like(worker)
        prev_s[1:], prev_w[1:] = state[:-1], worker[:-1]
        prev_s[first] = self._open_s[task[first]]
        prev_w[first] = self._open_w[task[first]]
        # A state that does not change (a repeat entering the same state on the
        # same worker) continues the open segment rather than splitting it.
        keep = (state != prev_s) | (worker != prev_w)
        t, task, worker, state = t[keep], task[keep], worker[keep], state[keep]
        if not len(t):
            return
        first = np.ones(len(t), dtype=bool)
        first[1:] = task[1:] != task[:-1]
        prev_t = np.empty_like(t)
        prev_s = np.empty_like(state)
        prev_w = np.empty_like(worker)
        prev_t[1:], prev_s[1:], prev_w[1:] = t[:-1], state[:-1], worker[:-1]
        prev_t[first] = self._open_t[task[first]]
        prev_s[first] = self._open_s[task[first]]
        prev_w[first] = self._open_w[task[first]]

        fresh = first & (prev_s == _NONE)
        self.submitted[task[fresh]] = t[fresh]
        closes = (prev_s != _NONE) & (prev_s != _DONE)
        self._append(
            task[closes],
            prev_w[closes],
            prev_s[closes],
            prev_t[closes],
            np.maximum(t[closes], prev_t[closes]),
        )
        done = state == _DONE
        self.finished[task[done]] = t[done]
        last = np.ones(len(t), dtype=bool)
        last[:-1] = task[:-1] != task[1:]
        self._open_t[task[last]] = t[last]
        self._open_s[task[last]] = state[last]
        self._open_w[task[last]] = worker[last]
        self._last_t = max(self._last_t, int(t.max()))
        self.generation += 1

    def _check_events(self, events: np.ndarray) -> None:
        """Refuse states, workers and times a saved run could not hold (see :mod:`.records`)."""
        state, worker, t = events[:, 3], events[:, 2], events[:, 0]
        bad = ((state < 0) | (state >= len(STATES))) & (state != _DONE)
        if bad.any():
            raise WireFormatError(
                f"the probe sent state code {int(state[bad][0])}; this version knows 0 to {len(STATES) - 1} "
                f"({', '.join(STATES)}) and {_DONE} (done)"
            )
        known = self._known_workers()
        unknown = (worker != -1) & ~np.isin(worker, known)
        if unknown.any():
            raise WireFormatError(
                f"the probe sent an event on worker {int(worker[unknown][0])}, which no worker record announced"
            )
        if ((t > MAX_INT) | (t < -MAX_INT)).any() or (np.abs(t - self.t0_ns) > MAX_INT).any():
            raise WireFormatError("the probe sent an event time more than a century from the run's start")
        early = t < self.t0_ns
        if early.any():
            raise WireFormatError(
                f"the probe sent an event {int(self.t0_ns - t[early].min()):,} ns before the run's start (t0_ns)"
            )

    def _known_workers(self) -> np.ndarray:
        cached = getattr(self, "_worker_ids", None)
        if cached is None or len(cached) != len(self.workers):
            cached = self._worker_ids = np.array(sorted(self.workers), dtype=np.int64)
        return cached

    def close_open_segments(self) -> None:
        """End every open segment at the last event: keeps a stopped run's partial trace whole."""
        seg = self.open_segments()
        self._append(seg.task, seg.worker, seg.state, seg.start, seg.end)
        self._open_s[:] = np.where(self._open_s == _NONE, _NONE, _DONE)
        reconcile_gil(self)
        self.generation += 1

    def replace_segments(self, task, worker, state, start, end) -> None:
        """Put these closed segments in place of all of them (a rule such as GIL exclusion rewrote
        the trace). Views see a new generation and a new count of :attr:`rewrites`."""
        self._n = 0
        if len(start) > self._capacity:
            self._alloc(len(start))
        self._append(task, worker, state, start, end)
        self.rewrites += 1
        self.generation += 1

    # -- derived lanes -------------------------------------------------
    def worker_lanes(self) -> Segments:
        """One lane per worker: what occupied it (see :mod:`.occupancy`), and ``idle`` in between.

        ``task`` holds the occupying task (or -1 for idle).
        """
        seg = self.segments()
        end_run = self.end_ns
        # One pass over every segment, not one scan per worker: a run may have 20,000 workers.
        ids = np.array(sorted(self.workers), dtype=np.int64)
        if not len(ids) or not len(seg):
            return _empty_segments()
        traits = [self.workers[int(w)].traits for w in ids]
        cooperative = np.array([t.cooperative for t in traits], dtype=bool)
        long_lived = np.array([t.long_lived for t in traits], dtype=bool)
        pos = np.minimum(np.searchsorted(ids, seg.worker), len(ids) - 1)
        listed = ids[pos] == seg.worker
        occupied = listed & np.where(cooperative[pos], occupies(True, seg.state), occupies(False, seg.state))
        idx = np.nonzero(occupied)[0]
        if not len(idx):
            return _empty_segments()
        # By worker, then start; ties keep their order in the trace (as a stable sort would).
        idx = idx[np.lexsort((seg.start[idx], pos[idx]))]
        lane = pos[idx]
        start, end = seg.start[idx], seg.end[idx]
        # Each lane's running furthest end, in one accumulate: rank the ends, and lift each lane
        # above the ones before it so the running maximum never carries from one lane into the next.
        ends, end_rank = np.unique(end, return_inverse=True)
        lifted = lane.astype(np.int64) * len(ends) + end_rank.reshape(-1)
        reach = ends[np.maximum.accumulate(lifted) - lane.astype(np.int64) * len(ends)]
        n = len(idx)
        same = lane[1:] == lane[:-1]
        # Idle: from one occupation's end to the next one's start, on the same lane.
        gaps = np.nonzero(same & (start[1:] > reach[:-1]))[0]
        last = np.nonzero(np.append(~same, True))[0]  # each lane's final occupation
        tail = last[long_lived[lane[last]] & (end_run > reach[last])]
        k_gap, k_tail = len(gaps), len(tail)
        # Per lane: its occupations (section 0), then its idle gaps and the idle tail (section 1).
        order = np.lexsort(
            (
                np.concatenate([np.arange(n), gaps + 1, np.full(k_tail, n)]),
                np.concatenate([np.zeros(n, np.int8), np.ones(k_gap + k_tail, np.int8)]),
                np.concatenate([lane, lane[gaps + 1], lane[tail]]),
            )
        )
        lanes = np.concatenate([lane, lane[gaps + 1], lane[tail]])[order]
        return Segments(
            np.concatenate([seg.task[idx], np.full(k_gap + k_tail, -1, np.int32)])[order],
            ids[lanes],
            np.concatenate([seg.state[idx], np.full(k_gap + k_tail, _IDLE, np.uint8)])[order],
            np.concatenate([start, reach[gaps], reach[tail]])[order],
            np.concatenate([end, start[gaps + 1], np.full(k_tail, end_run, np.int64)])[order],
        )

    # -- persistence support -------------------------------------------
    @classmethod
    def from_arrays(
        cls,
        header: dict,
        trailer: dict | None,
        workers: list[dict],
        columns: dict[str, np.ndarray],
        submitted: np.ndarray,
        finished: np.ndarray,
    ) -> Trace:
        """Rebuild a finished trace (for saved runs) without replaying events."""
        trace = cls()
        trace.apply_record({**header, "type": "header"})
        for w in workers:
            trace.apply_record({**w, "type": "worker"})
        if trailer is not None:
            trace.apply_record({**trailer, "type": "trailer"})
        n = len(columns["start"])
        trace._alloc(max(n, 1))
        trace._append(columns["task"], columns["worker"], columns["state"], columns["start"], columns["end"])
        trace.submitted = np.asarray(submitted, dtype=np.int64).copy()
        trace.finished = np.asarray(finished, dtype=np.int64).copy()
        trace._open_s[:] = _DONE
        trace._last_t = int(columns["end"].max()) if n else 0
        reconcile_gil(trace)  # runs saved before the rule: a no-op on those saved after it
        return trace

    def worker_records(self) -> list[dict[str, Any]]:
        return [dict(id=w.id, kind=w.kind, name=w.name, pid=w.pid) for w in self.workers.values()]


def _empty_segments() -> Segments:
    empty = np.empty(0, np.int64)
    return Segments(empty.astype(np.int32), empty, empty.astype(np.uint8), empty, empty)


def worker_labels(trace: Trace) -> dict[int, str]:
    """Readable names for a trace's workers: "thread 3", "worker 1" (a pool's), "event loop", "process 12345"."""
    counts: dict[str, int] = {}
    for info in trace.workers.values():
        counts[info.kind] = counts.get(info.kind, 0) + 1
    seen: dict[str, int] = {}
    labels: dict[int, str] = {}
    for wid, info in sorted(trace.workers.items()):
        seen[info.kind] = seen.get(info.kind, 0) + 1
        traits = info.traits
        if traits.own_gil and traits.labelled_by_pid:
            labels[wid] = f"{traits.noun} {info.pid}"
        elif traits.sole_label and counts[info.kind] == 1:
            labels[wid] = traits.sole_label
        else:
            labels[wid] = f"{traits.noun} {seen[info.kind]}"
    return labels
