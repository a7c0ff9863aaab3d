"""concurrent.futures.ProcessPoolExecutor: each worker has its own interpreter and GIL.

Workers record with their own :class:`Recorder` and ship frames through a
multiprocessing queue; the probe forwards them to the parent unchanged.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from concurrent.futures import ProcessPoolExecutor

from ..lifeline import exit_when_orphaned
from ..recorder import Recorder
from ..workload import QUEUED, Calibration, StepContext, now, run_task

NAME = "process-pool"
DESCRIPTION = "ProcessPoolExecutor(pool_size); one interpreter (and GIL) per worker"


def default_pool_size(cpu_count: int):
    return cpu_count  # ProcessPoolExecutor's own default


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
    try:
        with ProcessPoolExecutor(run.pool_size, mp_context=mp, initializer=_init_worker, initargs=(events, worker_config)) as pool:
            futures = []
            for task in run.tasks:
                ctx.emit((now(), task["id"], -1, QUEUED))
                futures.append(pool.submit(_run_in_worker, task))
            for future in futures:
                future.result()
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


def _init_worker(events, config: dict) -> None:
    global _worker_ctx
    exit_when_orphaned()
    sys.setswitchinterval(config["switch_interval_s"])
    recorder = Recorder(events.put, worker_base=os.getpid() * 100)
    recorder.start()
    _worker_ctx = StepContext(
        recorder,
        Calibration(**config["calibration"]),
        config["gap_ns"],
        config["peer_port"],
        config["recording"],
    )


def _run_in_worker(task: dict) -> None:
    ctx = _worker_ctx
    try:
        run_task(ctx, task, "process")
    finally:
        ctx.rec.flush()
