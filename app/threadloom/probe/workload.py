"""The step kinds that do work, each as a plain function and as a coroutine.

A ``data`` step does no work: it is the data a task hands over, which costs
nothing where memory is shared; models that cross a process boundary pay for it
with :mod:`.transfer`. Here it is skipped (:func:`work_steps`).

Every step records the state it enters and, where a wait ends, measures
``ready`` as the time between the moment the wait really ended (the timer's
deadline, the echo peer's reply, an offloaded job's return) and the moment
this code ran again. See docs/how-it-measures.md.

Every execution of a step (each round trip of a ``net`` step) also adds its
latency, from the moment it could start to the moment its code resumed, to a
per-task ``array('q')`` per step kind; a task hands them to the context when
it ends, and the trailer carries their percentiles per group and kind.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import struct
import sys
import threading
import time
from array import array
from dataclasses import dataclass

from threadloom.wire import STATE_CODES, TASK_DONE, WORKER_POOL_THREAD

now = time.monotonic_ns

RUNNING = STATE_CODES["running"]
NATIVE = STATE_CODES["native"]
READY = STATE_CODES["ready"]
IO = STATE_CODES["io"]
BLOCKED = STATE_CODES["blocked"]
QUEUED = STATE_CODES["queued"]

#: Target length of one slice of calibrated pure-Python work. Timestamps are
#: taken between slices, so this is the resolution of GIL-loss detection.
CPU_CHUNK_NS = 10_000
#: Target length of one hashing call; long enough to amortise the call.
NATIVE_CHUNK_NS = 500_000
_CPU_CHECK_EVERY = 10
_PING = struct.Struct("<qq")


def spin(n: int) -> int:
    """Pure-Python arithmetic that holds the GIL and touches no memory."""
    x = 1
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    return x


@dataclass
class Calibration:
    cpu_ns_per_iter: float
    cpu_chunk_iters: int
    native_ns_per_byte: float
    native_chunk_bytes: int

    @classmethod
    def measure(cls) -> Calibration:
        """Time both kinds of work in CPU time; the fastest trial stands for 'alone'.

        Trials are short and many because shared machines change speed from
        one moment to the next; the fastest is the least disturbed.
        """
        spin(300_000)  # warm up: caches, CPU frequency, a JIT if there is one
        probe_chunk = 100
        best = min(_cpu_time(_spin_chunks, (50, probe_chunk)) for _ in range(20))
        ns_per_iter = best / (50 * probe_chunk)
        size = 1 << 20
        data = bytes(size)
        best_native = min(_cpu_time(_hash, data) for _ in range(5))
        ns_per_byte = best_native / size
        return cls(
            cpu_ns_per_iter=ns_per_iter,
            cpu_chunk_iters=max(20, int(CPU_CHUNK_NS / ns_per_iter)),
            native_ns_per_byte=ns_per_byte,
            native_chunk_bytes=max(4096, int(NATIVE_CHUNK_NS / ns_per_byte)),
        )

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _cpu_time(fn, arg) -> int:
    t0 = time.thread_time_ns()
    fn(arg)
    return max(1, time.thread_time_ns() - t0)


def _spin_chunks(args) -> None:
    n_chunks, chunk = args
    for _ in range(n_chunks):
        spin(chunk)


def _hash(data) -> None:
    h = hashlib.sha256()
    h.update(data)  # releases the GIL for buffers over 2 KiB


class _Stamp:
    """When the shared lock was last released (``value``, monotonic ns); written while holding it."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


