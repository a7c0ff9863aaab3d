"""The animated scheduler view: who holds the GIL, who waits for it, the pool's queue, the event loop.

:func:`snapshot_at` (Qt-free) reads the trace at one instant; :class:`SchedulerView`
draws that snapshot with ``QPainter`` and explains it in one-line captions, so
that a person sees *why* a thread waits without reading any code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from PySide6.QtCore import QEasingCurve, QPointF, QRectF, QSize, Qt, QVariantAnimation
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..model import STATES, Trace, WorkerInfo, worker_labels
from .palette import state_color, theme

_CODE = {name: code for code, name in enumerate(STATES)}
_THREAD_KINDS = ("thread", "pool-thread", "main", "loop")
#: What a thread's card says it is doing, by the state of the task on it.
_DOING = {
    "running": "holds the GIL, runs Python",
    "native": "runs C code, GIL released",
    "ready": "ready: waits for the GIL",
    "io": "waits on I/O; GIL released",
    "blocked": "blocked in a call; GIL released",
    "queued": "queued",
    "idle": "idle",
}
_GIL_GOLD = QColor("#F2C230")


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

    def in_state(self, state: str, kinds: tuple[str, ...] | None = None) -> list[TaskNow]:
        kind_of = {w.info.id: w.info.kind for w in self.workers}
        out = [t for t in self.tasks if t.state == state and (kinds is None or kind_of.get(t.worker) in kinds)]
        return sorted(out, key=lambda t: (t.since_ns, t.id))

    def workers_of(self, *kinds: str) -> list[WorkerNow]:
        return [w for w in self.workers if w.info.kind in kinds]

    @property
    def gil_holder(self) -> TaskNow | None:
        """The task running Python in the probe's own process (the one with the GIL), if any.

        Hand-offs are measured, so two ``running`` stretches can overlap by a few
        microseconds; the most recent acquirer is the holder.
        """
        kind_of = {w.info.id: w.info for w in self.workers}
        running = [
            t
            for t in self.tasks
            if t.state == "running" and (t.worker not in kind_of or kind_of[t.worker].kind != "process")
        ]
        return max(running, key=lambda t: (t.since_ns, t.id)) if running else None


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

    def at(self, t_ns: int) -> tuple[np.ndarray, np.ndarray]:
        """Per task: the index of the segment covering ``t_ns`` (or -1), and that of the one before it."""
        n_tasks = len(self.trace.tasks)
        if not len(self._key) or not n_tasks:
            return np.full(n_tasks, -1), np.full(n_tasks, -1)
        ids = np.arange(n_tasks, dtype=np.int64)
        t = min(max(int(t_ns), 0), self._span - 1)
        idx = np.searchsorted(self._key, ids * self._span + t, side="right") - 1
        safe = np.clip(idx, 0, None)
        covers = (idx >= 0) & (self._task[safe] == ids) & (self._end[safe] > t)
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
    )


def _adopt_unplaced(snap: Snapshot, trace: Trace) -> None:
    """Give a task that has no worker yet (worker -1) the thread named after it, if there is one.

    The threads model records a task as ready the moment its thread starts, before
    that thread has run a bytecode and registered itself as a worker: that thread
    is waiting for the GIL, and its card should say so.
    """
    by_name = {w.name: wid for wid, w in trace.workers.items() if w.kind in ("thread", "main")}
    for i, task in enumerate(snap.tasks):
        if task.worker not in trace.workers and task.state != "queued" and task.label in by_name:
            snap.tasks[i] = replace(task, worker=by_name[task.label])


def _fill_workers(snap: Snapshot, trace: Trace) -> None:
    _adopt_unplaced(snap, trace)
    occupant: dict[int, TaskNow] = {}
    for task in snap.tasks:
        kind = trace.workers[task.worker].kind if task.worker in trace.workers else None
        if kind is None:
            continue
        occupies = task.state in ("running", "native", "blocked") if kind == "loop" else task.state != "queued"
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
    for task_id in np.nonzero(cover >= 0)[0]:
        i = cover[task_id]
        p = prev[task_id]
        info = trace.tasks[task_id]
        prev_state = STATES[index._state[p]] if p >= 0 and index._end[p] >= index._start[i] - 1000 else None
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


def live_snapshot(trace: Trace) -> Snapshot:
    """The newest instant of a live run: every task's open segment is what it does now."""
    snap = _base_snapshot(trace, trace.end_ns, live=True)
    if not trace.tasks:
        return snap
    seg = trace.open_segments()
    for task_id, worker, state, start in zip(seg.task, seg.worker, seg.state, seg.start, strict=False):
        info = trace.tasks[int(task_id)]
        snap.tasks.append(TaskNow(int(task_id), info.label, info.group, STATES[state], int(worker), int(start)))
    snap.done = int((trace.finished >= 0).sum())
    snap.not_started = max(0, snap.total - snap.done - len(snap.tasks))
    _fill_workers(snap, trace)
    return snap


# -- captions (Qt-free, one line each) --------------------------------------
def _ago(snap: Snapshot, task: TaskNow) -> str:
    return f"{max(0.0, (snap.t_ns - task.since_ns) / 1e6):.1f} ms"


