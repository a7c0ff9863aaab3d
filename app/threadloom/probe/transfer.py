"""A task's data: what its ``data = KB`` steps hand to where its work runs, and get back.

Threads and coroutines share one memory, so handing a task its data costs a
reference and their models skip the step. Where a task's work runs in another
process or interpreter (a process pool, Ray, an interpreter pool), its argument
is pickled where it is submitted, copied across and unpickled where it runs,
and its result makes the way back. That time is ``transfer``.

Whatever carries the data (a multiprocessing queue, Ray's serializer, an
interpreter pool) pickles it exactly once, as it would a program's own
argument: the probe never pickles it a second time to watch. Instead the
objects here record their own trip, from inside that one pickling, with
markers on either side of the data:

- :class:`Argument`, in the submitting process: ``transfer`` on no worker from
  the moment the carrier starts pickling it, ``queued`` from the moment the
  data is in the stream; that moment travels with the data.
- :class:`Arrived`, what the worker unpickles: on the worker, ``transfer``
  from the later of "the data was packed" and "this worker was free", until
  the task's first step.
- :class:`Result`, what the worker returns: it stamps when its pickling started
  and ended (the worker, then no worker, in ``transfer``) into the stream.
- :class:`Landed`, what the submitting process unpickles: the task is done
  once that has happened, after everything its worker did
  (:meth:`Landed.events`).

The data is ``bytes``: pickling it is one copy, so what this measures is the
floor of the cost; a list of objects costs more per byte. Standard library only.
"""

from __future__ import annotations

from threadloom.wire import STATE_CODES

from .workload import QUEUED, TASK_DONE, now, run_task

TRANSFER = STATE_CODES["transfer"]
#: The steps that carry data rather than doing work.
DATA_STEP = "data"
_BYTES_PER_KB = 1024
_payloads: dict = {}
#: In a worker: when it last finished pickling a result (its own clock). Until then it was
#: still handing data back, so the next task's data could not start coming in.
_result_packed_ns = 0


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


# -- where the task is submitted ------------------------------------------------


class Argument:
    """A task's data on its way out: pass it to the carrier as the task's argument."""

    __slots__ = ("_ctx", "_kb", "_task")

    def __init__(self, ctx, task: int, kb: float) -> None:
        self._ctx, self._task, self._kb = ctx, task, kb

    def __reduce__(self):
        self._ctx.emit((now(), self._task, -1, TRANSFER))
        # The stamp is pickled after the data, so its own pickling says when the data was in.
        return (Arrived, (payload(self._kb), _PackedStamp(self._ctx, self._task)))


class _PackedStamp:
    """Pickled right after an argument's data: the task waits ``queued`` from then, and the time travels."""

    __slots__ = ("_ctx", "_task")

    def __init__(self, ctx, task: int) -> None:
        self._ctx, self._task = ctx, task

    def __reduce__(self):
        t = now()
        self._ctx.emit((t, self._task, -1, QUEUED))
        return (int, (t,))


def hand_over(ctx, task: dict) -> Argument | None:
    """Where a task is submitted: it waits ``queued``; its :class:`Argument`, or ``None`` without data."""
    ctx.emit((now(), task["id"], -1, QUEUED))
    kb = data_kb(task)
    return Argument(ctx, task["id"], kb) if kb else None


# -- where the task runs ---------------------------------------------------------


class Arrived:
    """An argument as the worker unpickled it: when it was packed, in the submitting process's clock."""

    __slots__ = ("packed_ns",)

    def __init__(self, data: bytes, packed_ns: int) -> None:
        self.packed_ns = packed_ns  # the data itself is dropped: the task's steps never read it


class Result:
    """A task's data on its way back: return it from the worker's call; it records its own pickling.

    ``offset_ns`` is the worker's clock minus the submitting process's (0 on one machine).
    """

    __slots__ = ("_kb", "_offset", "_task", "_worker")

    def __init__(self, task: int, worker: int, kb: float, offset_ns: int = 0) -> None:
        self._task, self._worker, self._kb, self._offset = task, worker, kb, offset_ns

    def __reduce__(self):
        started = now() - self._offset
        return (Landed, (self._task, self._worker, started, payload(self._kb), _ResultStamp(self._offset)))


class _ResultStamp:
    """Pickled right after a result's data: from then the result travels on no worker."""

    __slots__ = ("_offset",)

    def __init__(self, offset_ns: int) -> None:
        self._offset = offset_ns

    def __reduce__(self):
        global _result_packed_ns
        _result_packed_ns = t = now()
        return (int, (t - self._offset,))


def run_handed_over(ctx, task: dict, kind: str, argument: Arrived | None, free_since: int, offset_ns: int = 0):
    """On the worker: run one task; with an ``argument``, return its :class:`Result` (else ``None``).

    Without an argument the task is recorded done here; with one, the submitting
    process records it done once the result has landed (:meth:`Landed.events`).
    ``free_since``: when this worker finished its previous call, in its own clock;
    ``offset_ns``: its clock minus the submitting process's.
    """
    if argument is None:
        run_task(ctx, task, kind)
        return None
    worker = ctx.worker(kind)
    since = max(argument.packed_ns + offset_ns, free_since, _result_packed_ns)
    ctx.emit((since, task["id"], worker, TRANSFER))
    run_task(ctx, task, kind, finish=False)
    return Result(task["id"], worker, data_kb(task), offset_ns)


# -- back where the task was submitted ---------------------------------------------


class Landed:
    """A result as the submitting process unpickled it, with the times of its trip."""

    __slots__ = ("landed_ns", "packed_ns", "started_ns", "task", "worker")

    def __init__(self, task: int, worker: int, started_ns: int, data: bytes, packed_ns: int) -> None:
        self.landed_ns = now()
        self.task, self.worker, self.started_ns, self.packed_ns = task, worker, started_ns, packed_ns

    def events(self, floor_ns: int = 0) -> list:
        """The trip back as events, none before ``floor_ns`` (the worker's last event): pickled on the
        worker, travelling on no worker, then the task's ``done``."""
        started = max(self.started_ns, floor_ns)
        packed = max(self.packed_ns, started)
        return [
            (started, self.task, self.worker, TRANSFER),
            (packed, self.task, -1, TRANSFER),
            (max(self.landed_ns, packed), self.task, -1, TASK_DONE),
        ]
