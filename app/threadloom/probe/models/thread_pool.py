"""concurrent.futures.ThreadPoolExecutor: tasks beyond the pool wait in its queue."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from threadloom.wire import WORKER_POOL_THREAD

from ..workload import QUEUED, now, run_task
from ._spec import GIL_SHARED, ModelSpec, all_steps_on


def default_pool_size(cpu_count: int):
    return min(32, cpu_count + 4)  # ThreadPoolExecutor's own default


SPEC = ModelSpec(
    name="thread-pool",
    description="ThreadPoolExecutor(pool_size); extra tasks wait in its queue",
    hint="A fixed number of threads; more tasks than threads means a queue.",
    lesson=(
        "A pool runs at most as many tasks as it has workers; the rest wait in its queue. Threads waiting on "
        "I/O release the GIL, so a pool of I/O tasks overlaps its waits; a pool of CPU work still takes turns "
        "on the one GIL."
    ),
    no_gil_lesson=(
        "This interpreter has no GIL: threads running Python code really run at once, so there is no token to wait for."
    ),
    worker_kinds=(WORKER_POOL_THREAD,),
    gil=GIL_SHARED,
    step_places=all_steps_on(WORKER_POOL_THREAD),
    default_pool_size=default_pool_size,
    max_pool_size=1_024,
)


def run(run) -> None:
    ctx = run.ctx
    with ThreadPoolExecutor(run.pool_size, thread_name_prefix="pool") as pool:
        run.start_clock()
        futures = []
        for task in run.tasks:
            ctx.emit((now(), task["id"], -1, QUEUED))
            futures.append(pool.submit(run_task, ctx, task, WORKER_POOL_THREAD))
        for future in futures:
            future.result()