def _why_ready(snap: Snapshot, task: TaskNow) -> str:
    kinds = snap.group_kinds.get(task.group, [])
    if task.prev_state == "io":
        if "net" in kinds and "io" not in kinds:
            what = "its reply arrived"
        elif "io" in kinds and "net" not in kinds:
            what = "its sleep ended"
        else:
            what = "its I/O finished"
        return f"{what} {_ago(snap, task)} ago"
    if task.prev_state == "running":
        interval = f" ({snap.switch_interval_ms:g} ms switch interval)" if snap.switch_interval_ms else ""
        return f"it was made to drop the GIL {_ago(snap, task)} ago{interval}"
    if task.prev_state in ("native", "blocked"):
        return f"its call returned {_ago(snap, task)} ago and it needs the GIL back"
    return f"waiting for {_ago(snap, task)}"


def gil_caption(snap: Snapshot) -> str:
    threads = snap.workers_of("thread", "pool-thread", "main", "loop")
    if not snap.gil_enabled:
        running = [w for w in threads if w.task and w.task.state == "running"]
        return f"No GIL on this interpreter: {len(running)} threads run Python code at the same time."
    holder = snap.gil_holder
    ready = snap.in_state("ready", ("thread", "pool-thread", "main"))
    native = [w.task for w in threads if w.task and w.task.state == "native"]
    if holder is None:
        if native:
            return f"Nobody holds the GIL: {native[0].label} runs C code with it released."
        if len(ready) == 1 and snap.t_ns - ready[0].since_ns < 500_000:
            return f"The GIL is changing hands: {ready[0].label} is about to take it."
        if ready:
            who = f"{ready[0].label} is" if len(ready) == 1 else f"{len(ready)} threads are"
            return (
                f"Nobody runs Python at this instant although {who} ready: "
                "the OS has the process off its CPU (a busy machine)."
            )
        return "Nobody holds the GIL: every thread waits on I/O, a timer or a blocking call."
    head = f"{holder.label} holds the GIL"
    if holder.state == "running" and snap.t_ns - holder.since_ns > 0:
        head += f" (for {_ago(snap, holder)})"
    if not ready:
        if native:
            return f"{head}; {native[0].label} runs C code beside it, the GIL released."
        return f"{head}; no other thread wants it."
    first = ready[0]
    if len(ready) == 1:
        return f"{head}; {first.label} is ready: {_why_ready(snap, first)}."
    return f"{head}; {len(ready)} threads wait for it, the longest {first.label}: {_why_ready(snap, first)}."


def loop_caption(snap: Snapshot) -> str:
    loop_ids = {w.info.id for w in snap.workers_of("loop")}
    on_loop = [t for t in snap.tasks if t.worker in loop_ids]
    ready = [t for t in on_loop if t.state == "ready"]
    waiting = [t for t in on_loop if t.state == "io"]
    blocked = [t for t in on_loop if t.state in ("blocked", "native")]
    running = [t for t in on_loop if t.state == "running"]
    if blocked:
        b = blocked[0]
        frozen = len(ready) + len(waiting)
        return (
            f"{b.label} made a blocking call {_ago(snap, b)} ago: the loop cannot turn, so {frozen} "
            "coroutines are frozen, even those whose timers have fired."
        )
    if running:
        r = running[-1]
        if snap.t_ns - r.since_ns > 20e6:
            return (
                f"{r.label} has run for {_ago(snap, r)} without an await: "
                f"{len(ready)} ready coroutines cannot run until it yields."
            )
        return (
            f"The loop runs {r.label}; {len(ready)} coroutines wait their turn, "
            f"{len(waiting)} wait on timers or sockets."
        )
    if ready:
        return f"The loop is between coroutines: {len(ready)} are ready to run next."
    return f"The loop sleeps in select(): {len(waiting)} coroutines wait on timers or sockets."


def pool_caption(snap: Snapshot) -> str:
    queued = snap.in_state("queued")
    workers = snap.workers_of("pool-thread", "process")
    busy = [w for w in workers if w.task is not None]
    if queued:
        verb = "are" if len(busy) != 1 else "is"
        return (
            f"{len(queued)} tasks wait in the pool's queue: {len(busy)} of {len(workers)} workers {verb} busy, "
            "and a task only starts when a worker is free."
        )
    if workers:
        return f"The queue is empty: {len(workers) - len(busy)} of {len(workers)} workers are idle."
    return "The queue is empty."


def process_caption(snap: Snapshot) -> str:
    procs = snap.workers_of("process")
    running = [w for w in procs if w.task and w.task.state in ("running", "native")]
    ready = [w for w in procs if w.task and w.task.state == "ready"]
    text = f"Each process has its own interpreter and GIL: {len(running)} run Python at once on {snap.cpu_count} cores."
    if ready:
        text += f" {len(ready)} wait for a free core."
    return text


_LESSONS = {
    "threads": (
        "Why does an I/O thread slow down beside a CPU-bound one? When its reply arrives it is ready, but it "
        "must wait for the GIL, and the cruncher only hands it over when its switch interval runs out. Watch "
        "the token: the orange card waits up to one switch interval every time."
    ),
    "thread-pool": (
        "A pool runs at most as many tasks as it has workers; the rest wait in its queue. Threads waiting on "
        "I/O release the GIL, so a pool of I/O tasks overlaps its waits; a pool of CPU work still takes turns "
        "on the one GIL."
    ),
    "asyncio": (
        "Why does one blocking call freeze every coroutine? The loop runs one coroutine at a time on one thread, "
        "and switches only when that coroutine awaits. A time.sleep or a long computation never awaits, so the "
        "ring stops turning and everyone else waits, even coroutines whose timers fired long ago."
    ),
    "asyncio-offload": (
        "Blocking and CPU-bound steps go to a thread pool (run_in_executor), so the loop keeps turning while "
        "they run. CPU-bound Python in those threads still needs the GIL, so the loop thread may have to wait "
        "for it."
    ),
    "process-pool": (
        "Processes share no GIL: each has its own interpreter, so CPU-bound Python really runs in parallel, up "
        "to one process per core. The price: starting processes and copying data between them."
    ),
    "sequential": "The baseline: one task after another, nothing overlaps. Every other model is measured against it.",
}


