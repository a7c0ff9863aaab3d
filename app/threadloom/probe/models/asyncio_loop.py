"""One asyncio Task per task on one event loop; every step runs on the loop."""

from __future__ import annotations

import asyncio

from threadloom.wire import WORKER_LOOP

from ..workload import READY, now, run_task_async
from ._spec import GIL_SHARED, ModelSpec, all_steps_on

SPEC = ModelSpec(
    name="asyncio",
    description="one Task per task on one event loop; cpu, native and block steps stall it",
    hint="Coroutines take turns on one thread; a blocking call freezes them all.",
    lesson=(
        "Why does one blocking call freeze every coroutine? The loop runs one coroutine at a time on one thread, "
        "and switches only when that coroutine awaits. A time.sleep or a long computation never awaits, so the "
        "ring stops turning and everyone else waits, even coroutines whose timers fired long ago."
    ),
    worker_kinds=(WORKER_LOOP,),
    gil=GIL_SHARED,
    step_places=all_steps_on(WORKER_LOOP),
)


def run(run) -> None:
    asyncio.run(run_on_loop(run, None))


async def run_on_loop(run, executor) -> None:
    ctx = run.ctx
    loop_worker = ctx.worker(WORKER_LOOP)
    ctx.async_lock = asyncio.Lock()  # the scenario's one lock, for lock steps
    run.start_clock()
    tasks = []
    for task in run.tasks:
        ctx.emit((now(), task["id"], loop_worker, READY))
        tasks.append(asyncio.ensure_future(run_task_async(ctx, task, loop_worker, executor)))
    await asyncio.gather(*tasks)
