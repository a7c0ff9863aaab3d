"""Concurrency models, one module each.

A model module has ``NAME``, ``DESCRIPTION`` (one line a user reads in
``--help`` and the GUI), ``default_pool_size(cpu_count)`` (``None`` if it has
no pool) and ``run(run: ProbeRun) -> None``, which calls ``run.start_clock()``
once its machinery is ready, submits every task of ``run.tasks`` (recording
``queued`` or ``ready`` at submission) and returns when all are done.
Adding a model is adding a module here and listing it below.
"""

from __future__ import annotations

from . import asyncio_loop, asyncio_offload, process_pool, sequential, thread_pool, threads

_MODULES = (threads, thread_pool, asyncio_loop, asyncio_offload, process_pool, sequential)

MODELS = {m.NAME: m for m in _MODULES}
MODEL_NAMES = tuple(MODELS)
