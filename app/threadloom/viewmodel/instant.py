"""What every task and worker of a trace is doing at one instant (Qt-free).

:func:`snapshot_at` reads a finished (or stopped) trace at any instant through a
:class:`TraceIndex`; :func:`live_snapshot` reads the newest instant of a run in
progress. A :class:`Snapshot` answers questions by worker *traits* (shares the
GIL, cooperative, lives for the run), never by kind names, so a new model that
reuses a kind needs nothing here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from ..model import STATES, Trace, WorkerInfo, worker_labels
from ..model.gil import latest_acquirer
from ..wire import WorkerKind

#: A question about a worker's kind, asked of its traits.
TraitTest = Callable[[WorkerKind], bool]


def shares_gil(traits: WorkerKind) -> bool:
    """Runs in the probe's own interpreter and takes its GIL: a thread or an event loop."""
    return not traits.own_gil


def takes_turns(traits: WorkerKind) -> bool:
    """An OS thread of the probe, preempted at each switch interval: not a loop, not a process."""
    return not traits.own_gil and not traits.cooperative


def is_loop(traits: WorkerKind) -> bool:
    """Occupied only while code runs on it: its tasks take turns by awaiting."""
    return traits.cooperative


def is_pool_worker(traits: WorkerKind) -> bool:
    """Lives for the whole run and takes tasks from a queue: a pool's thread or process."""
    return traits.long_lived and not traits.cooperative


def has_own_gil(traits: WorkerKind) -> bool:
    """A process with an interpreter and a GIL of its own."""
    return traits.own_gil


def _started_for_the_run(traits: WorkerKind) -> bool:
    """A thread of the probe that no pool owns: the ones a task's own thread can be."""
    return not traits.own_gil and not traits.cooperative and not traits.long_lived


#: States of a task on an event loop that hold the loop (the rest wait off it).
_ON_LOOP = ("running", "native", "blocked")
#: States of a process's task that have it on a core.
_ON_CORE = ("running", "native")


@dataclass(frozen=True)
class TaskNow:
    """One task at the snapshot's instant."""

    id: int
    label: str
    group: str
    state: str
    worker: int
    since_ns: int
    prev_state: str | None = None


@dataclass(frozen=True)
class WorkerNow:
    info: WorkerInfo
    task: TaskNow | None  # what occupies it now; None = idle

    @property
    def traits(self) -> WorkerKind:
        return self.info.traits


@dataclass(frozen=True)
class LoopNow:
    """The tasks on the event loop(s), by what they do: the loop runs one, the rest wait."""

    running: list[TaskNow]
    blocked: list[TaskNow]  # blocking or native calls: the loop cannot turn
    ready: list[TaskNow]  # oldest first
    waiting: list[TaskNow]  # on timers and sockets, oldest first


