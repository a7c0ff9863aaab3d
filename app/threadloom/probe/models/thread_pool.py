"""concurrent.futures.ThreadPoolExecutor: tasks beyond the pool wait in its queue."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ..workload import QUEUED, now, run_task

NAME = "thread-pool"
DESCRIPTION = "ThreadPoolExecutor(pool_size); extra tasks wait in its queue"


def default_pool_size(cpu_count: int):
    return min(32, cpu_count + 4)  # ThreadPoolExecutor's own default


def run(run) -> None:
    ctx = run.ctx
    with ThreadPoolExecutor(run.pool_size, thread_name_prefix="pool") as pool:
        run.start_clock()
        futures = []
        for task in run.tasks:
            ctx.emit((now(), task["id"], -1, QUEUED))
            futures.append(pool.submit(run_task, ctx, task, "pool-thread"))
        for future in futures:
            future.result()
