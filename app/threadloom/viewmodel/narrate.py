"""The scheduler view's words (Qt-free): its header, which sections it shows, their captions and the lesson.

Everything here reads a :class:`~threadloom.viewmodel.instant.Snapshot` and
returns text or plain choices (which cards to show, what the loop's ring says);
``ui/scheduler`` only draws them. The lesson is the model's own
(:meth:`threadloom.probe.models.ModelSpec.lesson_for`); nothing here names a model.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import STATES
from ..probe.models import MODELS
from .instant import Snapshot, TaskNow, WorkerNow, history_tick_ns, history_window_ns, takes_turns

#: What a thread's card says it is doing, by the state of the task on it.
_DOING = {
    "running": "holds the GIL, runs Python",
    "native": "runs C code, GIL released",
    "ready": "ready: waits for the GIL",
    "io": "waits on I/O; GIL released",
    "blocked": "blocked in a call; GIL released",
    "queued": "queued",
    "idle": "idle",
    "transfer": "moves data: pickles or unpickles",
}

#: Shown before any run.
EMPTY_TEXT = (
    "The scheduler view shows who holds the GIL, who waits for it, the pool's queue and the "
    "event loop, at any instant of a run.\n\nRun a scenario (Ctrl+R), then scrub or play the replay."
)
TOOLTIP = (
    "The scheduler at the replay time. The gold token is the GIL: only the thread holding it runs "
    "Python code. Orange cards are ready: they could run but wait for the GIL."
)
LESSON_HEADING = "WHAT TO LOOK FOR"
GIL_LEGEND = "the GIL"
GIL_TOKEN = "GIL"
NONE_TEXT = "none"
QUEUE_EMPTY = "empty: no task is waiting"
OFF_CORE = "Off core"

#: The sections the view can show, top to bottom.
SECTION_LOOP = "event-loop"
SECTION_QUEUE = "pool-queue"
SECTION_GIL = "gil"
SECTION_CORES = "cores"
SECTION_HISTORY = "history"


@dataclass(frozen=True)
class Section:
    """One band of the view: what it draws (a ``SECTION_*`` key), its title and its caption."""

    key: str
    title: str
    caption: str


@dataclass(frozen=True)
class CardText:
    """What one worker's card says."""

    title: str
    detail: str
    state: str
    task_id: int | None  # the task on it, where the GIL token can sit
    worker_id: int | None = None


@dataclass(frozen=True)
class LoopRing:
    """What the event loop's ring says: who it runs, or that it is blocked, or that it waits."""

    state: str  # "running", "blocked" or "idle"
    who: str
    what: str
    note: str  # under the name: how long it has been blocked, or ""
    turn_deg: float  # where the ring's arrowhead points: it turns with time and stops while blocked


# -- header ----------------------------------------------------------------
def title(snap: Snapshot, label: str = "") -> str:
    when = "live" if snap.live else "at"
    return f"{label or snap.model}  ·  {when} {snap.t_ns / 1e6:,.2f} ms"


def subtitle(snap: Snapshot) -> str:
    gil = "GIL on" if snap.gil_enabled else "no GIL"
    switch = f" · switch interval {snap.switch_interval_ms:g} ms" if snap.switch_interval_ms else ""
    return (
        f"{snap.model} · {gil}{switch} · {snap.cpu_count} CPUs\n"
        f"{snap.done} of {snap.total} tasks done · {len(snap.tasks)} active · {snap.not_started} not started yet"
    )


# -- captions (one line each) ----------------------------------------------
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
    if task.state == "running" or task.prev_state == "running":
        if task.state == "running":  # the probe stamps a lost GIL only once it is back
            return "it was made to drop the GIL at a switch interval"
        interval = f" ({snap.switch_interval_ms:g} ms switch interval)" if snap.switch_interval_ms else ""
        return f"it was made to drop the GIL {_ago(snap, task)} ago{interval}"
    if task.prev_state in ("native", "blocked"):
        return f"its call returned {_ago(snap, task)} ago and it needs the GIL back"
    return f"waiting for {_ago(snap, task)}"


def waiting_for_gil(snap: Snapshot) -> list[TaskNow]:
    """Threads that wait for the GIL, longest first: those ready, and those still recorded running
    beside the holder (the probe stamps a lost GIL only once the thread has it back, so a live run,
    and a replay of its newest instants, shows every cruncher running)."""
    ready = snap.in_state("ready", takes_turns)
    holder = snap.gil_holder
    if snap.gil_enabled and holder is not None:
        ready += [t for t in snap.in_state("running", takes_turns) if t.id != holder.id]
    return sorted(ready, key=lambda t: (t.since_ns, t.id))


def gil_caption(snap: Snapshot) -> str:
    sharing = snap.gil_sharing_workers()
    if not snap.gil_enabled:
        running = [w for w in sharing if w.task and w.task.state == "running"]
        return f"No GIL on this interpreter: {len(running)} threads run Python code at the same time."
    holder = snap.gil_holder
    ready = waiting_for_gil(snap)
    native = [w.task for w in sharing if w.task and w.task.state == "native"]
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


