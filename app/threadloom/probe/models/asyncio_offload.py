"""asyncio, with cpu, native and block steps sent to a thread pool."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from .asyncio_loop import run_on_loop
from .thread_pool import default_pool_size  # noqa: F401  (same pool, same default)

NAME = "asyncio-offload"
DESCRIPTION = "asyncio; cpu, native and block steps go to a thread pool via run_in_executor"


def run(run) -> None:
    with ThreadPoolExecutor(run.pool_size, thread_name_prefix="offload") as pool:
        asyncio.run(run_on_loop(run, pool))
