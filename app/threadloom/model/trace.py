"""The columnar trace: every segment of every task, in numpy arrays.

A segment is ``(task, worker, state, start, end)`` with times in nanoseconds
since the run's start (``header["t0_ns"]``). Segments grow while a run is
live; readers take :meth:`Trace.segments`, a consistent snapshot of views.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ..errors import WireFormatError
from ..probe.models import MODELS, ModelSpec
from ..wire import STATE_CODES, STATE_NAMES, TASK_DONE, WORKER_THREAD, WorkerKind, worker_kind
from .occupancy import occupies

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
    def apply_record(self, record: dict[str, Any]) -> None:
        """Take one JSON record from the wire (header, worker, trailer, error...)."""
        kind = record.get("type")
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
        elif kind == "error":
            self.error = record
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
            raise WireFormatError(f"the probe sent an event for task {int(task[-1])}, which its header does not list")
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

    def close_open_segments(self) -> None:
        """End every open segment at the last event: keeps a stopped run's partial trace whole."""
        seg = self.open_segments()
        self._append(seg.task, seg.worker, seg.state, seg.start, seg.end)
        self._open_s[:] = np.where(self._open_s == _NONE, _NONE, _DONE)
        self.generation += 1

    # -- derived lanes -------------------------------------------------
    def worker_lanes(self) -> Segments:
        """One lane per worker: what occupied it (see :mod:`.occupancy`), and ``idle`` in between.

        ``task`` holds the occupying task (or -1 for idle).
        """
        seg = self.segments()
        end_run = self.end_ns
        out: list[tuple[np.ndarray, ...]] = []
        for wid, info in sorted(self.workers.items()):
            mask = (seg.worker == wid) & occupies(info.traits.cooperative, seg.state)
            idx = np.nonzero(mask)[0]
            if not len(idx):
                continue
            idx = idx[np.argsort(seg.start[idx], kind="stable")]
            start, end = seg.start[idx], seg.end[idx]
            # Idle: from one occupation's end to the next one's start.
            reach = np.maximum.accumulate(end)
            gap_start = reach[:-1]
            gap_end = start[1:]
            gaps = gap_end > gap_start
            idle_start, idle_end = gap_start[gaps], gap_end[gaps]
            if info.traits.long_lived and end_run > reach[-1]:
                idle_start = np.append(idle_start, reach[-1])
                idle_end = np.append(idle_end, end_run)
            k, m = len(idx), len(idle_start)
            out.append(
                (
                    np.concatenate([seg.task[idx], np.full(m, -1, np.int32)]),
                    np.full(k + m, wid, np.int64),
                    np.concatenate([seg.state[idx], np.full(m, _IDLE, np.uint8)]),
                    np.concatenate([start, idle_start]),
                    np.concatenate([end, idle_end]),
                )
            )
        if not out:
            empty = np.empty(0, np.int64)
            return Segments(empty.astype(np.int32), empty, empty.astype(np.uint8), empty, empty)
        cols = [np.concatenate(c) for c in zip(*out, strict=False)]
        return Segments(*cols)

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
        return trace

    def worker_records(self) -> list[dict[str, Any]]:
        return [dict(id=w.id, kind=w.kind, name=w.name, pid=w.pid) for w in self.workers.values()]


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
        if traits.own_gil:
            labels[wid] = f"{traits.noun} {info.pid}"
        elif traits.sole_label and counts[info.kind] == 1:
            labels[wid] = traits.sole_label
        else:
            labels[wid] = f"{traits.noun} {seen[info.kind]}"
    return labels
