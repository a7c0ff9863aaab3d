"""The probe's event stream: versioned, documented in docs/wire-format.md.

Standard library only, and Python 3.9 syntax: the probe imports this module
under whatever interpreter the user picked.
"""

from .format import (
    EVENT_DTYPE_FORMAT,
    EVENT_FIELDS,
    MAGIC,
    STATE_CODES,
    STATE_NAMES,
    TASK_DONE,
    VERSION,
    WORKER_HUB,
    WORKER_INTERPRETER,
    WORKER_KINDS,
    WORKER_LOOP,
    WORKER_MAIN,
    WORKER_POOL_THREAD,
    WORKER_PROCESS,
    WORKER_RAY,
    WORKER_THREAD,
    WorkerKind,
    encode_events,
    encode_json,
    magic_line,
    worker_kind,
)

__all__ = [
    "EVENT_DTYPE_FORMAT",
    "EVENT_FIELDS",
    "MAGIC",
    "STATE_CODES",
    "STATE_NAMES",
    "TASK_DONE",
    "VERSION",
    "WORKER_HUB",
    "WORKER_INTERPRETER",
    "WORKER_KINDS",
    "WORKER_LOOP",
    "WORKER_MAIN",
    "WORKER_POOL_THREAD",
    "WORKER_PROCESS",
    "WORKER_RAY",
    "WORKER_THREAD",
    "WorkerKind",
    "encode_events",
    "encode_json",
    "magic_line",
    "worker_kind",
]
