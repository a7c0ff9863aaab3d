"""One OS thread per task."""

from __future__ import annotations

import threading

from ..workload import READY, now, run_task

NAME = "threads"
DESCRIPTION = "one OS thread per task"


def default_pool_size(cpu_count: int):
    return None


def run(run) -> None:
    ctx = run.ctx
    threads = [
        threading.Thread(target=run_task, args=(ctx, task, "thread"), name=task["name"], daemon=True)
        for task in run.tasks
    ]
    run.start_clock()
    for thread, task in zip(threads, run.tasks):
        ctx.emit((now(), task["id"], -1, READY))
        thread.start()
    for thread in threads:
        thread.join()
    run.raise_worker_errors()
