"""The echo peer for ``net`` steps: a separate process, so it never takes the measured GIL.

It answers each 16-byte message with the monotonic time at which it replied,
so the probe can tell how long a reply waited before its reader resumed. It
prints its port on stdout and exits when its stdin closes.
"""

from __future__ import annotations

import heapq
import os
import selectors
import socket
import struct
import sys
import threading
import time

_PING = struct.Struct("<qq")


def serve(delay_s: float = 0.0) -> None:
    """Echo 16-byte pings; with ``delay_s``, answer each one that much later.

    The delay stands for a server that takes a moment to answer (a LAN, a
    database). Without it, loopback answers in tens of microseconds, which on
    some machines is quicker than a thread waking up, and that changes who
    wins the race for the GIL.
    """
    raise_fd_limit()
    listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
    listener.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, None)
    sys.stdout.write("%d\n" % listener.getsockname()[1])
    sys.stdout.flush()
    threading.Thread(target=_exit_on_eof, daemon=True).start()
    pending = {}
    due = []  # heap of (due_ns, sequence, conn, tag)
    sequence = 0
    delay_ns = int(delay_s * 1e9)
    size = _PING.size
    while True:
        timeout = None
        if due:
            timeout = max(0.0, (due[0][0] - time.monotonic_ns()) / 1e9)
            if 0.0 < timeout < 0.001:
                # epoll rounds timeouts up to whole milliseconds: wait out a
                # shorter delay precisely, then only look for what arrived.
                time.sleep(timeout)
                timeout = 0.0
        for key, _ in sel.select(timeout):
            if key.data is None:
                conn, _ = listener.accept()
                conn.setblocking(False)
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sel.register(conn, selectors.EVENT_READ, conn)
                pending[conn] = b""
                continue
            conn = key.data
            try:
                data = conn.recv(65536)
            except OSError:
                data = b""
            if not data:
                sel.unregister(conn)
                pending.pop(conn, None)
                conn.close()
                continue
            buf = pending[conn] + data
            tags = []
            while len(buf) >= size:
                tags.append(_PING.unpack_from(buf)[1])
                buf = buf[size:]
            pending[conn] = buf
            if delay_ns:
                arrived = time.monotonic_ns()
                for tag in tags:
                    sequence += 1
                    heapq.heappush(due, (arrived + delay_ns, sequence, conn, tag))
            elif tags:
                _reply(conn, tags)
        now = time.monotonic_ns()
        while due and due[0][0] <= now:
            _, _, conn, tag = heapq.heappop(due)
            if conn in pending:
                _reply(conn, [tag])


def _reply(conn: socket.socket, tags: list) -> None:
    stamp = time.monotonic_ns()
    conn.setblocking(True)
    try:
        conn.sendall(b"".join(_PING.pack(stamp, tag) for tag in tags))
    except OSError:
        pass
    finally:
        conn.setblocking(False)


def _exit_on_eof() -> None:
    while os.read(0, 65536):
        pass
    os._exit(0)


def raise_fd_limit() -> None:
    """Thousands of tasks may each hold a socket: lift the soft limit to the hard one."""
    try:
        import resource
    except ImportError:  # Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))
        except (ValueError, OSError):
            pass


if __name__ == "__main__":
    serve(float(sys.argv[1]) if len(sys.argv) > 1 else 0.0)
