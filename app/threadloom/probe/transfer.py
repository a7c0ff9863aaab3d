"""A task's data: what its ``data = KB`` steps hand to where its work runs, and get back.

Threads and coroutines share one memory, so handing a task its data costs a
reference and their models skip the step. Where a task's work runs in another
process (a process pool, Ray), its argument is pickled where it is submitted,
copied across, and unpickled where it runs, and its result makes the way back.
That time is ``transfer``, recorded on both sides:

- in the submitting process, pickling the argument (:func:`pack_argument`):
  ``transfer`` on no worker, then ``queued``;
- on the worker, from the moment it could take the data in until it is
  unpickled (:func:`unpack_argument`): ``transfer`` on that worker;
- on the worker again, pickling the result (:func:`pack_result`), then
  ``transfer`` on no worker while it travels;
- in the submitting process, unpickling it (:func:`unpack_result`), after
  which the model records the task as done.

The data is ``bytes``: pickling it is one copy, so what this measures is the
floor of the cost; a list of objects costs more per byte. Standard library only.
"""

from __future__ import annotations

import pickle

from threadloom.wire import STATE_CODES

from .workload import QUEUED, now, run_task

TRANSFER = STATE_CODES["transfer"]
#: The steps that carry data rather than doing work.
DATA_STEP = "data"
_BYTES_PER_KB = 1024
_payloads: dict = {}


def data_kb(task: dict) -> float:
    """How much data a task hands over, in KB: the sum of its ``data`` steps (0 without any)."""
    return sum(amount for kind, amount in task["steps"] if kind == DATA_STEP)


def payload(kb: float) -> bytes:
    """``kb`` KB of data, made once per size: a run's tasks share it, as they would a read-only input."""
    size = int(kb * _BYTES_PER_KB)
    found = _payloads.get(size)
    if found is None:
        found = _payloads[size] = bytes(size)
    return found


def pack_argument(ctx, task: int, kb: float) -> bytes:
    """Pickle a task's argument where it is submitted; the task waits ``queued`` after it."""
    ctx.emit((now(), task, -1, TRANSFER))
    blob = pickle.dumps(payload(kb), protocol=pickle.HIGHEST_PROTOCOL)
    ctx.emit((now(), task, -1, QUEUED))
    return blob


def unpack_argument(ctx, task: int, worker: int, blob: bytes, since_ns: int) -> None:
    """On the worker: ``transfer`` from ``since_ns`` (when it could start taking the data in) until unpickled.

    ``since_ns`` is the later of the moment the argument was packed and the
    moment this worker finished its previous task: before that, the data sat
    in a pipe or a store while the task was still queued.
    """
    ctx.emit((since_ns, task, worker, TRANSFER))
    pickle.loads(blob)


def pack_result(ctx, task: int, worker: int, kb: float) -> bytes:
    """On the worker, after the task's steps: pickle its result; it travels on no worker after that."""
    ctx.emit((now(), task, worker, TRANSFER))
    blob = pickle.dumps(payload(kb), protocol=pickle.HIGHEST_PROTOCOL)
    ctx.emit((now(), task, -1, TRANSFER))
    return blob


def hand_over(ctx, task: dict) -> bytes:
    """Where a task is submitted: its pickled argument (``b""`` for a task without data), then ``queued``."""
    kb = data_kb(task)
    if kb:
        return pack_argument(ctx, task["id"], kb)
    ctx.emit((now(), task["id"], -1, QUEUED))
    return b""


def run_handed_over(ctx, task: dict, kind: str, argument: bytes, since_ns: int) -> bytes:
    """On the worker: run one task; with an ``argument``, unpickle it first and return the result pickled.

    Without one (``b""``) the task is recorded done here and the result is ``b""``; with one, the
    submitting process records it done once it has unpickled the result (:func:`unpack_result`).
    ``since_ns``: see :func:`unpack_argument`.
    """
    if not argument:
        run_task(ctx, task, kind)
        return b""
    worker = ctx.worker(kind)
    unpack_argument(ctx, task["id"], worker, argument, since_ns)
    run_task(ctx, task, kind, finish=False)
    return pack_result(ctx, task["id"], worker, data_kb(task))


def unpack_result(blob: bytes) -> int:
    """Where the task was submitted: unpickle its result; return when that ended (the task's end)."""
    pickle.loads(blob)
    return now()
