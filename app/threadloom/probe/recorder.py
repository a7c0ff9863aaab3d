"""Collects state changes cheaply and ships them in batches.

Recording shares the GIL with the work it measures, so the hot path is one
``list.extend`` of a tuple (50 ns; an ``array('q')`` takes 230); shipping
happens on a flusher thread that wakes every :data:`FLUSH_INTERVAL_S`.

Why a recorder can ship from the run's own threads (``eager``): the flusher
competes for the GIL with the run, and a thread that drops and retakes the GIL
thousands of times a second (an event loop polling its selector) may keep it
from the flusher for a second and more: CPython asks a holder to hand the GIL
over only when a waiter timed out with nobody taking it meanwhile, and such a
thread takes it again every few microseconds. So every wait that ends
(:meth:`~threadloom.probe.workload.StepContext.resumed`) checks whether the
buffer is overdue (:data:`_LATE_NS`) and, if so, ships it there, with a write that never blocks (what
the pipe cannot take now waits in the sink for the next write); the flusher
then ships only when nobody did for a while (CPU-bound phases, where the GIL
changes hands on request).
"""

from __future__ import annotations

import os
import threading
import time
from typing import Callable

from threadloom.wire import encode_events, encode_json

now = time.monotonic_ns

#: How often buffered events are shipped. Short enough for a live view that
#: trails by under 100 ms (with the GUI's 40 ms refresh), long enough that the
#: flusher rarely takes the GIL.
FLUSH_INTERVAL_S = 0.025
_FLUSH_INTERVAL_NS = int(FLUSH_INTERVAL_S * 1e9)
#: When the run's own threads ship instead: the flusher is this late. On time it ships every 25 to
#: 60 ms; only a thread that churns the GIL makes it later, and shipping elsewhere costs the task that
#: ships a GIL hand-off (recorded as its ``ready``).
_LATE_NS = 3 * _FLUSH_INTERVAL_NS
#: The flusher waited this long beyond its timeout to run again: a thread is churning the GIL. The
#: run's threads then ship every interval and the flusher stands back (it would hold the lock while
#: it waits to win the GIL back after its write), unless nobody shipped for :data:`_STAND_BACK_NS`.
_CHURN_NS = 10_000_000
_STAND_BACK_NS = 8 * _FLUSH_INTERVAL_NS
#: After a late wake, the run's threads keep shipping every interval until the flusher has woken on
#: time this many times in a row. A churning loop lets the flusher win the GIL on time now and then;
#: handing the shipping back to it at the first such wake left the buffer unshipped until the flusher
#: next won the GIL, or :data:`_LATE_NS`: gaps of 80 ms, five or six a second in a flood.
_CALM_WAKES = 8
#: A ship that started this long ago and still holds the lock is stuck (see :meth:`Recorder.ship_due`).
_STUCK_NS = 2 * _FLUSH_INTERVAL_NS
#: ``last_ship`` of a recorder that never ships eagerly: no wait ever finds it due.
_NEVER = 1 << 62
#: The pipe to the parent holds this many bytes (Linux's default is 64 KiB: 2,048 events of 32 bytes).
#: A parent that reads once per turn of a busy GUI loop would otherwise cap the flood at about 2,000
#: events a turn and leave the rest waiting here, seconds behind the run.
PIPE_BYTES = 1 << 20
#: fcntl's F_SETPIPE_SZ (Linux; the fcntl module names it from Python 3.10 on).
_F_SETPIPE_SZ = 1031


def widen_pipe(out) -> None:
    """Grow the pipe behind ``out`` to :data:`PIPE_BYTES` where the system allows; else leave it."""
    try:
        import fcntl

        fcntl.fcntl(out.fileno(), getattr(fcntl, "F_SETPIPE_SZ", _F_SETPIPE_SZ), PIPE_BYTES)
    except (ImportError, OSError, ValueError, AttributeError):
        pass  # not a pipe, not Linux, or over the system's limit: the default size still works


#: A frame never holds more events than this, however far behind the reader is,
#: so the parent can fold each one in a few milliseconds.
MAX_FRAME_EVENTS = 50_000


def _encode_frames(buf: list, n: int) -> list[bytes]:
    """The first ``n`` values of a flat event buffer (4 per event) as wire frames of at most MAX_FRAME_EVENTS."""
    step = MAX_FRAME_EVENTS * 4
    return [encode_events(buf[start : min(n, start + step)]) for start in range(0, n, step)]