def lesson(snap: Snapshot) -> str:
    """One paragraph on what this model teaches (empty when the GIL is off: the captions say it)."""
    if not snap.gil_enabled and snap.model in ("threads", "thread-pool"):
        return (
            "This interpreter has no GIL: threads running Python code really run at once, so there is no "
            "token to wait for."
        )
    if snap.model == "threads":
        return _threads_lesson({kind for kinds in snap.group_kinds.values() for kind in kinds})
    return _LESSONS.get(snap.model, "")


def _threads_lesson(kinds: set[str]) -> str:
    """Threads teach different things depending on what the scenario's tasks do."""
    waits = bool(kinds & {"io", "net", "block"})
    if "cpu" in kinds and waits:
        return _LESSONS["threads"]
    if "cpu" in kinds:
        return (
            "Pure-Python threads take turns on the one GIL: each holds it for about a switch interval, then hands "
            "it on. Several crunchers in threads take as long as running them one after another. Watch the token "
            "go round while the others sit ready."
        )
    if "native" in kinds:
        return (
            "Hashing runs in C with the GIL released, so these threads really run on different cores at once. "
            "They need the token only for the moment between two chunks of work."
        )
    return (
        "Threads waiting on timers or the network release the GIL, so their waits overlap and the token is "
        "hardly ever in demand. Threads are a fine fit for I/O."
    )


# -- drawing -------------------------------------------------------------
@dataclass
class _Card:
    rect: QRectF
    title: str
    detail: str
    state: str
    task_id: int | None
    worker_id: int | None = None


