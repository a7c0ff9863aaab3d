"""One OS thread per task."""

from __future__ import annotations

import threading

from threadloom.wire import WORKER_THREAD

from ..workload import READY, now, run_task
from ._spec import GIL_SHARED, WORK_CPU, WORK_NATIVE, WORK_WAITS, ModelSpec, all_steps_on

SPEC = ModelSpec(
    name="threads",
    description="one OS thread per task",
    hint="Threads share one GIL: only one runs Python code at a time.",
    lesson=(
        "Why does an I/O thread slow down beside a CPU-bound one? When its reply arrives it is ready, but it "
        "must wait for the GIL, and the cruncher only hands it over when its switch interval runs out. Watch "
        "the token: the orange card waits up to one switch interval every time."
    ),
    lessons={
        WORK_CPU: (
            "Pure-Python threads take turns on the one GIL: each holds it for about a switch interval, then hands "
            "it on. Several crunchers in threads take as long as running them one after another. Watch the token "
            "go round while the others sit ready."
        ),
        WORK_NATIVE: (
            "Hashing runs in C with the GIL released, so these threads really run on different cores at once. "
            "They need the token only for the moment between two chunks of work."
        ),
        WORK_WAITS: (
            "Threads waiting on timers or the network release the GIL, so their waits overlap and the token is "
            "hardly ever in demand. Threads are a fine fit for I/O."
        ),
    },
    no_gil_lesson=(
        "This interpreter has no GIL: threads running Python code really run at once, so there is no token to wait for."
    ),
    worker_kinds=(WORKER_THREAD,),
    gil=GIL_SHARED,
    step_places=all_steps_on(WORKER_THREAD),
    # One OS thread per task: beyond this, thread stacks crowd an ordinary machine.
    max_tasks=2_000,
)


def run(run) -> None:
    ctx = run.ctx
    threads = [
        threading.Thread(target=run_task, args=(ctx, task, WORKER_THREAD), name=task["name"], daemon=True)
        for task in run.tasks
    ]
    run.start_clock()
    for thread, task in zip(threads, run.tasks):
        ctx.emit((now(), task["id"], -1, READY))
        thread.start()
    for thread in threads:
        thread.join()
    run.raise_worker_errors()