class Recorder:
    """Buffers ``(t_ns, task, worker, state)`` events and sends them to ``sink``.

    ``emit`` is the hot path: call it with a 4-tuple. ``meta`` sends a JSON
    record after flushing pending events, so order is kept. Worker ids are
    handed out per thread by :meth:`worker`, starting at ``worker_base``.
    """

    def __init__(self, sink: Callable[..., None], worker_base: int = 1, memory=None, eager: bool = False) -> None:
        """``sink(data)`` sends bytes, blocking until they are sent; with ``eager``, the run's threads
        also ship, through ``sink(data, False)``, which must never block (see the module's docstring)."""
        self._buf: list = []
        #: A :class:`~threadloom.probe.gauges.MemoryGauge` the flusher samples, or None.
        self.memory = memory
        self.emit = self._buf.extend
        self._sink = sink
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._local = threading.local()
        self._next_worker = worker_base
        self._worker_lock = threading.Lock()
        self.peak_threads = threading.active_count()
        self._eager = eager
        #: When the buffer was last shipped (monotonic ns); a wait that ends later than
        #: ``last_ship + due_after_ns`` ships it (:meth:`ship_due`).
        self.last_ship = 0 if eager else _NEVER
        # A run starts as if its threads churned the GIL: the flusher has not yet shown it can win
        # the GIL on time, and an event loop that starts churning at once would otherwise keep the
        # first events in the buffer for _LATE_NS (see _run).
        self.due_after_ns = _FLUSH_INTERVAL_NS if eager else _LATE_NS
        #: From the run's start (its header is out) to its trailer, each flush of the flusher also says
        #: what time it is (a ``clock`` record): a parent then sees the run's clock move, and open states
        #: grow, while nobody changes state (all tasks waiting, one thread crunching).
        self.ticking = False

    # -- workers -------------------------------------------------------
    def worker(self, kind: str) -> int:
        """The calling thread's worker id, registering it on first use."""
        try:
            return self._local.worker_id
        except AttributeError:
            pass
        with self._worker_lock:
            wid = self._next_worker
            self._next_worker += 1
        self._local.worker_id = wid
        self.peak_threads = max(self.peak_threads, threading.active_count())
        self.meta(
            {
                "type": "worker",
                "id": wid,
                "kind": kind,
                "name": threading.current_thread().name,
                "pid": os.getpid(),
            }
        )
        return wid

    # -- shipping ------------------------------------------------------
    def flush(self, clock: bool = False) -> None:
        """Ship what is buffered; with ``clock`` (the flusher's) and while :attr:`ticking`, then the time.

        The time is read before the buffer is shipped: every event stamped before it that was
        buffered by then has gone before it.
        """
        with self._lock:
            t = now()
            self._ship_pending()
            if clock and self.ticking:
                self._sink(encode_json({"type": "clock", "t_ns": t}))

    def meta(self, record: dict) -> None:
        with self._lock:
            self._ship_pending()
            if record.get("type") == "trailer":
                self.ticking = False  # the run's clock has stopped: nothing may follow its trailer
            self._sink(encode_json(record))

    def ship_due(self) -> None:
        """Ship from the calling thread (one of the run's, back from a wait), if no one else is shipping.

        Never blocks for the pipe, and not for the lock while whoever holds it is shipping: only when
        that started :data:`_STUCK_NS` ago. Then the flusher holds the lock, its write done, waiting to
        win the GIL back from a churning thread, maybe this one; waiting for the lock hands it the GIL,
        it finishes, and this thread ships what came meanwhile. Not waiting kept a flood's events in
        the buffer for as long as the flusher waited (300 ms and more in one run of six).
        """
        if not self._lock.acquire(False):
            if now() - self.last_ship < _STUCK_NS:
                return
            self._lock.acquire()
        try:
            self._ship_pending(block=False)
        finally:
            self._lock.release()

    def _ship_pending(self, block: bool = True) -> None:
        """Send what is buffered, in frames of at most MAX_FRAME_EVENTS (caller holds the lock)."""
        if self._eager:
            self.last_ship = now()
        buf = self._buf
        n = len(buf)
        n -= n % 4
        if not n:
            return
        frames = _encode_frames(buf, n)
        del buf[:n]
        # One write: each call that blocks gives the GIL up, and winning it back is what costs.
        data = frames[0] if len(frames) == 1 else b"".join(frames)
        if block:
            self._sink(data)
        else:
            self._sink(data, False)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="threadloom-flusher", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        stand_back = _FLUSH_INTERVAL_NS
        calm = 0
        while True:
            asleep = now()
            if self._stop.wait(FLUSH_INTERVAL_S):
                return
            self.peak_threads = max(self.peak_threads, threading.active_count())
            if self.memory is not None:
                self.memory.sample()
            if self._eager:
                churning = now() - asleep - _FLUSH_INTERVAL_NS > _CHURN_NS
                calm = 0 if churning else calm + 1
                self.due_after_ns = _FLUSH_INTERVAL_NS if calm < _CALM_WAKES else _LATE_NS
                stand_back = _STAND_BACK_NS if churning else _FLUSH_INTERVAL_NS
            if now() - self.last_ship >= stand_back or not self._eager:
                self.flush(clock=True)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.flush()


class CallRecorder:
    """The part of a :class:`Recorder` a step uses, for a worker that hands its events back with each
    call's result (a Ray worker, a subinterpreter): no flusher, no pipe, one worker id.

    :meth:`frames` encodes the worker's record (sent with every call: calls may
    be written in another order than they ran) and what the call recorded,
    with times moved by ``-offset_ns`` (another machine's clock) and none before
    a floor (its task's submission: an offset is known only to within its error).
    """

    #: Never due: the frames go back with the call's result.
    last_ship = _NEVER
    due_after_ns = _FLUSH_INTERVAL_NS

    def __init__(self, worker_id: int, kind: str, name: str, offset_ns: int = 0) -> None:
        self._buf: list = []
        self.emit = self._buf.extend
        self._id = worker_id
        self._kind = kind
        self._name = name
        self._offset = offset_ns

    def worker(self, kind: str) -> int:
        return self._id

    def flush(self) -> None:
        pass  # frames() ships everything when the call ends

    def ship_due(self) -> None:
        pass

    def frames(self, floor_ns: int | None = None) -> tuple:
        """``(the record and the call's events as wire frames, the last event's time)``; empties the buffer."""
        buf = self._buf
        n = len(buf) - len(buf) % 4
        offset = self._offset
        last = floor_ns if floor_ns is not None else 0
        if offset or floor_ns is not None:
            floor = floor_ns if floor_ns is not None else -_NEVER
            for i in range(0, n, 4):
                t = buf[i] - offset
                buf[i] = t = t if t > floor else floor
                last = t if t > last else last
        elif n:
            last = max(buf[0:n:4])
        record = {"type": "worker", "id": self._id, "kind": self._kind, "name": self._name, "pid": os.getpid()}
        out = [encode_json(record), *_encode_frames(buf, n)]
        del buf[:n]
        return b"".join(out), last
