"""concurrent.futures.ProcessPoolExecutor: each worker has its own interpreter and GIL.

Workers record with their own :class:`Recorder` and ship frames through a
multiprocessing queue; the probe forwards them to the parent unchanged. Each
task's result carries its worker's memory figures and the latencies of its
operations; the scenario's one lock is a multiprocessing lock handed to every
worker by the pool's initializer.

A task with ``data`` steps hands its argument over and gets a result back, each
pickled once by the pool, as a program's own would be, and copied between
processes (:mod:`..transfer`). The probe records the result's trip and the
task's ``done`` once it has unpickled the result, through the same queue as the
workers' frames: the queue is a ``SimpleQueue``, written synchronously, so a
worker's last frame is in it before its result reaches the probe, and the
probe's events land after it.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from threadloom.wire import WORKER_PROCESS

from ..gauges import MemoryGauge
from ..lifeline import exit_when_orphaned
from ..recorder import Recorder
from ..transfer import hand_over, run_handed_over
from ..workload import StepContext, now
from ._spec import GIL_PER_WORKER, ModelSpec, all_steps_on


def default_pool_size(cpu_count: int):
    return cpu_count  # ProcessPoolExecutor's own default


SPEC = ModelSpec(
    name="process-pool",
    description="ProcessPoolExecutor(pool_size); one interpreter (and GIL) per worker",
    hint="Each process has its own GIL: CPU-bound work really runs in parallel.",
    lesson=(
        "Processes share no GIL: each has its own interpreter, so CPU-bound Python really runs in parallel, up "
        "to one process per core. The price: starting processes and copying data between them."
    ),
    worker_kinds=(WORKER_PROCESS,),
    gil=GIL_PER_WORKER,
    step_places=all_steps_on(WORKER_PROCESS),
    default_pool_size=default_pool_size,
    # Each worker is an interpreter of its own: a few dozen fill an ordinary machine's memory.
    max_pool_size=64,
)


def run(run) -> None:
    ctx = run.ctx
    mp = multiprocessing.get_context(_start_method())
    events = mp.SimpleQueue()
    forward = threading.Thread(target=_forward, args=(events, run), name="threadloom-forward", daemon=True)
    forward.start()
    worker_config = ctx.worker_config()
    checked_in = mp.Value("i", 0)
    shared_lock, lock_stamp = mp.Lock(), mp.RawValue("q", 0)
    initargs = (events, worker_config, checked_in, shared_lock, lock_stamp)
    try:
        with ProcessPoolExecutor(run.pool_size, mp_context=mp, initializer=_init_worker, initargs=initargs) as pool:
            _warm_up(pool, run.pool_size, checked_in)
            run.start_clock()
            futures = []
            unpacked = threading.Semaphore(0)
            handing_back = 0
            for task in run.tasks:
                argument = hand_over(ctx, task)
                future = pool.submit(_run_in_worker, task, argument)
                if argument is not None:
                    future.add_done_callback(_result_unpacker(task["id"], events, unpacked))
                    handing_back += 1
                futures.append(future)
            for future in futures:
                pid, memory, ops, _ = future.result()
                run.processes[pid] = memory
                for (group, kind), lat in ops.items():
                    ctx.add_ops(group, {kind: lat})
            for _ in range(handing_back):
                unpacked.acquire()  # a future's result() returns before its callbacks have run
    finally:
        events.put(None)
        forward.join()


def _start_method() -> str:
    """Never plain fork: the probe has threads, and a forked child inherits their locks."""
    if getattr(sys, "frozen", False):
        return "spawn"
    methods = multiprocessing.get_all_start_methods()
    return "forkserver" if "forkserver" in methods else "spawn"


def _forward(events, run) -> None:
    while True:
        frame = events.get()
        if frame is None:
            return
        if isinstance(frame, tuple):  # the probe's own event, queued behind the worker's frames
            run.ctx.emit(frame)
            continue
        # The probe's own buffer may hold this task's ``queued`` event: send
        # it first so each task's events reach the parent in time order.
        run.recorder.flush()
        run.write(frame)


def _result_unpacker(task: int, events, unpacked: threading.Semaphore):
    """A done-callback that queues the trip back of a task's result, and its ``done``, once it landed."""

    def unpack(future) -> None:
        try:
            if not future.cancelled() and future.exception() is None:
                for event in future.result()[3].events():
                    events.put(event)
        finally:
            unpacked.release()

    return unpack


_worker_ctx = None
_checked_in = None
_worker_memory = None
#: When this worker last finished a task (or warmed up): from then on it could take data in.
_free_since = 0
#: How long to wait for every worker process to start before the clock starts.
WARM_UP_TIMEOUT_S = 30.0


def _warm_up(pool, size: int, checked_in) -> None:
    """Start every worker before the clock starts, as a long-lived service would.

    Each warm-up call holds its worker until all have checked in, so the pool
    has to start ``size`` processes; without this, one early worker may take
    every task while the others are still importing.
    """
    for future in [pool.submit(_check_in, size) for _ in range(size)]:
        future.result()


def _check_in(size: int) -> None:
    with _checked_in.get_lock():
        _checked_in.value += 1
    deadline = time.monotonic() + WARM_UP_TIMEOUT_S
    while _checked_in.value < size and time.monotonic() < deadline:
        time.sleep(0.002)
    _worker_memory.start()  # this worker's baseline, as the clock is about to start
    global _free_since
    _free_since = now()


def _init_worker(events, config: dict, checked_in, shared_lock, lock_stamp) -> None:
    global _worker_ctx, _checked_in, _worker_memory
    _checked_in = checked_in
    exit_when_orphaned()
    _worker_memory = MemoryGauge()
    recorder = Recorder(events.put, worker_base=os.getpid() * 100, memory=_worker_memory)
    recorder.start()
    _worker_ctx = StepContext.for_worker(recorder, config)
    _worker_ctx.lock = shared_lock
    _worker_ctx.lock_stamp = lock_stamp


def _run_in_worker(task: dict, argument=None):
    """Run one task; return ``(pid, memory figures, {(group, kind): latencies}, result)`` of this worker.

    With an ``argument`` (the task has ``data`` steps, and the pool unpickled it
    before this call) the result is as big, and the pool pickles it after this
    call; without, the result is ``None``.
    """
    global _free_since
    ctx = _worker_ctx
    try:
        result = run_handed_over(ctx, task, WORKER_PROCESS, argument, _free_since)
    finally:
        ctx.rec.flush()
        _free_since = now()
    return os.getpid(), _worker_memory.figures(), ctx.take_ops(), result
