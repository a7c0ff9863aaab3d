"""Collects state changes cheaply and ships them in batches.

Recording shares the GIL with the work it measures, so the hot path is one
``list.extend`` of a tuple; encoding and writing happen on a flusher thread
that wakes a few times a second.
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


class Recorder:
    """Buffers ``(t_ns, task, worker, state)`` events and sends them to ``sink``.

    ``emit`` is the hot path: call it with a 4-tuple. ``meta`` sends a JSON
    record after flushing pending events, so order is kept. Worker ids are
    handed out per thread by :meth:`worker`, starting at ``worker_base``.
    """

    def __init__(self, sink: Callable[[bytes], None], worker_base: int = 1, memory=None) -> None:
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
    def flush(self) -> None:
        with self._lock:
            self._ship_pending()

    def meta(self, record: dict) -> None:
        with self._lock:
            self._ship_pending()
            self._sink(encode_json(record))

    def _ship_pending(self) -> None:
        """Send what is buffered, in frames of at most MAX_FRAME_EVENTS (caller holds the lock)."""
        buf = self._buf
        n = len(buf)
        n -= n % 4
        for start in range(0, n, MAX_FRAME_EVENTS * 4):
            self._sink(encode_events(buf[start : min(n, start + MAX_FRAME_EVENTS * 4)]))
        del buf[:n]

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="threadloom-flusher", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_INTERVAL_S):
            self.peak_threads = max(self.peak_threads, threading.active_count())
            if self.memory is not None:
                self.memory.sample()
            self.flush()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.flush()
