"""concurrent.futures.InterpreterPoolExecutor (Python 3.14+): workers that are interpreters of their own.

Each worker is a thread of the probe running a subinterpreter with its own GIL,
so CPU-bound Python runs in parallel as in a process pool, in one process.
Interpreters share no Python objects: the pool pickles each call's function
(by name) and arguments into the worker, and its result back out. So each
call records into a buffer of its own and returns its events as encoded wire
frames (bytes) with its result; the probe writes them to the stream, the same
way the Ray model does. All interpreters read the same monotonic clock.

The worker interpreters start with the probe's ``sys.path``, set by the pool's
initializer before anything of Threadloom is imported there: the initializer is
the builtin ``exec`` (which every interpreter can unpickle) with that source.

The scenario's one lock is a token in a ``concurrent.interpreters`` queue of
one slot, which every interpreter can block on: taking the token is taking the
lock, and the token is the moment it was last released (the ``lock_stamp``).

A task with ``data`` steps hands its argument over pickled, as to a process
pool (:mod:`..transfer`); the probe records its ``done`` after unpickling the
result, once the worker's frames are on the stream.
"""

from __future__ import annotations

import queue
import sys
import time
from concurrent.futures import as_completed

from threadloom.wire import WORKER_INTERPRETER

from ..recorder import CallRecorder
from ..transfer import hand_over, run_handed_over
from ..workload import StepContext, now
from ._spec import GIL_PER_WORKER, ModelSpec, all_steps_on

#: The first Python whose concurrent.futures has InterpreterPoolExecutor.
MIN_PYTHON = (3, 14)


def default_pool_size(cpu_count: int):
    return cpu_count  # InterpreterPoolExecutor's own default is ThreadPoolExecutor's (cpu_count + 4): too many GILs


SPEC = ModelSpec(
    name="interpreter-pool",
    description="InterpreterPoolExecutor(pool_size); one subinterpreter (and GIL) per worker, in one process",
    hint="Each interpreter has its own GIL: CPU-bound work runs in parallel without leaving the process.",
    lesson=(
        "Each worker is an interpreter of its own, with its own GIL, inside the one process: CPU-bound Python "
        "runs in parallel as in a process pool, with no process to start. What they cannot do is share objects: "
        "arguments and results are pickled from one interpreter to the other, as between processes."
    ),
    worker_kinds=(WORKER_INTERPRETER,),
    gil=GIL_PER_WORKER,
    step_places=all_steps_on(WORKER_INTERPRETER),
    default_pool_size=default_pool_size,
    max_pool_size=64,
    min_python=MIN_PYTHON,
)

#: What a probe too old for this model says (``threadloom interpreters`` says it from ``min_python``).
MISSING = "the interpreter-pool model needs Python %d.%d or newer (concurrent.futures.InterpreterPoolExecutor)"
#: Worker ids: ``INTERPRETER_BASE + interpreter id``, clear of the probe's own workers (1, 2, ...).
INTERPRETER_BASE = 1 << 40
#: How often a worker waiting for the scenario's lock looks at it again.
LOCK_POLL_S = 0.0002
#: How long every interpreter may take to start before the clock starts.
WARM_UP_TIMEOUT_S = 30.0


def run(run) -> None:
    try:
        from concurrent import interpreters
        from concurrent.futures import InterpreterPoolExecutor
    except ImportError:
        raise RuntimeError((MISSING % MIN_PYTHON) + "; this is %s" % ".".join(map(str, sys.version_info[:3]))) from None

    ctx = run.ctx
    config = ctx.worker_config()
    setup = "import sys\nsys.path[:0] = %r\nfrom %s import _init_interpreter\n_init_interpreter(%r)\n" % (
        [p for p in sys.path if p],
        __name__,
        config,
    )
    lock = interpreters.create_queue(1)
    lock.put(0)  # free; never held yet (0: before any event, so it changes no wait)
    with InterpreterPoolExecutor(run.pool_size, initializer=exec, initargs=(setup, {})) as pool:
        _warm_up(pool, run.pool_size)
        run.start_clock()
        futures = {}
        for task in run.tasks:
            argument = hand_over(ctx, task)  # the pool pickles it, as it does what it cannot share
            futures[pool.submit(_run_in_interpreter, task, argument, lock)] = task
        # As they end, not in submission order: a data task's done is when the probe has its result back.
        for future in as_completed(futures):
            task = futures[future]
            frames, ops, result = future.result()
            run.recorder.flush()  # this task's queued event, in the probe's buffer, goes first
            run.write(frames)
            if result is not None:
                for event in result.events():
                    ctx.emit(event)
            for (group, kind), lat in ops.items():
                ctx.add_ops(group, {kind: lat})


def _warm_up(pool, size: int) -> None:
    """Start every interpreter before the clock starts: calls that each hold their worker a moment,
    until ``size`` distinct interpreters have answered."""
    deadline = time.monotonic() + WARM_UP_TIMEOUT_S
    seen: set = set()
    while len(seen) < size and time.monotonic() < deadline:
        seen.update(f.result() for f in [pool.submit(_check_in, 0.05) for _ in range(size)])


# -- inside a worker interpreter ----------------------------------------------


class _QueueLock:
    """The scenario's lock across interpreters: a one-slot queue's token, which is when it was last released.

    Waiting polls the queue every :data:`LOCK_POLL_S`, as the queue's own blocking ``get``
    does (every 10 ms there): the time from a release to the poll that sees it is ``ready``.
    """

    def __init__(self, queue, stamp) -> None:
        self.queue = queue
        self._stamp = stamp

    def acquire(self, blocking: bool = True) -> bool:
        while True:
            try:
                self._stamp.value = self.queue.get_nowait()
                return True
            except queue.Empty:  # the queue's QueueEmpty is one
                if not blocking:
                    return False
            time.sleep(LOCK_POLL_S)

    def release(self) -> None:
        self.queue.put(self._stamp.value)


_ctx = None
_recorder = None
_worker_id = 0
#: When this interpreter last finished a call: from then on it could take data in.
_free_since = 0


def _init_interpreter(config: dict) -> None:
    """The pool's initializer (through ``exec``): this interpreter's recorder and step context."""
    global _ctx, _recorder, _worker_id, _free_since
    from concurrent import interpreters

    number = interpreters.get_current().id
    _worker_id = INTERPRETER_BASE + number
    _recorder = CallRecorder(_worker_id, WORKER_INTERPRETER, "interpreter %d" % number)
    _ctx = StepContext.for_worker(_recorder, config)
    _free_since = now()


def _check_in(hold_s: float) -> int:
    global _free_since
    time.sleep(hold_s)
    _free_since = now()
    return _worker_id


def _run_in_interpreter(task: dict, argument, lock):
    """Run one task in this interpreter; return ``(frames, {(group, kind): latencies}, result)``."""
    global _free_since
    ctx = _ctx
    if not isinstance(ctx.lock, _QueueLock) or ctx.lock.queue.id != lock.id:
        ctx.lock = _QueueLock(lock, ctx.lock_stamp)
    try:
        result = run_handed_over(ctx, task, WORKER_INTERPRETER, argument, _free_since)
    finally:
        _free_since = now()
    return _recorder.frames()[0], ctx.take_ops(), result
