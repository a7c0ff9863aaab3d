"""One asyncio Task per task on one event loop; every step runs on the loop."""

from __future__ import annotations

import asyncio

from ..workload import READY, now, run_task_async

NAME = "asyncio"
DESCRIPTION = "one Task per task on one event loop; cpu, native and block steps stall it"


def default_pool_size(cpu_count: int):
    return None


def run(run) -> None:
    asyncio.run(run_on_loop(run, None))


async def run_on_loop(run, executor) -> None:
    ctx = run.ctx
    loop_worker = ctx.worker("loop")
    run.start_clock()
    tasks = []
    for task in run.tasks:
        ctx.emit((now(), task["id"], loop_worker, READY))
        tasks.append(asyncio.ensure_future(run_task_async(ctx, task, loop_worker, executor)))
    await asyncio.gather(*tasks)