@dataclass
class Snapshot:
    """Everything the scheduler view draws for one instant of one trace."""

    t_ns: int
    model: str
    scenario: str
    gil_enabled: bool
    switch_interval_ms: float | None
    cpu_count: int
    main_pid: int
    tasks: list[TaskNow] = field(default_factory=list)  # started and not finished
    workers: list[WorkerNow] = field(default_factory=list)
    done: int = 0
    not_started: int = 0
    total: int = 0
    group_kinds: dict[str, list[str]] = field(default_factory=dict)
    live: bool = False
    worker_names: dict[int, str] = field(default_factory=dict)  # as the timeline's rows name them
    lesson: str = ""  # the scenario's own lesson, if it has one

    def _traits_of(self) -> dict[int, WorkerKind]:
        return {w.info.id: w.info.traits for w in self.workers}

    def in_state(self, state: str, where: TraitTest | None = None) -> list[TaskNow]:
        """Tasks in ``state``, oldest first; with ``where``, only those on a worker that passes it."""
        traits = self._traits_of()
        out = [
            t
            for t in self.tasks
            if t.state == state and (where is None or (t.worker in traits and where(traits[t.worker])))
        ]
        return sorted(out, key=lambda t: (t.since_ns, t.id))

    def workers_where(self, test: TraitTest) -> list[WorkerNow]:
        """The workers whose traits pass ``test``, by id."""
        return [w for w in self.workers if test(w.info.traits)]

    def gil_sharing_workers(self) -> list[WorkerNow]:
        """Threads and event loops: every worker that takes the probe's GIL."""
        return self.workers_where(shares_gil)

    def thread_workers(self) -> list[WorkerNow]:
        """The probe's OS threads, which take turns on the GIL at each switch interval."""
        return self.workers_where(takes_turns)

    def loops(self) -> list[WorkerNow]:
        return self.workers_where(is_loop)

    def pool_workers(self) -> list[WorkerNow]:
        """A pool's workers, threads or processes."""
        return self.workers_where(is_pool_worker)

    def processes(self) -> list[WorkerNow]:
        """Workers with a GIL of their own."""
        return self.workers_where(has_own_gil)

    def tasks_on(self, workers: list[WorkerNow]) -> list[TaskNow]:
        ids = {w.info.id for w in workers}
        return [t for t in self.tasks if t.worker in ids]

    def loop_now(self) -> LoopNow:
        """The loop's tasks by what they do; computed once per snapshot (a live frame asks five times)."""
        key = (len(self.tasks), len(self.workers))
        cached = self.__dict__.get("_loop_now")
        if cached is not None and cached[0] == key:
            return cached[1]
        found = self._loop_now()
        self.__dict__["_loop_now"] = (key, found)
        return found

    def _loop_now(self) -> LoopNow:
        on_loop = self.tasks_on(self.loops())
        order = lambda t: (t.since_ns, t.id)  # noqa: E731
        return LoopNow(
            running=[t for t in on_loop if t.state == "running"],
            blocked=[t for t in on_loop if t.state in ("blocked", "native")],
            ready=sorted((t for t in on_loop if t.state == "ready"), key=order),
            waiting=sorted((t for t in on_loop if t.state == "io"), key=order),
        )

    def on_core(self) -> list[WorkerNow]:
        """Processes whose task is on a CPU now (running Python or native code)."""
        return [w for w in self.processes() if w.task and w.task.state in _ON_CORE]

    def off_core(self) -> list[WorkerNow]:
        """Processes idle or waiting (for I/O, or for a free core)."""
        on = self.on_core()
        return [w for w in self.processes() if w not in on]

    @property
    def gil_holder(self) -> TaskNow | None:
        """The task running Python in the probe's own process (the one with the GIL), if any.

        A process with a GIL of its own never holds the probe's; a task not yet on
        a known worker is in the probe. Overlaps are settled by
        :func:`threadloom.model.gil.latest_acquirer`.
        """
        traits = self._traits_of()
        running = [
            t for t in self.tasks if t.state == "running" and not (t.worker in traits and traits[t.worker].own_gil)
        ]
        return latest_acquirer(running)


