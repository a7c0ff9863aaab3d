"""Running the probe: from a request to a live, growing :class:`~threadloom.model.Trace`.

Everything here is asyncio and Qt-free: the CLI drives it with ``asyncio.run``,
the GUI with qasync's loop.
"""

from .interpreters import (
    InterpreterInfo,
    describe_interpreter,
    discover_interpreters,
    probe_command,
    this_interpreter,
)
from .session import ProbeSession, RunRequest, RunResult, run_blocking

__all__ = [
    "InterpreterInfo",
    "ProbeSession",
    "RunRequest",
    "RunResult",
    "describe_interpreter",
    "discover_interpreters",
    "probe_command",
    "run_blocking",
    "this_interpreter",
]
