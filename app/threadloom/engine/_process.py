"""Ending a probe's process group, shared by every session that starts one (runs, cost measurements)."""

from __future__ import annotations

import asyncio
import os
import signal


def kill_group(pid: int) -> None:
    """SIGKILL the process group ``pid`` leads, whether or not its leader still runs.

    Pool workers, a forkserver or the children of a measurement may outlive the
    probe and hold its pipes. Callers stop calling once their run has ended: the
    group id is the probe's pid, which the system may by then have reused.
    """
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


async def exit_code(proc: asyncio.subprocess.Process, timeout: float) -> int | None:
    """The process's exit status, or None if it still runs after ``timeout`` s.

    Not ``proc.wait()``: on Python 3.11 that also waits for every pipe to close,
    which a child that outlived the probe may never do.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while proc.returncode is None and loop.time() < deadline:
        await asyncio.sleep(0.02)
    return proc.returncode