class StepContext:
    """What a step needs: the recorder, the calibration, the peer's port, the scenario's one lock.

    ``lock`` and ``lock_stamp`` are a ``threading.Lock`` and a :class:`_Stamp`
    unless a model replaces them (a multiprocessing lock and a shared value in
    process pools); coroutines use ``async_lock``, made on their loop.
    """

    def __init__(self, recorder, calibration: Calibration, gap_ns: int, peer_port, recording: bool):
        self.rec = recorder
        self.emit = recorder.emit if recording else _drop
        self.calibration = calibration
        self.gap_ns = gap_ns
        self.peer_port = peer_port
        self.recording = recording
        self._native_buffer = bytes(calibration.native_chunk_bytes)
        self._local = threading.local()
        self.lock = threading.Lock()
        self.lock_stamp = _Stamp()
        self.async_lock = None
        self._ops: dict = {}
        self._ops_lock = threading.Lock()

    def worker_config(self) -> dict:
        """What a worker in another process or interpreter needs to make a context like this one
        (:meth:`for_worker`), in the probe's switch interval: plain values, to pickle or to ``repr``."""
        return {
            "calibration": self.calibration.to_json(),
            "gap_ns": self.gap_ns,
            "peer_port": self.peer_port,
            "recording": self.recording,
            "switch_interval_s": sys.getswitchinterval(),
        }

    @classmethod
    def for_worker(cls, recorder, config: dict) -> StepContext:
        """In a worker: the context that ``config`` (:meth:`worker_config`) describes, recording into
        ``recorder``; the worker takes the probe's switch interval too."""
        sys.setswitchinterval(config["switch_interval_s"])
        return cls(
            recorder, Calibration(**config["calibration"]), config["gap_ns"], config["peer_port"], config["recording"]
        )

    def add_ops(self, group: str, ops: dict) -> None:
        """Take a task's operation latencies (``{kind: array('q') of ns}``) when it ends."""
        with self._ops_lock:
            for kind, lat in ops.items():
                key = (group, kind)
                mine = self._ops.get(key)
                if mine is None:
                    self._ops[key] = array("q", lat)
                else:
                    mine.extend(lat)

    def take_ops(self) -> dict:
        """Every latency gathered so far, ``{(group, kind): array}``, leaving none behind."""
        with self._ops_lock:
            ops, self._ops = self._ops, {}
        return ops

    def op_latency(self) -> dict:
        """``{group: {kind: {count, p50, p95, p99, max}}}`` in ns, for the trailer."""
        out: dict = {}
        for (group, kind), lat in sorted(self.take_ops().items()):
            if len(lat):
                out.setdefault(group, {})[kind] = latency_summary(lat)
        return out

    def worker(self, kind: str) -> int:
        return self.rec.worker(kind)

    def socket(self) -> socket.socket:
        """This thread's connection to the echo peer (one per thread)."""
        sock = getattr(self._local, "sock", None)
        if sock is None:
            sock = socket.create_connection(("127.0.0.1", self.peer_port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._local.sock = sock
        return sock

    def resumed(self, task: int, worker: int, woke: int) -> int:
        """Record the return to running after a wait that ended at ``woke``; return the moment it ran.

        Also where the run's own threads ship the recorder's buffer when it is due (see recorder.py).
        """
        t = now()
        if t - woke > self.gap_ns:
            self.emit((woke, task, worker, READY))
        self.emit((t, task, worker, RUNNING))
        rec = self.rec
        if t - rec.last_ship > rec.due_after_ns:
            rec.ship_due()
            # Writing gave the GIL up: time spent winning it back is this task's, waiting, not running.
            back = now()
            if back - t > self.gap_ns:
                self.emit((t, task, worker, READY))
                self.emit((back, task, worker, RUNNING))
                t = back
        return t


def latency_summary(values) -> dict:
    """``count``, ``p50``, ``p95``, ``p99`` (linear interpolation, as numpy's default) and ``max``, in ns."""
    ordered = sorted(values)
    n = len(ordered)
    out = {"count": n}
    for p in (50, 95, 99):
        pos = (n - 1) * p / 100.0
        lo = int(pos)
        hi = min(lo + 1, n - 1)
        out["p%d" % p] = round(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo))
    out["max"] = ordered[-1]
    return out


def _drop(_event) -> None:
    pass


# -- plain functions: threads, pools, processes, offloaded steps -----------


def cpu(ctx: StepContext, task: int, worker: int, ms: float) -> None:
    """Pure-Python work until this thread has used ``ms`` of CPU time.

    Counting CPU time rather than iterations keeps the amount of work honest
    on a machine whose speed drifts, and time spent waiting for the GIL is
    not CPU time, so a step takes exactly its share of the GIL.
    """
    cal = ctx.calibration
    chunk = cal.cpu_chunk_iters
    slice_ns = int(chunk * cal.cpu_ns_per_iter)
    budget = int(ms * 1e6)
    # Reading the thread's CPU clock is a system call: do it every ~100 us.
    check_every = max(1, min(_CPU_CHECK_EVERY, budget // max(1, slice_ns)))
    thread_time = time.thread_time_ns
    stop_at = thread_time() + budget
    if not ctx.recording:
        while thread_time() < stop_at:
            for _ in range(check_every):
                spin(chunk)
        return
    emit = ctx.emit
    gap = ctx.gap_ns
    prev = now()
    emit((prev, task, worker, RUNNING))
    while thread_time() < stop_at:
        for _ in range(check_every):
            spin(chunk)
            t = now()
            if t - prev > gap:
                # A slice that should take slice_ns took far longer: the thread
                # lost the GIL (or its CPU) for the difference.
                emit((prev, task, worker, READY))
                emit((max(prev, t - slice_ns), task, worker, RUNNING))
            prev = t


def native(ctx: StepContext, task: int, worker: int, ms: float) -> None:
    """Hashing (GIL released) until this thread has used ``ms`` of CPU time."""
    buf = ctx._native_buffer
    budget = int(ms * 1e6)
    if budget < NATIVE_CHUNK_NS:
        buf = memoryview(buf)[: max(4096, int(budget / ctx.calibration.native_ns_per_byte))]
    emit = ctx.emit
    gap = ctx.gap_ns
    emit((now(), task, worker, NATIVE))
    thread_time = time.thread_time_ns
    stop_at = thread_time() + budget
    c0 = thread_time()
    while c0 < stop_at:
        w0 = now()
        _hash(buf)
        w1 = now()
        c1 = thread_time()
        busy = c1 - c0
        if (w1 - w0) - busy > gap:
            # Wall time beyond CPU time: waiting to get the GIL back (or a CPU).
            emit((w0 + busy, task, worker, READY))
            emit((w1, task, worker, NATIVE))
        c0 = c1


def _sleep(ctx: StepContext, task: int, worker: int, ms: float, state: int) -> None:
    t0 = now()
    ctx.emit((t0, task, worker, state))
    time.sleep(ms / 1000)
    ctx.resumed(task, worker, t0 + int(ms * 1e6))


def io(ctx: StepContext, task: int, worker: int, ms: float) -> None:
    _sleep(ctx, task, worker, ms, IO)


def block(ctx: StepContext, task: int, worker: int, ms: float) -> None:
    _sleep(ctx, task, worker, ms, BLOCKED)


def lock(ctx: StepContext, task: int, worker: int, ms: float) -> None:
    """Take the scenario's one shared lock, do ``ms`` of pure-Python work holding it, release it.

    Waiting for the lock is ``blocked``; from its release (stamped by the
    holder) until this thread runs again is ``ready``.
    """
    shared = ctx.lock
    if not shared.acquire(False):
        t0 = now()
        ctx.emit((t0, task, worker, BLOCKED))
        shared.acquire()
        ctx.resumed(task, worker, max(t0, ctx.lock_stamp.value))
    try:
        cpu(ctx, task, worker, ms)
    finally:
        ctx.lock_stamp.value = now()
        shared.release()


def net(ctx: StepContext, task: int, worker: int, n: float, ops=None) -> None:
    sock = ctx._local.__dict__.get("sock")
    if sock is None:
        # Connecting is a wait on the network too; record it as one.
        t0 = now()
        ctx.emit((t0, task, worker, IO))
        sock = ctx.socket()
        ctx.resumed(task, worker, now())
    round_trips(ctx, sock, task, worker, n, ops)


def round_trips(ctx: StepContext, sock: socket.socket, task: int, worker: int, n: float, ops=None) -> None:
    """``n`` round trips to the echo peer on ``sock``: each ``io`` until the reply, then ``ready`` until run."""
    emit = ctx.emit
    for _ in range(int(n)):
        t0 = now()
        emit((t0, task, worker, IO))
        sock.sendall(_PING.pack(t0, task))
        reply = _recv_exact(sock, _PING.size)
        t = ctx.resumed(task, worker, max(t0, _PING.unpack(reply)[0]))
        if ops is not None:
            ops.append(t - t0)


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        part = sock.recv(size - len(data))
        if not part:
            raise ConnectionError("the echo peer closed the connection")
        data += part
    return data


SYNC_STEPS = {"cpu": cpu, "native": native, "io": io, "net": net, "block": block, "lock": lock}


def work_steps(task: dict) -> list:
    """A task's ``(kind, amount)`` steps that do work: all but its ``data`` steps."""
    return [(k, amount) for k, amount in task["steps"] if k in SYNC_STEPS]


def _op_arrays(ctx: StepContext, task: dict) -> dict:
    """One latency array per step kind of ``task``; none when not recording."""
    return {k: array("q") for k, _ in work_steps(task)} if ctx.recording else {}


def run_task(ctx: StepContext, task: dict, kind: str, finish: bool = True) -> None:
    """Run one task's steps on the calling thread; with ``finish``, record it as done.

    A model that hands a result back first (:mod:`.transfer`) passes ``finish=False``.
    """
    worker = ctx.worker(kind)
    tid = task["id"]
    ctx.emit((now(), tid, worker, RUNNING))
    ops = _op_arrays(ctx, task)
    steps = [(SYNC_STEPS[k], amount, ops.get(k), k == "net") for k, amount in work_steps(task)]
    for _ in range(task["repeat"]):
        for fn, amount, lat, per_trip in steps:
            if per_trip:
                fn(ctx, tid, worker, amount, lat)
            elif lat is None:
                fn(ctx, tid, worker, amount)
            else:
                t0 = now()
                fn(ctx, tid, worker, amount)
                lat.append(now() - t0)
    if finish:
        ctx.emit((now(), tid, worker, TASK_DONE))
    ctx.add_ops(task["group"], ops)


# -- coroutines: asyncio and asyncio-offload -------------------------------


async def run_task_async(ctx: StepContext, task: dict, loop_worker: int, executor) -> None:
    """Run one task as a coroutine on the loop.

    With ``executor``, cpu, native and block steps (and a lock step's work,
    with ``ctx.async_lock`` held on the loop) go to that thread pool and the
    coroutine waits for them; without it they run on the loop and stall it.
    """
    tid = task["id"]
    emit = ctx.emit
    emit((now(), tid, loop_worker, RUNNING))
    loop = asyncio.get_running_loop()
    streams = None
    ops = _op_arrays(ctx, task)
    steps = work_steps(task)
    for _ in range(task["repeat"]):
        for kind, amount in steps:
            lat = ops.get(kind)
            start = now()
            if kind == "io":
                t0 = now()
                emit((t0, tid, loop_worker, IO))
                await asyncio.sleep(amount / 1000)
                ctx.resumed(tid, loop_worker, t0 + int(amount * 1e6))
            elif kind == "net":
                if streams is None:
                    emit((now(), tid, loop_worker, IO))
                    streams = await asyncio.open_connection("127.0.0.1", ctx.peer_port)
                    ctx.resumed(tid, loop_worker, now())
                    streams[1].get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                reader, writer = streams
                for _ in range(int(amount)):
                    t0 = now()
                    emit((t0, tid, loop_worker, IO))
                    writer.write(_PING.pack(t0, tid))
                    reply = await reader.readexactly(_PING.size)
                    t = ctx.resumed(tid, loop_worker, max(t0, _PING.unpack(reply)[0]))
                    if lat is not None:
                        lat.append(t - t0)
                continue  # each round trip is an operation of its own
            elif kind == "lock":
                await _locked_async(ctx, tid, loop_worker, amount, loop, executor)
            elif executor is None:
                SYNC_STEPS[kind](ctx, tid, loop_worker, amount)
            else:
                await _offload(ctx, tid, loop_worker, SYNC_STEPS[kind], amount, loop, executor)
            if lat is not None:
                lat.append(now() - start)
    if streams is not None:
        streams[1].close()
    emit((now(), tid, loop_worker, TASK_DONE))
    ctx.add_ops(task["group"], ops)


async def _offload(ctx: StepContext, tid: int, loop_worker: int, fn, amount: float, loop, executor) -> None:
    ctx.emit((now(), tid, -1, QUEUED))
    done_at = await loop.run_in_executor(executor, _offloaded, ctx, tid, fn, amount)
    ctx.resumed(tid, loop_worker, done_at)


async def _locked_async(ctx: StepContext, tid: int, loop_worker: int, ms: float, loop, executor) -> None:
    """A lock step in a coroutine: ``ctx.async_lock`` around ``ms`` of cpu (on the loop, or offloaded).

    A coroutine waiting for the lock does not occupy the loop, so its
    ``blocked`` is recorded on no worker (-1).
    """
    shared = ctx.async_lock
    stamp = ctx.lock_stamp
    if shared.locked() or getattr(shared, "_waiters", None):
        t0 = now()
        ctx.emit((t0, tid, -1, BLOCKED))
        await shared.acquire()
        ctx.resumed(tid, loop_worker, max(t0, stamp.value))
    else:
        await shared.acquire()
    try:
        if executor is None:
            cpu(ctx, tid, loop_worker, ms)
        else:
            await _offload(ctx, tid, loop_worker, cpu, ms, loop, executor)
    finally:
        stamp.value = now()
        shared.release()


def _offloaded(ctx: StepContext, tid: int, fn, amount: float) -> int:
    fn(ctx, tid, ctx.worker(WORKER_POOL_THREAD), amount)
    return now()