def _loop_words(snap: Snapshot) -> tuple[str, str, str]:
    """What the run's cooperative worker is called, what runs on it, and where it waits idle."""
    loops = snap.loops()
    traits = loops[0].traits if loops else None
    if traits is None:
        return "event loop", "coroutines", "select()"
    return traits.sole_label or traits.noun, traits.task_noun, traits.idle_wait or "its event loop"


def loop_caption(snap: Snapshot) -> str:
    loop = snap.loop_now()
    ready, waiting = loop.ready, loop.waiting
    _name, units, idle = _loop_words(snap)
    if loop.blocked:
        b = loop.blocked[0]
        frozen = len(ready) + len(waiting)
        return (
            f"{b.label} made a blocking call {_ago(snap, b)} ago: the loop cannot turn, so {frozen} "
            f"{units} are frozen, even those whose timers have fired."
        )
    if loop.running:
        r = loop.running[-1]
        if snap.t_ns - r.since_ns > 20e6:
            return (
                f"{r.label} has run for {_ago(snap, r)} without an await: "
                f"{len(ready)} ready {units} cannot run until it yields."
            )
        return (
            f"The loop runs {r.label}; {len(ready)} {units} wait their turn, {len(waiting)} wait on timers or sockets."
        )
    if ready:
        return f"The loop is between {units}: {len(ready)} are ready to run next."
    return f"The loop sleeps in {idle}: {len(waiting)} {units} wait on timers or sockets."


def pool_caption(snap: Snapshot) -> str:
    queued = snap.in_state("queued")
    workers = snap.pool_workers()
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
    running = snap.on_core()
    ready = [w for w in snap.processes() if w.task and w.task.state == "ready"]
    text = f"Each process has its own interpreter and GIL: {len(running)} run Python at once on {snap.cpu_count} cores."
    if ready:
        text += f" {len(ready)} wait for a free core."
    moving = snap.in_state("transfer")
    if moving:
        whose = "task moves its" if len(moving) == 1 else "tasks move their"
        text += f" {len(moving)} {whose} data between processes: pickled, copied, unpickled."
    return text


def history_title(snap: Snapshot) -> str:
    return f"THE LAST {history_window_ns(snap.switch_interval_ms) / 1e6:g} MS"


def history_caption(snap: Snapshot) -> str:
    window_ms = history_window_ns(snap.switch_interval_ms) / 1e6
    return (
        f"Each row is one task's last {window_ms:g} ms, the present on the right. Vermilion is "
        "ready: able to run but waiting for the GIL (or its turn on the loop); amber is queued: "
        "waiting for a free worker."
    )


def history_scale(snap: Snapshot) -> tuple[str, str, str]:
    """The words under the history's rows: left end, right end, middle."""
    window = history_window_ns(snap.switch_interval_ms)
    step = history_tick_ns(snap.switch_interval_ms)
    return f"-{window / 1e6:g} ms", "now", f"ticks every {step / 1e6:g} ms (the switch interval)"


def lesson(snap: Snapshot) -> str:
    """One paragraph on what to look for: the scenario's own lesson (a preset's), or else the one its
    model's spec gives for the work the trace shows ("" for a model this install does not have)."""
    if snap.lesson:
        return snap.lesson
    module = MODELS.get(snap.model)
    if module is None:
        return ""
    kinds = {kind for kinds in snap.group_kinds.values() for kind in kinds}
    return module.SPEC.lesson_for(kinds, snap.gil_enabled)


# -- which sections -------------------------------------------------------
def _model_sections(snap: Snapshot, history: bool) -> list[Section]:
    sections = []
    if snap.loops():
        sections.append(Section(SECTION_LOOP, _loop_words(snap)[0].upper(), loop_caption(snap)))
    if snap.pool_workers() or any(t.state == "queued" for t in snap.tasks):
        sections.append(Section(SECTION_QUEUE, "POOL QUEUE", pool_caption(snap)))
    if snap.thread_workers():
        sections.append(Section(SECTION_GIL, "THREADS AND THE GIL", gil_caption(snap)))
    if snap.processes():
        sections.append(Section(SECTION_CORES, "PROCESSES ON CORES", process_caption(snap)))
    if history and not snap.live and snap.tasks:
        sections.append(Section(SECTION_HISTORY, history_title(snap), history_caption(snap)))
    return sections


def sections(snap: Snapshot, history: bool = True) -> list[Section]:
    """The bands the view shows for ``snap``, top to bottom; ``history``: whether it can draw recent history."""
    out = _model_sections(snap, history)
    if snap.total and not snap.tasks and out:
        # Before the first task and after the last, the usual captions would explain nothing.
        if snap.done == snap.total:
            note = (
                f"All {snap.total} tasks are done ({snap.t_ns / 1e6:,.1f} ms). Press Space to replay the run "
                "in slow motion, or scrub the replay bar."
            )
        else:
            note = "No task has been submitted yet at this instant."
        out = [Section(s.key, s.title, "") for s in out]
        out[-1] = Section(out[-1].key, out[-1].title, note)
    return out


