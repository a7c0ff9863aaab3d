"""One task after another on one thread: the baseline."""

from __future__ import annotations

from ..workload import QUEUED, now, run_task

NAME = "sequential"
DESCRIPTION = "one task after another in one thread (the baseline)"


def default_pool_size(cpu_count: int):
    return None


def run(run) -> None:
    ctx = run.ctx
    run.start_clock()
    for task in run.tasks:
        ctx.emit((now(), task["id"], -1, QUEUED))
    for task in run.tasks:
        run_task(ctx, task, "main")