class SchedulerView(QWidget):
    """Draws a :class:`Snapshot`: the GIL token, thread cards, the pool's queue, the loop, the cores.

    Feed it with :meth:`set_trace` then :meth:`set_time_ms` (replay), or
    :meth:`show_live` (a run in progress).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumWidth(360)
        self._dark = False
        self._trace: Trace | None = None
        self._label = ""
        self._index: TraceIndex | None = None
        self._snap: Snapshot | None = None
        self._token_from: QPointF | None = None
        self._token_to: QPointF | None = None
        self._token_holder: int | None = None
        self._token_anchor: dict[int, QPointF] = {}
        self._token_anim = QVariantAnimation(self)
        self._token_anim.setDuration(180)
        self._token_anim.setStartValue(0.0)
        self._token_anim.setEndValue(1.0)
        self._token_anim.setEasingCurve(QEasingCurve.Type.OutCubic)
        self._token_progress = 1.0
        # The progress is kept from the signal: QVariantAnimation.currentValue() before the first
        # start returns an unreferenced None in PySide6 6.12 on Python 3.11.
        self._token_anim.valueChanged.connect(self._on_token_progress)
        self.setToolTip(
            "The scheduler at the replay time. The gold token is the GIL: only the thread holding it runs "
            "Python code. Orange cards are ready: they could run but wait for the GIL."
        )

    # -- feeding -----------------------------------------------------------
    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        self.update()

    def set_trace(self, trace: Trace | None, label: str = "", index: TraceIndex | None = None) -> None:
        """Show ``trace`` (finished or stopped); call :meth:`set_time_ms` to pick the instant.

        ``index`` is a :class:`TraceIndex` of the trace if one was built already (it is built on demand).
        """
        self._trace, self._label = trace, label
        self._index = index if index is not None and trace is not None and index.trace is trace else None
        self._snap = None
        self.update()

    def show_live(self, trace: Trace, label: str = "") -> None:
        """Draw the newest instant of a run in progress."""
        self._trace, self._label, self._index = trace, label, None
        self._set_snapshot(live_snapshot(trace) if trace.header else None)

    def set_time_ms(self, ms: float) -> None:
        trace = self._trace
        if trace is None or not trace.header:
            self._set_snapshot(None)
            return
        if self._index is None or self._index.generation != trace.generation:
            self._index = TraceIndex(trace)
        self._set_snapshot(snapshot_at(trace, int(ms * 1e6), self._index))

    def snapshot(self) -> Snapshot | None:
        return self._snap

    def gil_holder(self) -> str | None:
        """Label of the task that holds the GIL in what is drawn now (``None``: nobody)."""
        holder = self._snap.gil_holder if self._snap else None
        return holder.label if holder else None

    def _set_snapshot(self, snap: Snapshot | None) -> None:
        self._snap = snap
        holder = snap.gil_holder if snap else None
        holder_id = holder.id if holder else None
        if holder_id != self._token_holder:
            self._token_from = self._token_to
            self._token_holder = holder_id
            self._token_anim.stop()
            self._token_anim.start()
        self.update()

    def _on_token_progress(self, value: float) -> None:
        self._token_progress = float(value)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(460, 700)

    # -- painting ----------------------------------------------------------
    def _c(self, state: str) -> QColor:
        return state_color(state, self._dark)

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        th = theme(self._dark)
        p.fillRect(self.rect(), QColor(th.background))
        r = QRectF(self.rect()).adjusted(16, 12, -16, -12)
        snap = self._snap
        if snap is None:
            self._paint_empty(p, r)
            p.end()
            return
        self._token_anchor.clear()
        y = self._paint_header(p, r, snap)
        bottom = r.bottom() - 26
        sections = self._sections(snap)
        for i, (title, painter, caption) in enumerate(sections):
            remaining = len(sections) - i
            budget = (bottom - y) / remaining
            y = self._paint_section(p, QRectF(r.left(), y, r.width(), budget), title, painter, caption)
            y += 14
        self._paint_lesson(p, QRectF(r.left(), y, r.width(), bottom - y - 8), snap)
        self._paint_legend(p, QRectF(r.left(), r.bottom() - 18, r.width(), 18), snap)
        self._paint_token(p, snap)
        p.end()

    def _font(self, size: float, bold: bool = False) -> QFont:
        f = QFont(self.font())
        f.setPointSizeF(size)
        f.setBold(bold)
        return f

    def _paint_empty(self, p: QPainter, r: QRectF) -> None:
        th = theme(self._dark)
        p.setPen(QColor(th.muted))
        p.setFont(self._font(11))
        p.drawText(
            r,
            Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
            "The scheduler view shows who holds the GIL, who waits for it, the pool's queue and the "
            "event loop, at any instant of a run.\n\nRun a scenario (Ctrl+R), then scrub or play the replay.",
        )

    def _paint_header(self, p: QPainter, r: QRectF, snap: Snapshot) -> float:
        th = theme(self._dark)
        p.setPen(QColor(th.foreground))
        p.setFont(self._font(13, True))
        when = "live" if snap.live else "at"
        title = f"{self._label or snap.model}  ·  {when} {snap.t_ns / 1e6:,.2f} ms"
        p.drawText(
            QRectF(r.left(), r.top(), r.width(), 22), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title
        )
        p.setFont(self._font(9))
        p.setPen(QColor(th.muted))
        gil = "GIL on" if snap.gil_enabled else "no GIL"
        switch = f" · switch interval {snap.switch_interval_ms:g} ms" if snap.switch_interval_ms else ""
        active = len(snap.tasks)
        sub = (
            f"{snap.model} · {gil}{switch} · {snap.cpu_count} CPUs\n"
            f"{snap.done} of {snap.total} tasks done · {active} active · {snap.not_started} not started yet"
        )
        p.drawText(QRectF(r.left(), r.top() + 24, r.width(), 32), Qt.AlignmentFlag.AlignLeft, sub)
        return r.top() + 64

    def _sections(self, snap: Snapshot) -> list:
        sections = self._model_sections(snap)
        if snap.total and not snap.tasks and sections:
            # Before the first task and after the last, the usual captions would explain nothing.
            if snap.done == snap.total:
                note = (
                    f"All {snap.total} tasks are done ({snap.t_ns / 1e6:,.1f} ms). Press Space to replay the run "
                    "in slow motion, or scrub the replay bar."
                )
            else:
                note = "No task has been submitted yet at this instant."
            sections = [(t, f, "") for t, f, _c in sections]
            title, painter, _c = sections[-1]
            sections[-1] = (title, painter, note)
        return sections

    def _model_sections(self, snap: Snapshot) -> list:
        kinds = {w.info.kind for w in snap.workers}
        threads = snap.workers_of("thread", "pool-thread", "main", "loop")
        sections = []
        if "loop" in kinds:
            sections.append(("EVENT LOOP", self._paint_loop, loop_caption(snap)))
        has_pool = bool(kinds & {"pool-thread", "process"}) or any(t.state == "queued" for t in snap.tasks)
        if has_pool:
            sections.append(("POOL QUEUE", self._paint_queue, pool_caption(snap)))
        if threads and (kinds - {"loop"}) & set(_THREAD_KINDS):
            sections.append(("THREADS AND THE GIL", self._paint_threads, gil_caption(snap)))
        if "process" in kinds:
            sections.append(("PROCESSES ON CORES", self._paint_processes, process_caption(snap)))
        if self._index is not None and not snap.live and snap.tasks:
            window_ms = history_window_ns(snap.switch_interval_ms) / 1e6
            sections.append(
                (
                    f"THE LAST {window_ms:g} MS",
                    self._paint_history,
                    f"Each row is one task's last {window_ms:g} ms, the present on the right. Vermilion is "
                    "ready: able to run but waiting for the GIL (or its turn on the loop); amber is queued: "
                    "waiting for a free worker.",
                )
            )
        return sections

    def _paint_section(self, p: QPainter, box: QRectF, title: str, painter, caption: str) -> float:
        th = theme(self._dark)
        p.setFont(self._font(8.5, True))
        p.setPen(QColor(th.muted))
        p.drawText(QRectF(box.left(), box.top(), box.width(), 16), Qt.AlignmentFlag.AlignLeft, title)
        p.setPen(QPen(QColor(th.grid), 1))
        fm = QFontMetricsF(p.font())
        x0 = box.left() + fm.horizontalAdvance(title) + 8
        p.drawLine(QPointF(x0, box.top() + 8), QPointF(box.right(), box.top() + 8))
        cap_font = self._font(9.5)
        cfm = QFontMetricsF(cap_font)
        cap_h = cfm.boundingRect(QRectF(0, 0, box.width(), 200), Qt.TextFlag.TextWordWrap, caption).height() + 4
        if not caption:
            cap_h = 0.0
        content = QRectF(box.left(), box.top() + 20, box.width(), max(30.0, box.height() - 28 - cap_h))
        used = painter(p, content)
        cap_top = content.top() + used + 6
        p.setFont(cap_font)
        p.setPen(QColor(th.foreground))
        p.drawText(QRectF(box.left(), cap_top, box.width(), cap_h), Qt.TextFlag.TextWordWrap, caption)
        return cap_top + cap_h

    # cards -----------------------------------------------------------------
    def _paint_card(self, p: QPainter, card: _Card, highlight_ready: bool = True) -> None:
        th = theme(self._dark)
        color = self._c(card.state)
        fill = QColor(color)
        fill.setAlpha(60 if self._dark else 38)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(th.band))
        p.drawRoundedRect(card.rect, 7, 7)
        p.setBrush(fill)
        p.drawRoundedRect(card.rect, 7, 7)
        stripe = QRectF(card.rect.left(), card.rect.top(), 5, card.rect.height())
        path = QPainterPath()
        path.addRoundedRect(card.rect, 7, 7)
        p.save()
        p.setClipPath(path)
        p.fillRect(stripe, color)
        p.restore()
        if card.state == "ready" and highlight_ready:
            pen = QPen(color, 1.6, Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(card.rect.adjusted(0.8, 0.8, -0.8, -0.8), 7, 7)
        text_r = card.rect.adjusted(12, 4, -30, -4)
        p.setPen(QColor(th.foreground))
        p.setFont(self._font(9.5, True))
        fm = QFontMetricsF(p.font())
        p.drawText(
            QRectF(text_r.left(), text_r.top(), text_r.width(), text_r.height() / 2),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(card.title, Qt.TextElideMode.ElideRight, text_r.width()),
        )
        p.setFont(self._font(8.5))
        p.setPen(QColor(th.muted) if card.state in ("idle", "io") else QColor(th.foreground))
        fm = QFontMetricsF(p.font())
        p.drawText(
            QRectF(text_r.left(), text_r.center().y(), text_r.width(), text_r.height() / 2),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(card.detail, Qt.TextElideMode.ElideRight, text_r.width()),
        )
        if card.task_id is not None:
            self._token_anchor[card.task_id] = QPointF(card.rect.right() - 16, card.rect.center().y())

    def _grid(self, r: QRectF, n: int, min_w: float, h: float, gap: float = 8) -> tuple[int, int, float]:
        cols = max(1, min(n, int((r.width() + gap) // (min_w + gap))))
        rows_fit = max(1, int((r.height() + gap) // (h + gap)))
        width = (r.width() - gap * (cols - 1)) / cols
        return cols, rows_fit, width

    def _paint_threads(self, p: QPainter, r: QRectF) -> float:
        snap = self._snap
        assert snap is not None
        workers = snap.workers_of("loop", "main", "thread", "pool-thread")
        h = 50.0 if len(workers) <= 4 else 44.0
        cols, rows_fit, width = self._grid(r, len(workers), 150, h)
        capacity = cols * rows_fit
        shown = workers
        hidden = 0
        if len(workers) > capacity:
            # Too many threads to draw: keep the ones a person should look at.
            rank = {"running": 0, "ready": 1, "native": 2, "blocked": 3, "io": 4}
            keep = sorted(workers, key=lambda w: (rank.get(w.task.state, 5) if w.task else 6, w.info.id))
            keep = keep[: capacity - 1]
            hidden = len(workers) - len(keep)
            shown = sorted(keep, key=lambda w: w.info.id)
        holder = snap.gil_holder
        labels = snap.worker_names
        cards = []
        for i, w in enumerate(shown):
            row, col = divmod(i, cols)
            rect = QRectF(r.left() + col * (width + 8), r.top() + row * (h + 8), width, h)
            task = w.task
            if w.info.kind == "thread" and task and task.label == w.info.name:
                title = w.info.name  # one thread per task, named after it
            else:
                # The same names as the timeline's worker rows.
                title = labels.get(w.info.id, w.info.name) + (f" · {task.label}" if task else "")
            state = task.state if task else "idle"
            detail = _DOING.get(state, state)
            if state == "ready" and task is not None:
                detail = f"ready: waits for the GIL, {_ago(snap, task)}"
            elif (
                state == "running"
                and task is not None
                and snap.gil_enabled
                and holder is not None
                and task.id != holder.id
            ):
                detail = "runs Python: the GIL is changing hands"
            elif w.info.kind == "loop" and state == "running":
                detail = "holds the GIL, runs the loop"
            cards.append(_Card(rect, title, detail, state, task.id if task else None, w.info.id))
        for card in cards:
            self._paint_card(p, card)
        used = 0.0
        if cards:
            used = cards[-1].rect.bottom() - r.top()
        if hidden:
            i = len(shown)
            row, col = divmod(i, cols)
            rect = QRectF(r.left() + col * (width + 8), r.top() + row * (h + 8), width, h)
            th = theme(self._dark)
            p.setPen(QPen(QColor(th.grid), 1, Qt.PenStyle.DashLine))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(rect, 7, 7)
            p.setPen(QColor(th.muted))
            p.setFont(self._font(9))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"+{hidden} more threads")
            used = max(used, rect.bottom() - r.top())
        self._paint_ready_arrows(p, cards)
        return used

    def _paint_ready_arrows(self, p: QPainter, cards: list[_Card]) -> None:
        """Thin dashed lines from each waiting thread to the token: they all want it."""
        snap = self._snap
        holder = snap.gil_holder if snap else None
        if holder is None or holder.id not in self._token_anchor:
            return
        target = self._token_anchor[holder.id]
        pen = QPen(self._c("ready"), 1.2, Qt.PenStyle.DotLine)
        p.setPen(pen)
        for card in cards[:24]:
            if card.state != "ready":
                continue
            if card.rect.top() <= target.y() <= card.rect.bottom():
                # Same row: from the card's near edge, so the line does not cross its text.
                x = card.rect.left() if card.rect.left() > target.x() else card.rect.right()
                start = QPointF(x, card.rect.center().y())
            else:
                start = QPointF(
                    card.rect.center().x(), card.rect.top() if card.rect.top() > target.y() else card.rect.bottom()
                )
            p.drawLine(start, target)

    def _paint_token(self, p: QPainter, snap: Snapshot) -> None:
        holder = snap.gil_holder
        if not snap.gil_enabled or holder is None or holder.id not in self._token_anchor:
            self._token_to = None
            return
        target = self._token_anchor[holder.id]
        self._token_to = target
        pos = target
        progress = self._token_progress
        if self._token_from is not None and self._token_anim.state() == QVariantAnimation.State.Running:
            pos = self._token_from + (target - self._token_from) * progress
        radius = 13.0
        p.setPen(QPen(QColor("#7A5C00"), 1.5))
        p.setBrush(_GIL_GOLD)
        p.drawEllipse(pos, radius, radius)
        p.setPen(QColor("#2B2100"))
        p.setFont(self._font(7.5, True))
        p.drawText(
            QRectF(pos.x() - radius, pos.y() - radius, 2 * radius, 2 * radius), Qt.AlignmentFlag.AlignCenter, "GIL"
        )

    # chips ----------------------------------------------------------------
    def _paint_chips(
        self, p: QPainter, r: QRectF, labels: list[str], state: str, max_rows: int, frozen: bool = False
    ) -> float:
        """Labels as small rounded chips, flowing left to right; the overflow becomes ``+N``."""
        th = theme(self._dark)
        p.setFont(self._font(8.5))
        fm = QFontMetricsF(p.font())
        h, gap = 20.0, 5.0
        x, y, row = r.left(), r.top(), 0
        color = self._c(state)
        for i, text in enumerate(labels):
            w = fm.horizontalAdvance(text) + 14
            rest = len(labels) - i
            more = f"+{rest}"
            more_w = fm.horizontalAdvance(more) + 14
            if x + w > r.right() or (row == max_rows - 1 and rest > 1 and x + w + gap + more_w > r.right()):
                if row == max_rows - 1:
                    self._chip(p, QRectF(x, y, more_w, h), more, QColor(th.grid), QColor(th.foreground))
                    return y + h - r.top()
                row += 1
                x, y = r.left(), y + h + gap
            fill = QColor(color)
            light_text = state in ("ready", "queued", "running", "native", "blocked") and not frozen
            if frozen:
                fill.setAlpha(110)  # faded: these coroutines cannot move while the loop is blocked
            fg = QColor("#FFFFFF") if light_text else QColor(th.foreground if frozen else "#10222E")
            self._chip(p, QRectF(x, y, w, h), text, fill, fg)
            x += w + gap
        return (y + h - r.top()) if labels else 0.0

    def _chip(self, p: QPainter, rect: QRectF, text: str, fill: QColor, fg: QColor) -> None:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(fill)
        p.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
        p.setPen(fg)
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_queue(self, p: QPainter, r: QRectF) -> float:
        snap = self._snap
        assert snap is not None
        th = theme(self._dark)
        queued = snap.in_state("queued")
        pipe = QRectF(r.left(), r.top(), r.width(), min(r.height(), 58 if len(queued) > 8 else 34))
        p.setPen(QPen(QColor(th.grid), 1.2))
        p.setBrush(QColor(th.band))
        p.drawRoundedRect(pipe, 8, 8)
        inner = pipe.adjusted(8, 7, -40, -7)
        if queued:
            rows = max(1, int((inner.height() + 5) // 25))
            self._paint_chips(p, inner, [t.label for t in queued], "queued", rows)
        else:
            p.setPen(QColor(th.muted))
            p.setFont(self._font(9))
            p.drawText(inner, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, "empty: no task is waiting")
        # The arrow says where queued tasks go: to the first free worker.
        p.setPen(QPen(QColor(th.muted), 2))
        ax = pipe.right() - 22
        p.drawLine(QPointF(ax - 8, pipe.center().y()), QPointF(ax + 8, pipe.center().y()))
        p.drawLine(QPointF(ax + 8, pipe.center().y()), QPointF(ax + 2, pipe.center().y() - 5))
        p.drawLine(QPointF(ax + 8, pipe.center().y()), QPointF(ax + 2, pipe.center().y() + 5))
        return pipe.height()

    def _paint_loop(self, p: QPainter, r: QRectF) -> float:
        snap = self._snap
        assert snap is not None
        th = theme(self._dark)
        loop_ids = {w.info.id for w in snap.workers_of("loop")}
        on_loop = [t for t in snap.tasks if t.worker in loop_ids]
        running = [t for t in on_loop if t.state == "running"]
        blocked = [t for t in on_loop if t.state in ("blocked", "native")]
        ready = sorted((t for t in on_loop if t.state == "ready"), key=lambda t: (t.since_ns, t.id))
        waiting = sorted((t for t in on_loop if t.state == "io"), key=lambda t: (t.since_ns, t.id))
        d = min(118.0, r.height() - 4, r.width() * 0.34)
        ring = QRectF(r.left() + 4, r.top() + 2, d, d)
        if blocked:
            state, who, what = "blocked", blocked[0].label, "BLOCKED"
        elif running:
            state, who, what = "running", running[-1].label, "running"
        else:
            state, who, what = "idle", "select()", "waiting"
        color = self._c(state) if state != "idle" else QColor(th.muted)
        fill = QColor(color)
        fill.setAlpha(40)
        p.setBrush(fill)
        p.setPen(QPen(color, 5 if state == "blocked" else 3))
        p.drawEllipse(ring)
        # A small arrowhead on the ring turns with time: it stops when the loop is blocked.
        if state != "blocked":
            angle = (snap.t_ns / 1e6 * 0.25) % 360
        else:
            angle = (blocked[0].since_ns / 1e6 * 0.25) % 360
        c = ring.center()
        rad = d / 2
        a = math.radians(angle)
        tip = QPointF(c.x() + rad * math.cos(a), c.y() + rad * math.sin(a))
        tangent = QPointF(-math.sin(a), math.cos(a))
        normal = QPointF(math.cos(a), math.sin(a))
        head = QPainterPath(tip + tangent * 7)
        head.lineTo(tip - tangent * 3 + normal * 6)
        head.lineTo(tip - tangent * 3 - normal * 6)
        head.closeSubpath()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        p.drawPath(head)
        p.setPen(QColor(th.foreground))
        p.setFont(self._font(8, True))
        p.drawText(QRectF(ring.left(), ring.top() + d * 0.22, d, 16), Qt.AlignmentFlag.AlignCenter, what)
        p.setFont(self._font(10, True))
        fm = QFontMetricsF(p.font())
        p.drawText(
            QRectF(ring.left() + 6, ring.center().y() - 10, d - 12, 20),
            Qt.AlignmentFlag.AlignCenter,
            fm.elidedText(who, Qt.TextElideMode.ElideRight, d - 16),
        )
        if state == "blocked":
            p.setFont(self._font(8))
            p.drawText(
                QRectF(ring.left(), ring.center().y() + 10, d, 16),
                Qt.AlignmentFlag.AlignCenter,
                f"for {_ago(snap, blocked[0])}",
            )
        # Right of the ring: who is next (ready) and who waits on the outside world (io).
        x = ring.right() + 16
        col = QRectF(x, r.top(), r.right() - x, r.height())
        p.setFont(self._font(8.5, True))
        p.setPen(QColor(th.foreground))
        p.drawText(
            QRectF(col.left(), col.top(), col.width(), 16),
            Qt.AlignmentFlag.AlignLeft,
            f"Ready, waiting their turn ({len(ready)})" + ("  - frozen" if blocked and ready else ""),
        )
        h1 = self._paint_chips(
            p,
            QRectF(col.left(), col.top() + 18, col.width(), 60),
            [t.label for t in ready],
            "ready",
            2,
            frozen=bool(blocked),
        )
        if not ready:
            h1 = self._none(p, QRectF(col.left(), col.top() + 18, col.width(), 20))
        y2 = col.top() + 18 + h1 + 8
        p.setFont(self._font(8.5, True))
        p.setPen(QColor(th.foreground))
        p.drawText(
            QRectF(col.left(), y2, col.width(), 16),
            Qt.AlignmentFlag.AlignLeft,
            f"Waiting on timers and sockets ({len(waiting)})",
        )
        h2 = self._paint_chips(p, QRectF(col.left(), y2 + 18, col.width(), 60), [t.label for t in waiting], "io", 2)
        if not waiting:
            h2 = self._none(p, QRectF(col.left(), y2 + 18, col.width(), 20))
        return max(d + 4, y2 + 18 + h2 - r.top())

    def _none(self, p: QPainter, r: QRectF) -> float:
        p.setPen(QColor(theme(self._dark).muted))
        p.setFont(self._font(8.5))
        p.drawText(r, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, "none")
        return r.height()

    def _paint_processes(self, p: QPainter, r: QRectF) -> float:
        snap = self._snap
        assert snap is not None
        th = theme(self._dark)
        procs = snap.workers_of("process")
        on_core = [w for w in procs if w.task and w.task.state in ("running", "native")]
        off_core = [w for w in procs if w not in on_core]
        cores = max(1, snap.cpu_count)
        gap = 8.0
        cw = (r.width() - gap * (cores - 1)) / cores if cores <= 8 else (r.width() - gap * 7) / 8
        shown_cores = min(cores, 8)
        h = 64.0
        for i in range(shown_cores):
            core = QRectF(r.left() + i * (cw + gap), r.top(), cw, h)
            p.setPen(QPen(QColor(th.grid), 1.2))
            p.setBrush(QColor(th.band))
            p.drawRoundedRect(core, 8, 8)
            p.setPen(QColor(th.muted))
            p.setFont(self._font(7.5, True))
            p.drawText(core.adjusted(8, 3, -8, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, f"CORE {i}")
            if i < len(on_core):
                w = on_core[i]
                card = _Card(
                    core.adjusted(5, 16, -5, -5),
                    f"pid {w.info.pid} · {w.task.label}",
                    _DOING.get(w.task.state, w.task.state).replace("the GIL", "its GIL"),
                    w.task.state,
                    None,
                )
                self._paint_card(p, card)
                # Its own GIL: a small token on the card.
                c = QPointF(card.rect.right() - 13, card.rect.center().y())
                p.setPen(QPen(QColor("#7A5C00"), 1))
                p.setBrush(_GIL_GOLD)
                p.drawEllipse(c, 9, 9)
                p.setPen(QColor("#2B2100"))
                p.setFont(self._font(6, True))
                p.drawText(QRectF(c.x() - 9, c.y() - 9, 18, 18), Qt.AlignmentFlag.AlignCenter, "GIL")
        y = r.top() + h + 8
        if off_core:
            labels = [
                f"pid {w.info.pid}: {w.task.label} ({w.task.state})" if w.task else f"pid {w.info.pid}: idle"
                for w in off_core
            ]
            p.setFont(self._font(8.5, True))
            p.setPen(QColor(th.foreground))
            p.drawText(QRectF(r.left(), y, r.width(), 16), Qt.AlignmentFlag.AlignLeft, "Off core")
            hh = self._paint_chips(p, QRectF(r.left() + 60, y - 2, r.width() - 60, 50), labels, "idle", 2)
            y += max(16.0, hh)
        return y - r.top()

    def _paint_history(self, p: QPainter, r: QRectF) -> float:
        snap, index = self._snap, self._index
        assert snap is not None and index is not None
        th = theme(self._dark)
        window = history_window_ns(snap.switch_interval_ms)
        t1 = snap.t_ns
        t0 = t1 - window
        row_h, gap, label_w = 16.0, 5.0, 96.0
        # A handful of rows tells the story; the rest of the space is for the lesson below.
        rows = max(1, int((min(r.height(), 6 * (row_h + gap)) + gap) // (row_h + gap)))
        rank = {"running": 0, "blocked": 1, "native": 2, "ready": 3, "io": 4, "queued": 5}
        tasks = sorted(snap.tasks, key=lambda t: (rank.get(t.state, 6), t.id))[:rows]
        tasks.sort(key=lambda t: t.id)
        bar_x = r.left() + label_w
        bar_w = r.width() - label_w
        p.setFont(self._font(8.5))
        fm = QFontMetricsF(p.font())
        y = r.top()
        for task in tasks:
            p.setPen(QColor(th.foreground))
            p.drawText(
                QRectF(r.left(), y, label_w - 8, row_h),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                fm.elidedText(task.label, Qt.TextElideMode.ElideMiddle, label_w - 8),
            )
            p.fillRect(QRectF(bar_x, y + 1, bar_w, row_h - 2), QColor(th.band))
            start, end, state = index.history(task.id, t0, t1)
            for code in np.unique(state):
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(state_color(STATES[code], self._dark))
                mask = state == code
                xs = bar_x + (start[mask] - t0) / window * bar_w
                ws = np.maximum((end[mask] - start[mask]) / window * bar_w, 1.0)
                for x, w in zip(xs.tolist(), ws.tolist(), strict=False):
                    p.drawRect(QRectF(x, y + 1, w, row_h - 2))
            y += row_h + gap
        # Tick marks under the rows: the switch interval, so a person can count the hand-offs.
        p.setPen(QPen(QColor(th.muted), 1))
        step = (snap.switch_interval_ms or 5.0) * 1e6
        k = 0
        while k * step <= window:
            x = bar_x + bar_w - k * step / window * bar_w
            p.drawLine(QPointF(x, y - 2), QPointF(x, y + 2))
            k += 1
        p.setFont(self._font(7.5))
        p.drawText(QRectF(bar_x, y + 2, bar_w, 12), Qt.AlignmentFlag.AlignLeft, f"-{window / 1e6:g} ms")
        p.drawText(QRectF(bar_x, y + 2, bar_w, 12), Qt.AlignmentFlag.AlignRight, "now")
        p.drawText(
            QRectF(bar_x, y + 2, bar_w, 12),
            Qt.AlignmentFlag.AlignHCenter,
            f"ticks every {step / 1e6:g} ms (the switch interval)",
        )
        return y + 14 - r.top()

    def _paint_lesson(self, p: QPainter, space: QRectF, snap: Snapshot) -> None:
        """The question this model answers, at the bottom when there is room for it."""
        text = lesson(snap)
        if not text:
            return
        th = theme(self._dark)
        font = self._font(9.5)
        fm = QFontMetricsF(font)
        inner_w = space.width() - 28
        h = fm.boundingRect(QRectF(0, 0, inner_w, 400), Qt.TextFlag.TextWordWrap, text).height() + 36
        if h > space.height():
            return
        box = QRectF(space.left(), space.bottom() - h, space.width(), h)
        p.setPen(QPen(QColor(th.grid), 1))
        p.setBrush(QColor(th.band))
        p.drawRoundedRect(box, 8, 8)
        p.setPen(QColor(th.muted))
        p.setFont(self._font(8.5, True))
        p.drawText(box.adjusted(14, 8, -14, 0), Qt.AlignmentFlag.AlignLeft, "WHAT TO LOOK FOR")
        p.setPen(QColor(th.foreground))
        p.setFont(font)
        p.drawText(box.adjusted(14, 28, -14, -8), Qt.TextFlag.TextWordWrap, text)

    def _paint_legend(self, p: QPainter, r: QRectF, snap: Snapshot) -> None:
        th = theme(self._dark)
        p.setFont(self._font(8))
        fm = QFontMetricsF(p.font())
        x = r.left()
        present = {t.state for t in snap.tasks} | {"running", "ready", "io"}
        for state in STATES:
            if state not in present and state != "idle":
                continue
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(self._c(state))
            p.drawRoundedRect(QRectF(x, r.center().y() - 5, 10, 10), 2, 2)
            p.setPen(QColor(th.muted))
            p.drawText(QPointF(x + 14, r.center().y() + fm.ascent() / 2 - 1), state)
            x += 14 + fm.horizontalAdvance(state) + 14
        gil = QPointF(x + 8, r.center().y())
        p.setPen(QPen(QColor("#7A5C00"), 1))
        p.setBrush(_GIL_GOLD)
        p.drawEllipse(gil, 7, 7)
        p.setPen(QColor(th.muted))
        p.drawText(QPointF(x + 20, r.center().y() + fm.ascent() / 2 - 1), "the GIL")
