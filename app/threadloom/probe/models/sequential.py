"""One task after another on one thread: the baseline."""

from __future__ import annotations

from threadloom.wire import WORKER_MAIN

from ..workload import QUEUED, now, run_task
from ._spec import GIL_SHARED, ModelSpec, all_steps_on

SPEC = ModelSpec(
    name="sequential",
    description="one task after another in one thread (the baseline)",
    hint="The baseline: one task after another.",
    lesson="The baseline: one task after another, nothing overlaps. Every other model is measured against it.",
    worker_kinds=(WORKER_MAIN,),
    gil=GIL_SHARED,
    step_places=all_steps_on(WORKER_MAIN),
)


def run(run) -> None:
    ctx = run.ctx
    run.start_clock()
    for task in run.tasks:
        ctx.emit((now(), task["id"], -1, QUEUED))
    for task in run.tasks:
        run_task(ctx, task, WORKER_MAIN)
