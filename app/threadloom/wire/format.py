"""Encoding of the probe's event stream (version 1).

A stream is a magic line, then frames. Each frame is one ASCII header line
``<kind> <length>\\n`` followed by exactly ``length`` bytes of payload:

- ``E``: state-change events, a flat run of little-endian signed 64-bit
  integers, four per event: ``t_ns, task, worker, state``.
- ``J``: one UTF-8 JSON object with a ``"type"`` key (``header``, ``task``,
  ``worker``, ``trailer``, ``error``, ``log``).

Events are packed with :mod:`array` because the probe pays for every
microsecond it spends encoding: it shares the GIL with the work it measures.
"""

from __future__ import annotations

import json
import sys
from array import array
from typing import NamedTuple

MAGIC = b"THREADLOOM-WIRE"
VERSION = 1

#: The vocabulary of states every model speaks. Codes are part of the format.
#: ``transfer`` (code 7, added after ``idle`` so older codes keep their meaning): pickling, copying and
#: unpickling a task's data between processes.
STATE_NAMES = ("running", "native", "ready", "io", "blocked", "queued", "idle", "transfer")
STATE_CODES = {name: code for code, name in enumerate(STATE_NAMES)}
#: Not a state: the event that closes a task's last segment.
TASK_DONE = 255


class WorkerKind(NamedTuple):
    """What a kind of worker is, as far as drawing and explaining it goes.

    ``kind`` in a ``worker`` record names one of :data:`WORKER_KINDS`; the
    trace, the views and the metrics read these properties instead of testing
    names, so a new model that reuses a kind needs no edits outside its module.
    """

    name: str
    #: How a label names one of several: "thread 3", "worker 2".
    noun: str
    #: The label when a run has only one worker of this kind ("event loop"), or "".
    sole_label: str
    #: Labelled by its process id ("process 12345"): one interpreter, one GIL, of its own.
    own_gil: bool
    #: Occupied only while code runs on it: a coroutine waiting on a timer does not hold an event loop.
    cooperative: bool
    #: Lives for the whole run and sits idle between tasks (a pool's worker, an event loop).
    long_lived: bool
    #: Started for one task and named after it (the threads model's threads).
    per_task: bool
    #: What the tasks on a cooperative worker are called ("coroutines", "greenlets").
    task_noun: str = "tasks"
    #: Where a cooperative worker waits when nothing is ready ("select()", "the hub's event loop").
    idle_wait: str = ""
    #: An own-GIL worker labelled by its process id; interpreters that share a process are counted instead.
    labelled_by_pid: bool = True


WORKER_THREAD = "thread"
WORKER_POOL_THREAD = "pool-thread"
WORKER_LOOP = "loop"
WORKER_PROCESS = "process"
WORKER_MAIN = "main"
#: A Ray worker process, on this machine or another node of a cluster.
WORKER_RAY = "ray-worker"
#: A subinterpreter of InterpreterPoolExecutor: a GIL of its own, in the probe's process.
WORKER_INTERPRETER = "interpreter"
#: gevent's hub: one thread whose greenlets take turns, switching where the patched stdlib would block.
WORKER_HUB = "hub"

WORKER_KINDS = {
    k.name: k
    for k in (
        WorkerKind(WORKER_THREAD, "thread", "", own_gil=False, cooperative=False, long_lived=False, per_task=True),
        WorkerKind(WORKER_POOL_THREAD, "worker", "", own_gil=False, cooperative=False, long_lived=True, per_task=False),
        WorkerKind(
            WORKER_LOOP,
            "loop",
            "event loop",
            own_gil=False,
            cooperative=True,
            long_lived=True,
            per_task=False,
            task_noun="coroutines",
            idle_wait="select()",
        ),
        WorkerKind(WORKER_PROCESS, "process", "", own_gil=True, cooperative=False, long_lived=True, per_task=False),
        WorkerKind(WORKER_RAY, "ray worker", "", own_gil=True, cooperative=False, long_lived=True, per_task=False),
        WorkerKind(
            WORKER_INTERPRETER,
            "interpreter",
            "",
            own_gil=True,
            cooperative=False,
            long_lived=True,
            per_task=False,
            labelled_by_pid=False,
        ),
        WorkerKind(
            WORKER_HUB,
            "hub",
            "gevent hub",
            own_gil=False,
            cooperative=True,
            long_lived=True,
            per_task=False,
            task_noun="greenlets",
            idle_wait="the hub's event loop",
        ),
        WorkerKind(
            WORKER_MAIN, "main", "main thread", own_gil=False, cooperative=False, long_lived=False, per_task=False
        ),
    )
}


def worker_kind(name: str) -> WorkerKind:
    """The properties of a worker kind; an unknown one (a newer probe's) is drawn as a plain thread."""
    found = WORKER_KINDS.get(name)
    if found is None:
        return WORKER_KINDS[WORKER_THREAD]._replace(name=name, noun=name, per_task=False)
    return found


EVENT_FIELDS = ("t_ns", "task", "worker", "state")
EVENT_DTYPE_FORMAT = "<i8"

_NATIVE_LITTLE = sys.byteorder == "little"


def magic_line() -> bytes:
    return MAGIC + b" " + str(VERSION).encode() + b"\n"


def encode_events(flat: list) -> bytes:
    """Frame a flat list ``[t, task, worker, state, t, task, ...]``."""
    packed = array("q", flat)
    if not _NATIVE_LITTLE:
        packed.byteswap()
    payload = packed.tobytes()
    return b"E " + str(len(payload)).encode() + b"\n" + payload


def encode_json(obj: dict) -> bytes:
    payload = json.dumps(obj, separators=(",", ":")).encode("utf-8")
    return b"J " + str(len(payload)).encode() + b"\n" + payload
