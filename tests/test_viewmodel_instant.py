"""The scheduler view's view model on small synthetic traces: what each task does at t, who holds the GIL, the words.

No probe and no Qt: each trace is built from a header, worker records and a
handful of events, so every expected value is known exactly.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

import threadloom
from threadloom.model import Trace
from threadloom.probe.models import model_names, spec_of
from threadloom.viewmodel import narrate
from threadloom.viewmodel.instant import TraceIndex, history_rows, live_snapshot, snapshot_at
from threadloom.wire import (
    STATE_CODES,
    TASK_DONE,
    WORKER_KINDS,
    WORKER_LOOP,
    WORKER_MAIN,
    WORKER_POOL_THREAD,
    WORKER_PROCESS,
    WORKER_THREAD,
)

MS = 1_000_000
PID = 4242
DONE = "done"


def build(
    model: str,
    groups: dict[str, tuple[list[str], int]],
    workers: list[tuple[int, str, str, int]],
    events: list[tuple[float, int, int, str]],
    *,
    gil_enabled: bool = True,
    switch_interval_ms: float = 5.0,
    cpu_count: int = 4,
    end_ms: float | None = None,
) -> Trace:
    """A trace from ``groups`` (name -> (step kinds, count)), ``(id, kind, name, pid)`` workers and
    ``(t_ms, task, worker, state)`` events; ``end_ms`` adds a trailer (a finished run)."""
    tasks = [[i, g, k] for i, (g, k) in enumerate((g, k) for g, (_, n) in groups.items() for k in range(n))]
    trace = Trace()
    trace.apply_record(
        {
            "type": "header",
            "model": model,
            "scenario": "synthetic",
            "gil_enabled": gil_enabled,
            "switch_interval_ms": switch_interval_ms,
            "cpu_count": cpu_count,
            "pid": PID,
            "t0_ns": 0,
            "groups": {g: kinds for g, (kinds, _) in groups.items()},
            "tasks": tasks,
        }
    )
    for wid, kind, name, pid in workers:
        trace.apply_record({"type": "worker", "id": wid, "kind": kind, "name": name, "pid": pid})
    rows = [(int(t * MS), task, worker, TASK_DONE if s == DONE else STATE_CODES[s]) for t, task, worker, s in events]
    trace.add_events(np.array(rows, dtype=np.int64))
    if end_ms is not None:
        trace.close_open_segments()
        trace.apply_record({"type": "trailer", "makespan_ns": int(end_ms * MS)})
    return trace


def convoy() -> Trace:
    """Threads: a cruncher and a chatty thread that waits on the network, then for the GIL."""
    return build(
        "threads",
        {"crunch": (["cpu"], 1), "chatty": (["net"], 1)},
        [(1, WORKER_THREAD, "crunch-0", PID), (2, WORKER_THREAD, "chatty-0", PID)],
        [
            (0, 0, 1, "running"),
            (0, 1, 2, "running"),
            (1, 1, 2, "io"),
            (2, 1, 2, "ready"),  # its reply arrived at 2 ms; the cruncher holds the GIL until 5
            (5.001, 1, 2, "running"),  # measured hand-off: the two running stretches overlap by 1 us
            (5.003, 0, 1, "ready"),
            (6, 1, 2, "io"),
            (6, 0, 1, "running"),
            (10, 0, 1, DONE),
            (10, 1, 2, DONE),
        ],
        end_ms=10,
    )


def states(snap) -> dict[str, str]:
    return {t.label: t.state for t in snap.tasks}


def test_snapshot_says_what_each_task_does_at_t():
    trace = convoy()
    index = TraceIndex(trace)
    assert states(snapshot_at(trace, int(0.5 * MS), index)) == {"crunch-0": "running", "chatty-0": "running"}
    snap = snapshot_at(trace, int(3 * MS), index)
    assert states(snap) == {"crunch-0": "running", "chatty-0": "ready"}
    chatty = next(t for t in snap.tasks if t.label == "chatty-0")
    assert (chatty.worker, chatty.since_ns, chatty.prev_state) == (2, 2 * MS, "io")
    assert states(snapshot_at(trace, int(7 * MS), index)) == {"crunch-0": "running", "chatty-0": "io"}
    after = snapshot_at(trace, int(11 * MS), index)
    assert (after.tasks, after.done, after.not_started, after.total) == ([], 2, 0, 2)
    # Each worker shows its task; the same answer without a prebuilt index.
    assert [(w.info.id, w.task.label if w.task else None) for w in snap.workers] == [(1, "crunch-0"), (2, "chatty-0")]
    assert snapshot_at(trace, int(3 * MS)).tasks == snap.tasks


def test_the_latest_acquirer_of_overlapping_running_stretches_holds_the_gil():
    trace = convoy()
    snap = snapshot_at(trace, int(5.002 * MS))
    assert states(snap) == {"crunch-0": "running", "chatty-0": "running"}  # the measured overlap
    assert snap.gil_holder.label == "chatty-0"
    assert snapshot_at(trace, int(3 * MS)).gil_holder.label == "crunch-0"
    assert snapshot_at(trace, int(7 * MS)).gil_holder.label == "crunch-0"
    nobody = snapshot_at(trace, int(11 * MS))
    assert nobody.gil_holder is None


def test_a_process_never_holds_the_probes_gil():
    trace = build(
        "process-pool",
        {"crunch": (["cpu"], 2), "main": (["cpu"], 1)},
        [(1, WORKER_PROCESS, "p1", 101), (2, WORKER_PROCESS, "p2", 102), (3, WORKER_MAIN, "MainThread", PID)],
        [
            (0, 2, 3, "running"),
            (1, 0, 1, "running"),  # later than the main thread's: would win if processes counted
            (2, 1, 2, "running"),
            (8, 0, 1, DONE),
            (8, 1, 2, DONE),
            (8, 2, 3, DONE),
        ],
        end_ms=8,
    )
    snap = snapshot_at(trace, int(4 * MS))
    assert states(snap) == {"crunch-0": "running", "crunch-1": "running", "main-0": "running"}
    assert snap.gil_holder.label == "main-0"
    assert [w.info.id for w in snap.processes()] == [1, 2] == [w.info.id for w in snap.on_core()]
    assert [w.info.id for w in snap.gil_sharing_workers()] == [3]
    only_processes = build(
        "process-pool",
        {"crunch": (["cpu"], 1)},
        [(1, WORKER_PROCESS, "p1", 101)],
        [(0, 0, 1, "running"), (5, 0, 1, DONE)],
        end_ms=5,
    )
    assert snapshot_at(only_processes, 2 * MS).gil_holder is None
    assert narrate.process_caption(snapshot_at(only_processes, 2 * MS)) == (
        "Each process has its own interpreter and GIL: 1 run Python at once on 4 cores."
    )


def pool_starvation() -> Trace:
    """A thread pool of one: one task runs, two wait in the queue (no worker yet)."""
    return build(
        "thread-pool",
        {"wait": (["io"], 3)},
        [(1, WORKER_POOL_THREAD, "ThreadPoolExecutor-0_0", PID)],
        [
            (0, 0, -1, "queued"),
            (0, 1, -1, "queued"),
            (0.5, 2, -1, "queued"),
            (1, 0, 1, "io"),
            (4, 0, 1, DONE),
            (4, 1, 1, "io"),
            (8, 1, 1, DONE),
            (8, 2, 1, "io"),
            (12, 2, 1, DONE),
        ],
        end_ms=12,
    )


def test_queued_tasks_wait_for_a_worker():
    snap = snapshot_at(pool_starvation(), 2 * MS)
    assert [t.label for t in snap.in_state("queued")] == ["wait-1", "wait-2"]
    assert [(w.info.id, w.task.label) for w in snap.pool_workers()] == [(1, "wait-0")]
    assert narrate.pool_caption(snap) == (
        "2 tasks wait in the pool's queue: 1 of 1 workers is busy, and a task only starts when a worker is free."
    )
    assert [s.key for s in narrate.sections(snap)] == [
        narrate.SECTION_QUEUE,
        narrate.SECTION_GIL,
        narrate.SECTION_HISTORY,
    ]
    assert [s.key for s in narrate.sections(snap, history=False)] == [narrate.SECTION_QUEUE, narrate.SECTION_GIL]
    later = snapshot_at(pool_starvation(), 9 * MS)
    assert later.in_state("queued") == []
    assert narrate.pool_caption(later) == "The queue is empty: 0 of 1 workers are idle."


def asyncio_trace() -> Trace:
    """One loop: two coroutines wait on timers, then one runs, then one blocks the loop."""
    return build(
        "asyncio",
        {"tick": (["io"], 2), "culprit": (["block"], 1)},
        [(1, WORKER_LOOP, "MainThread", PID)],
        [
            (0, 0, 1, "io"),
            (0, 1, 1, "io"),
            (0, 2, 1, "ready"),
            (0.1, 2, 1, "io"),
            (3, 0, 1, "running"),
            (3.5, 0, 1, "io"),
            (5, 2, 1, "blocked"),
            (5.5, 1, 1, "ready"),  # its timer fired, but the loop is blocked
            (9, 2, 1, DONE),
            (9, 1, 1, "running"),
            (9.5, 0, 1, DONE),
            (9.5, 1, 1, DONE),
        ],
        end_ms=9.5,
    )


def test_a_cooperative_loop_is_free_while_its_coroutines_wait_on_io():
    trace = asyncio_trace()
    waiting = snapshot_at(trace, 2 * MS)
    assert states(waiting) == {"tick-0": "io", "tick-1": "io", "culprit-0": "io"}
    [loop] = waiting.loops()
    assert loop.task is None  # nothing runs on it: it sleeps in select()
    assert waiting.gil_holder is None
    assert narrate.loop_caption(waiting) == "The loop sleeps in select(): 3 coroutines wait on timers or sockets."
    assert narrate.loop_ring(waiting).who == "select()"
    # A thread waiting on I/O still occupies its thread: the difference is the worker's trait.
    thread_io = snapshot_at(pool_starvation(), 2 * MS)
    assert thread_io.pool_workers()[0].task.state == "io"

    running = snapshot_at(trace, int(3.2 * MS))
    assert running.loops()[0].task.label == "tick-0"
    assert running.gil_holder.label == "tick-0"
    assert narrate.gil_card(running, running.loops()[0], running.gil_holder).detail == "holds the GIL, runs the loop"

    blocked = snapshot_at(trace, 6 * MS)
    assert blocked.loops()[0].task.label == "culprit-0"
    assert narrate.loop_caption(blocked) == (
        "culprit-0 made a blocking call 1.0 ms ago: the loop cannot turn, so 2 coroutines are frozen, "
        "even those whose timers have fired."
    )
    ring = narrate.loop_ring(blocked)
    assert (ring.state, ring.what, ring.note) == ("blocked", "BLOCKED", "for 1.0 ms")
    assert narrate.loop_ready_heading(blocked) == "Ready, waiting their turn (1)  - frozen"
    # A loop alone takes no turns on the GIL with threads: no GIL section.
    assert [s.key for s in narrate.sections(blocked)] == [narrate.SECTION_LOOP, narrate.SECTION_HISTORY]


def test_a_task_not_yet_on_its_thread_waits_for_the_gil_on_it():
    """A thread per task records ``ready`` before its thread registers: the card named after it says so."""
    trace = build(
        "threads",
        {"crunch": (["cpu"], 2)},
        [(1, WORKER_THREAD, "crunch-0", PID), (2, WORKER_THREAD, "crunch-1", PID)],
        [(0, 0, 1, "running"), (0, 1, -1, "ready"), (4, 1, 2, "running"), (4, 0, 1, "ready"), (8, 0, 1, DONE)],
    )
    snap = snapshot_at(trace, 2 * MS)
    card = next(w for w in snap.workers if w.info.id == 2)
    assert card.task is not None and card.task.label == "crunch-1"
    assert narrate.gil_card(snap, card, snap.gil_holder).title == "crunch-1"
    assert narrate.gil_card(snap, card, snap.gil_holder).detail == "ready: waits for the GIL, 2.0 ms"
    assert narrate.gil_caption(snap) == "crunch-0 holds the GIL (for 2.0 ms); crunch-1 is ready: waiting for 2.0 ms."


def test_gil_caption_explains_why_a_thread_is_ready():
    snap = snapshot_at(convoy(), int(3 * MS))
    assert narrate.gil_caption(snap) == (
        "crunch-0 holds the GIL (for 3.0 ms); chatty-0 is ready: its reply arrived 1.0 ms ago."
    )
    no_gil = build(
        "threads",
        {"crunch": (["cpu"], 2)},
        [(1, WORKER_THREAD, "crunch-0", PID), (2, WORKER_THREAD, "crunch-1", PID)],
        [(0, 0, 1, "running"), (0, 1, 2, "running"), (2, 0, 1, DONE), (2, 1, 2, DONE)],
        gil_enabled=False,
    )
    assert narrate.gil_caption(snapshot_at(no_gil, MS)) == (
        "No GIL on this interpreter: 2 threads run Python code at the same time."
    )


def test_the_lesson_comes_from_the_models_spec():
    threads = spec_of("threads")
    cpu_only = build("threads", {"crunch": (["cpu"], 1)}, [(1, WORKER_THREAD, "crunch-0", PID)], [(0, 0, 1, "running")])
    assert narrate.lesson(snapshot_at(cpu_only, MS)) == threads.lessons["cpu"]
    assert narrate.lesson(snapshot_at(convoy(), MS)) == threads.lesson  # crunching beside waiting
    native = build("threads", {"hash": (["native"], 1)}, [(1, WORKER_THREAD, "hash-0", PID)], [(0, 0, 1, "native")])
    assert narrate.lesson(snapshot_at(native, MS)) == threads.lessons["native"]
    no_gil = build(
        "threads",
        {"crunch": (["cpu"], 1)},
        [(1, WORKER_THREAD, "crunch-0", PID)],
        [(0, 0, 1, "running")],
        gil_enabled=False,
    )
    assert narrate.lesson(snapshot_at(no_gil, MS)) == threads.no_gil_lesson
    assert narrate.lesson(snapshot_at(asyncio_trace(), MS)) == spec_of("asyncio").lesson
    assert narrate.lesson(snapshot_at(pool_starvation(), MS)) == spec_of("thread-pool").lesson
    unknown = build("not-a-model", {"crunch": (["cpu"], 1)}, [(1, WORKER_THREAD, "x", PID)], [(0, 0, 1, "running")])
    assert narrate.lesson(snapshot_at(unknown, MS)) == ""


def test_before_the_first_task_and_after_the_last_the_captions_make_way_for_a_note():
    done = narrate.sections(snapshot_at(pool_starvation(), 13 * MS))
    assert [s.key for s in done] == [narrate.SECTION_QUEUE, narrate.SECTION_GIL]
    assert done[0].caption == ""
    assert done[1].caption.startswith("All 3 tasks are done (13.0 ms).")
    before = build(
        "threads", {"late": (["io"], 1)}, [(1, WORKER_THREAD, "late-0", PID)], [(2, 0, 1, "io"), (3, 0, 1, DONE)]
    )
    assert narrate.sections(snapshot_at(before, MS))[-1].caption == "No task has been submitted yet at this instant."
    snap = snapshot_at(convoy(), int(3 * MS))
    assert narrate.title(snap, "label") == "label  ·  at 3.00 ms"
    assert narrate.subtitle(snap) == (
        "threads · GIL on · switch interval 5 ms · 4 CPUs\n0 of 2 tasks done · 2 active · 0 not started yet"
    )


def test_crowded_cards_keep_the_ones_to_look_at():
    n = 6
    trace = build(
        "threads",
        {"w": (["io"], n)},
        [(i + 1, WORKER_THREAD, f"w-{i}", PID) for i in range(n)],
        [(0, i, i + 1, "io") for i in range(n - 2)]
        + [(0, n - 2, n - 1, "ready"), (0, n - 1, n, "running")]
        + [(2, i, i + 1, DONE) for i in range(n)],
    )
    snap = snapshot_at(trace, MS)
    shown, hidden = narrate.crowded(snap.gil_sharing_workers(), 3)
    assert ([w.info.id for w in shown], hidden) == ([n - 1, n], n - 2)
    assert narrate.crowded(snap.gil_sharing_workers(), n) == (snap.gil_sharing_workers(), 0)
    assert [t.label for t in history_rows(snap, 2)] == [f"w-{n - 2}", f"w-{n - 1}"]


def test_live_snapshot_reads_the_open_segments():
    trace = build(
        "threads",
        {"crunch": (["cpu"], 2)},
        [(1, WORKER_THREAD, "crunch-0", PID), (2, WORKER_THREAD, "crunch-1", PID)],
        [(0, 0, 1, "running"), (0, 1, 2, "ready"), (3, 0, 1, DONE), (3, 1, 2, "running")],
    )
    snap = live_snapshot(trace)
    assert snap.live and snap.t_ns == 3 * MS
    assert states(snap) == {"crunch-1": "running"}
    assert (snap.done, snap.not_started) == (1, 0)
    assert narrate.title(snap).endswith("live 3.00 ms")


def test_the_view_model_loads_no_qt():
    code = "import sys, threadloom.viewmodel.instant, threadloom.viewmodel.narrate; " + (
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_scheduler_drawing_names_no_model_and_no_worker_kind():
    folder = Path(threadloom.__file__).parent / "ui" / "scheduler"
    names = set(model_names()) | set(WORKER_KINDS)
    found = []
    for path in sorted(folder.glob("*.py")):
        for name in names:
            for m in re.finditer(rf"""["']{re.escape(name)}["']""", path.read_text()):
                found.append((path.name, name, m.start()))
    assert found == []
    assert len(list(folder.glob("*.py"))) >= 3


def test_a_gevent_hub_is_named_as_such_and_runs_greenlets():
    from threadloom.wire import WORKER_HUB

    trace = build(
        "gevent",
        {"tick": (["io"], 2), "culprit": (["block"], 1)},
        [(1, WORKER_HUB, "MainThread", PID)],
        [(0, 0, 1, "io"), (0, 1, 1, "io"), (0, 2, 1, "io"), (9, 0, 1, DONE), (9, 1, 1, DONE), (9, 2, 1, DONE)],
        end_ms=9,
    )
    snap = snapshot_at(trace, 2 * MS)
    caption = narrate.loop_caption(snap)
    assert caption == "The loop sleeps in the hub's event loop: 3 greenlets wait on timers or sockets."
    assert narrate.sections(snap)[0].title == "GEVENT HUB"
    assert narrate.loop_ring(snap).who == "the hub's event loop"


def test_the_process_caption_counts_the_tasks_moving_their_data():
    """Pickling in the probe (no worker) and unpickling in a worker are both data on the move."""
    trace = build(
        "process-pool",
        {"hand": (["data", "cpu"], 3)},
        [(1, WORKER_PROCESS, "p1", 101)],
        [
            (0, 0, -1, "transfer"),
            (1, 0, 1, "transfer"),
            (3, 0, 1, "running"),
            (4, 0, 1, DONE),
            (0, 1, -1, "transfer"),
            (3, 1, -1, "queued"),
            (4, 1, 1, "transfer"),
            (6, 1, 1, DONE),
            (0, 2, -1, "queued"),
            (6, 2, 1, "running"),
            (7, 2, 1, DONE),
        ],
        end_ms=8,
    )
    snap = snapshot_at(trace, int(2 * MS))
    assert states(snap)["hand-0"] == "transfer" and states(snap)["hand-1"] == "transfer"
    assert narrate.process_caption(snap) == (
        "Each process has its own interpreter and GIL: 0 run Python at once on 4 cores. "
        "2 tasks move their data between processes: pickled, copied, unpickled."
    )
    assert narrate.process_card(snap.processes()[0]).detail == "moves data: pickles or unpickles"