class TraceIndex:
    """Segments of a finished trace sorted by (task, start), to read any instant quickly."""

    def __init__(self, trace: Trace) -> None:
        seg = trace.segments()
        self.trace = trace
        self.generation = trace.generation
        n = len(seg)
        self._span = int(seg.end.max()) + 1 if n else 1
        key = seg.task.astype(np.int64) * self._span + seg.start
        order = np.argsort(key, kind="stable")
        self._key = key[order]
        self._task = seg.task[order]
        self._worker = seg.worker[order]
        self._state = seg.state[order]
        self._start = seg.start[order]
        self._end = seg.end[order]

    def at(self, t_ns: int, inclusive: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Per task: the index of the segment covering ``t_ns`` (or -1), and that of the one before it.

        ``inclusive``: a segment that ends at ``t_ns`` covers it too (the last instant of a stopped run).
        """
        n_tasks = len(self.trace.tasks)
        if not len(self._key) or not n_tasks:
            return np.full(n_tasks, -1), np.full(n_tasks, -1)
        ids = np.arange(n_tasks, dtype=np.int64)
        t = min(max(int(t_ns), 0), self._span - 1)
        idx = np.searchsorted(self._key, ids * self._span + t, side="right") - 1
        safe = np.clip(idx, 0, None)
        ends = self._end[safe]
        covers = (idx >= 0) & (self._task[safe] == ids) & ((ends >= t) if inclusive else (ends > t))
        prev = safe - 1
        has_prev = covers & (prev >= 0) & (self._task[np.clip(prev, 0, None)] == ids)
        return np.where(covers, idx, -1), np.where(has_prev, prev, -1)

    def history(self, task_id: int, t0_ns: int, t1_ns: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The task's segments overlapping ``[t0_ns, t1_ns]``, clipped to it: (start, end, state)."""
        lo = np.searchsorted(self._key, task_id * self._span + max(0, t0_ns), side="left")
        hi = np.searchsorted(self._key, task_id * self._span + min(t1_ns, self._span - 1), side="right")
        lo = max(lo - 1, 0)  # the segment that started before t0 and is still open at t0
        sl = slice(lo, hi)
        mine = self._task[sl] == task_id
        start, end, state = self._start[sl][mine], self._end[sl][mine], self._state[sl][mine]
        keep = (end > t0_ns) & (start < t1_ns)
        return np.maximum(start[keep], t0_ns), np.minimum(end[keep], t1_ns), state[keep]


def history_window_ns(switch_interval_ms: float | None) -> int:
    """How much recent history to draw: four switch intervals, so each hand-off is visible."""
    ms = 4 * (switch_interval_ms or 5.0)
    return int(min(max(ms, 2.0), 200.0) * 1e6)


def history_tick_ns(switch_interval_ms: float | None) -> float:
    """The spacing of the history's tick marks: one switch interval (5 ms when the run did not say)."""
    return (switch_interval_ms or 5.0) * 1e6


#: Which tasks the history shows first when there is no room for all: those a person should look at.
_HISTORY_RANK = {"running": 0, "blocked": 1, "native": 2, "ready": 3, "io": 4, "queued": 5, "transfer": 3}


def history_rows(snap: Snapshot, rows: int) -> list[TaskNow]:
    """The ``rows`` tasks the history draws, by id."""
    tasks = sorted(snap.tasks, key=lambda t: (_HISTORY_RANK.get(t.state, 6), t.id))[:rows]
    tasks.sort(key=lambda t: t.id)
    return tasks


def _base_snapshot(trace: Trace, t_ns: int, live: bool) -> Snapshot:
    header = trace.header
    return Snapshot(
        t_ns=int(t_ns),
        model=trace.model,
        scenario=str(header.get("scenario", "")),
        gil_enabled=bool(header.get("gil_enabled", True)),
        switch_interval_ms=header.get("switch_interval_ms"),
        cpu_count=int(header.get("cpu_count", 1) or 1),
        main_pid=int(header.get("pid", 0) or 0),
        total=len(trace.tasks),
        group_kinds={k: list(v) for k, v in header.get("groups", {}).items()},
        live=live,
        lesson=header.get("lesson") if isinstance(header.get("lesson"), str) else "",
    )


def _adopt_unplaced(snap: Snapshot, trace: Trace) -> None:
    """Give a task that has no worker yet (worker -1) the thread named after it, if there is one.

    A model that starts a thread per task records the task as ready the moment
    its thread starts, before that thread has run a bytecode and registered
    itself as a worker: that thread is waiting for the GIL, and its card should
    say so.
    """
    by_name = {w.name: wid for wid, w in trace.workers.items() if _started_for_the_run(w.traits)}
    for i, task in enumerate(snap.tasks):
        if task.worker not in trace.workers and task.state != "queued" and task.label in by_name:
            snap.tasks[i] = replace(task, worker=by_name[task.label])


def _fill_workers(snap: Snapshot, trace: Trace) -> None:
    _adopt_unplaced(snap, trace)
    occupant: dict[int, TaskNow] = {}
    for task in snap.tasks:
        info = trace.workers.get(task.worker)
        if info is None:
            continue
        occupies = task.state in _ON_LOOP if info.traits.cooperative else task.state != "queued"
        if not occupies:
            continue
        current = occupant.get(task.worker)
        # A worker shows its most recent occupant if measurement noise overlaps two.
        if current is None or task.since_ns >= current.since_ns:
            occupant[task.worker] = task
    snap.workers = [WorkerNow(info, occupant.get(wid)) for wid, info in sorted(trace.workers.items())]
    snap.worker_names = worker_labels(trace)


def snapshot_at(trace: Trace, t_ns: int, index: TraceIndex | None = None) -> Snapshot:
    """What every task and worker of a finished (or stopped) trace was doing at ``t_ns``."""
    snap = _base_snapshot(trace, t_ns, live=False)
    if not trace.tasks:
        return snap
    index = index if index is not None and index.generation == trace.generation else TraceIndex(trace)
    cover, prev = index.at(t_ns)
    submitted, finished = trace.submitted, trace.finished
    snap.done = int(((finished >= 0) & (finished <= t_ns)).sum())
    snap.not_started = int(((submitted < 0) | (submitted > t_ns)).sum())
    last_end = index._span - 1
    if t_ns >= last_end > 0 and snap.done < snap.total:
        # A stopped run ends where its last segments end: its last instant is what was going on then,
        # each unfinished task in the state it was in when the run stopped.
        cover, prev = index.at(last_end, inclusive=True)
        cover = np.where((finished >= 0) & (finished <= t_ns), -1, cover)
    for task_id in np.nonzero(cover >= 0)[0]:
        i = cover[task_id]
        p = prev[task_id]
        info = trace.tasks[task_id]
        prev_state = STATES[index._state[p]] if p >= 0 and index._end[p] >= index._start[i] - _TOUCHING_NS else None
        snap.tasks.append(
            TaskNow(
                int(task_id),
                info.label,
                info.group,
                STATES[index._state[i]],
                int(index._worker[i]),
                int(index._start[i]),
                prev_state,
            )
        )
    _fill_workers(snap, trace)
    return snap


#: Two segments of a task closer than this are one after the other (what it did just before).
_TOUCHING_NS = 1000
#: How many of a live trace's newest closed segments are searched for what each task did before.
_RECENT_SEGMENTS = 8192


def _states_before(trace: Trace) -> dict[int, tuple[str, int]]:
    """Per task, the state and end of its newest closed segment among the trace's most recent ones.

    A live trace appends a task's segments in time order, so its last one there is the one before
    its open segment; a task whose last change is older than that window waits for no reason worth
    naming anyway.
    """
    seg = trace.segments()
    lo = max(0, len(seg) - _RECENT_SEGMENTS)
    tail = seg.task[lo:][::-1]
    if not len(tail):
        return {}
    ids, first = np.unique(tail, return_index=True)
    at = lo + len(tail) - 1 - first
    states, ends = seg.state[at].tolist(), seg.end[at].tolist()
    return {t: (STATES[s], e) for t, s, e in zip(ids.tolist(), states, ends, strict=True)}


def live_snapshot(trace: Trace) -> Snapshot:
    """The newest instant of a live run: every task's open segment is what it does now."""
    snap = _base_snapshot(trace, trace.end_ns, live=True)
    if not trace.tasks:
        return snap
    seg = trace.open_segments()
    before = _states_before(trace)
    tasks = trace.tasks
    # Plain ints from tolist(): a live frame builds this for hundreds of tasks, twenty times a second.
    for task_id, worker, state, start in zip(
        seg.task.tolist(), seg.worker.tolist(), seg.state.tolist(), seg.start.tolist(), strict=True
    ):
        info = tasks[task_id]
        prev = before.get(task_id)
        # The same rule as snapshot_at's: the state before counts if it ended where this one began.
        prev_state = prev[0] if prev is not None and prev[1] >= start - _TOUCHING_NS else None
        snap.tasks.append(TaskNow(task_id, info.label, info.group, STATES[state], worker, start, prev_state))
    snap.done = int((trace.finished >= 0).sum())
    snap.not_started = max(0, snap.total - snap.done - len(snap.tasks))
    _fill_workers(snap, trace)
    return snap


__all__ = [
    "LoopNow",
    "Snapshot",
    "TaskNow",
    "TraceIndex",
    "TraitTest",
    "WorkerNow",
    "has_own_gil",
    "history_rows",
    "history_tick_ns",
    "history_window_ns",
    "is_loop",
    "is_pool_worker",
    "live_snapshot",
    "shares_gil",
    "snapshot_at",
    "takes_turns",
]
