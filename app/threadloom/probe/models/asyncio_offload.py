"""asyncio, with cpu, native and block steps sent to a thread pool."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from threadloom.wire import WORKER_LOOP, WORKER_POOL_THREAD

from ._spec import GIL_SHARED, ModelSpec, all_steps_on
from .asyncio_loop import run_on_loop
from .thread_pool import default_pool_size

SPEC = ModelSpec(
    name="asyncio-offload",
    description="asyncio; cpu, native and block steps go to a thread pool via run_in_executor",
    hint="Blocking and CPU work go to threads, so the loop keeps turning.",
    lesson=(
        "Blocking and CPU-bound steps go to a thread pool (run_in_executor), so the loop keeps turning while "
        "they run. CPU-bound Python in those threads still needs the GIL, so the loop thread may have to wait "
        "for it."
    ),
    worker_kinds=(WORKER_LOOP, WORKER_POOL_THREAD),
    gil=GIL_SHARED,
    # The asyncio.Lock is taken on the loop; the work done holding it runs in the pool.
    step_places=all_steps_on(WORKER_POOL_THREAD, io=WORKER_LOOP, net=WORKER_LOOP),
    # The same pool, with the same default.
    default_pool_size=default_pool_size,
    max_pool_size=1_024,
)


def run(run) -> None:
    with ThreadPoolExecutor(run.pool_size, thread_name_prefix="offload") as pool:
        asyncio.run(run_on_loop(run, pool))
