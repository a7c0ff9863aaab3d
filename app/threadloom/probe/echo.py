"""The echo peer for ``net`` steps: a separate process, so it never takes the measured GIL.

It answers each 16-byte message with the monotonic time at which it replied,
so the probe can tell how long a reply waited before its reader resumed. It
prints its port on stdout and exits when its stdin closes.
"""

from __future__ import annotations

import os
import selectors
import socket
import struct
import sys
import threading
import time

_PING = struct.Struct("<qq")


def serve() -> None:
    raise_fd_limit()
    listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
    listener.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, None)
    sys.stdout.write("%d\n" % listener.getsockname()[1])
    sys.stdout.flush()
    threading.Thread(target=_exit_on_eof, daemon=True).start()
    pending = {}
    size = _PING.size
    while True:
        for key, _ in sel.select():
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
            replies = []
            while len(buf) >= size:
                _, tag = _PING.unpack_from(buf)
                buf = buf[size:]
                replies.append(_PING.pack(time.monotonic_ns(), tag))
            pending[conn] = buf
            if replies:
                conn.setblocking(True)
                conn.sendall(b"".join(replies))
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
    serve()