def legend_states(snap: Snapshot) -> list[str]:
    """The states the legend lists: those on screen, the usual three, and idle."""
    present = {t.state for t in snap.tasks} | {"running", "ready", "io"}
    return [state for state in STATES if state in present or state == "idle"]


# -- cards ---------------------------------------------------------------
_CARD_RANK = {"running": 0, "ready": 1, "native": 2, "blocked": 3, "io": 4}


def _by_importance(workers: list[WorkerNow]) -> list[WorkerNow]:
    """Workers in the order a person should look at them: by what their task does, then by id."""
    return sorted(workers, key=lambda w: (_CARD_RANK.get(w.task.state, 5) if w.task else 6, w.info.id))


def crowded(workers: list[WorkerNow], capacity: int) -> tuple[list[WorkerNow], int]:
    """The cards to draw when ``capacity`` is short: those a person should look at, by id; and how many are left out."""
    if len(workers) <= capacity:
        return workers, 0
    keep = _by_importance(workers)[: capacity - 1]  # the last place is the "+N more" box
    return sorted(keep, key=lambda w: w.info.id), len(workers) - len(keep)


def most_important(workers: list[WorkerNow]) -> WorkerNow:
    """The one card to draw where there is room for one: the worker a person should look at."""
    return _by_importance(workers)[0]


def more_cards(hidden: int) -> str:
    return f"+{hidden} more threads"


def gil_card(snap: Snapshot, w: WorkerNow, holder: TaskNow | None) -> CardText:
    """The card of a worker that shares the GIL: a thread or an event loop."""
    task = w.task
    if w.traits.per_task and task and task.label == w.info.name:
        title = w.info.name  # one thread per task, named after it
    else:
        # The same names as the timeline's worker rows.
        title = snap.worker_names.get(w.info.id, w.info.name) + (f" · {task.label}" if task else "")
    state = task.state if task else "idle"
    detail = _DOING.get(state, state)
    if state == "ready" and task is not None:
        detail = f"ready: waits for the GIL, {_ago(snap, task)}"
    elif state == "running" and task is not None and snap.gil_enabled and holder is not None and task.id != holder.id:
        detail = "waits for the GIL (its loss not yet stamped)"
    elif w.traits.cooperative and state == "running":
        detail = "holds the GIL, runs the loop"
    return CardText(title, detail, state, task.id if task else None, w.info.id)


def process_card(w: WorkerNow) -> CardText:
    """The card of a process on a core (its task is running or in native code)."""
    assert w.task is not None
    detail = _DOING.get(w.task.state, w.task.state).replace("the GIL", "its GIL")
    return CardText(f"pid {w.info.pid} · {w.task.label}", detail, w.task.state, None)


def core_label(i: int) -> str:
    return f"CORE {i}"


def off_core_label(w: WorkerNow) -> str:
    return f"pid {w.info.pid}: {w.task.label} ({w.task.state})" if w.task else f"pid {w.info.pid}: idle"


# -- the event loop --------------------------------------------------------
def loop_ring(snap: Snapshot) -> LoopRing:
    loop = snap.loop_now()
    if loop.blocked:
        b = loop.blocked[0]
        return LoopRing("blocked", b.label, "BLOCKED", f"for {_ago(snap, b)}", (b.since_ns / 1e6 * 0.25) % 360)
    turn = (snap.t_ns / 1e6 * 0.25) % 360
    if loop.running:
        return LoopRing("running", loop.running[-1].label, "running", "", turn)
    return LoopRing("idle", _loop_words(snap)[2], "waiting", "", turn)


def loop_ready_heading(snap: Snapshot) -> str:
    loop = snap.loop_now()
    frozen = "  - frozen" if loop.blocked and loop.ready else ""
    return f"Ready, waiting their turn ({len(loop.ready)})" + frozen


def loop_waiting_heading(snap: Snapshot) -> str:
    return f"Waiting on timers and sockets ({len(snap.loop_now().waiting)})"


__all__ = [
    "EMPTY_TEXT",
    "GIL_LEGEND",
    "GIL_TOKEN",
    "LESSON_HEADING",
    "NONE_TEXT",
    "OFF_CORE",
    "QUEUE_EMPTY",
    "SECTION_CORES",
    "SECTION_GIL",
    "SECTION_HISTORY",
    "SECTION_LOOP",
    "SECTION_QUEUE",
    "TOOLTIP",
    "CardText",
    "LoopRing",
    "Section",
    "core_label",
    "crowded",
    "gil_caption",
    "gil_card",
    "history_caption",
    "history_scale",
    "history_title",
    "legend_states",
    "lesson",
    "loop_caption",
    "loop_ready_heading",
    "loop_ring",
    "loop_waiting_heading",
    "more_cards",
    "most_important",
    "off_core_label",
    "pool_caption",
    "process_caption",
    "process_card",
    "sections",
    "subtitle",
    "title",
]
