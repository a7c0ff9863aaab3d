"""concurrent.futures.ProcessPoolExecutor: each worker has its own interpreter and GIL.

Workers record with their own :class:`Recorder` and ship frames through a
multiprocessing queue; the probe forwards them to the parent unchanged. Each
task's result carries its worker's memory figures and the latencies of its
operations; the scenario's one lock is a multiprocessing lock handed to every
worker by the pool's initializer.
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
from ..workload import QUEUED, Calibration, StepContext, now, run_task
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
    events = mp.Queue()
    forward = threading.Thread(target=_forward, args=(events, run), name="threadloom-forward", daemon=True)
    forward.start()
    worker_config = {
        "calibration": ctx.calibration.to_json(),
        "gap_ns": ctx.gap_ns,
        "peer_port": ctx.peer_port,
        "recording": ctx.recording,
        "switch_interval_s": sys.getswitchinterval(),
    }
    checked_in = mp.Value("i", 0)
    shared_lock, lock_stamp = mp.Lock(), mp.RawValue("q", 0)
    initargs = (events, worker_config, checked_in, shared_lock, lock_stamp)
    try:
        with ProcessPoolExecutor(run.pool_size, mp_context=mp, initializer=_init_worker, initargs=initargs) as pool:
            _warm_up(pool, run.pool_size, checked_in)
            run.start_clock()
            futures = []
            for task in run.tasks:
                ctx.emit((now(), task["id"], -1, QUEUED))
                futures.append(pool.submit(_run_in_worker, task))
            for future in futures:
                pid, memory, ops = future.result()
                run.processes[pid] = memory
                for (group, kind), lat in ops.items():
                    ctx.add_ops(group, {kind: lat})
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
        # The probe's own buffer may hold this task's ``queued`` event: send
        # it first so each task's events reach the parent in time order.
        run.recorder.flush()
        run.write(frame)


_worker_ctx = None
_checked_in = None
_worker_memory = None
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


def _init_worker(events, config: dict, checked_in, shared_lock, lock_stamp) -> None:
    global _worker_ctx, _checked_in, _worker_memory
    _checked_in = checked_in
    exit_when_orphaned()
    sys.setswitchinterval(config["switch_interval_s"])
    _worker_memory = MemoryGauge()
    recorder = Recorder(events.put, worker_base=os.getpid() * 100, memory=_worker_memory)
    recorder.start()
    _worker_ctx = StepContext(
        recorder,
        Calibration(**config["calibration"]),
        config["gap_ns"],
        config["peer_port"],
        config["recording"],
    )
    _worker_ctx.lock = shared_lock
    _worker_ctx.lock_stamp = lock_stamp


def _run_in_worker(task: dict):
    """Run one task; return ``(pid, memory figures, {(group, kind): latencies})`` of this worker."""
    ctx = _worker_ctx
    try:
        run_task(ctx, task, WORKER_PROCESS)
    finally:
        ctx.rec.flush()
    return os.getpid(), _worker_memory.figures(), ctx.take_ops()
