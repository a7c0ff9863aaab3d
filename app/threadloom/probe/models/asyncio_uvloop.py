"""The asyncio model on uvloop's event loop (libuv) instead of the standard library's."""

from __future__ import annotations

import asyncio

from threadloom.wire import WORKER_LOOP

from ._spec import GIL_SHARED, ModelSpec, all_steps_on
from .asyncio_loop import run_on_loop

SPEC = ModelSpec(
    name="asyncio-uvloop",
    description="asyncio on uvloop's event loop; cpu, native and block steps stall it",
    hint="A faster event loop, the same rules: a blocking call still freezes every coroutine.",
    lesson=(
        "uvloop replaces the event loop's machinery (timers, sockets, the ready queue) with libuv, which "
        "makes each switch and each socket operation cheaper. It changes nothing about who runs when: the loop "
        "still runs one coroutine at a time, and a time.sleep or a long computation still stops the ring for "
        "everyone, even coroutines whose timers fired long ago."
    ),
    worker_kinds=(WORKER_LOOP,),
    gil=GIL_SHARED,
    step_places=all_steps_on(WORKER_LOOP),
    packages=("uvloop",),
)

#: What a probe without uvloop says, in the words ``threadloom interpreters`` uses.
MISSING = "asyncio-uvloop needs uvloop, not installed for this interpreter: pip install uvloop"


def run(run) -> None:
    try:
        import uvloop
    except ImportError as exc:
        raise ImportError(MISSING) from exc

    loop = uvloop.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(run_on_loop(run, None))
    finally:
        asyncio.set_event_loop(None)
        loop.close()
