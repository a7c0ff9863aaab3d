"""No orphans: every process the probe starts ends when its parent goes away.

The parent keeps the probe's stdin open for the whole run and starts the
probe in a session of its own. End of file on stdin means the parent is gone
(it exited, crashed or was killed), and the probe then kills its whole process
group: pool workers, the forkserver and the echo peer with it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time


def kill_process_group() -> None:
    """Kill everything this probe started, then the probe itself."""
    if hasattr(os, "killpg") and os.getpgrp() == os.getpid():
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os._exit(70)


def watch_stdin() -> None:
    """End the run when the parent closes our stdin or dies."""
    fd = sys.stdin.fileno()

    def wait_for_eof() -> None:
        # os.read, not sys.stdin: a thread parked inside sys.stdin holds its
        # lock, and a forked child that touches sys.stdin would deadlock on it.
        while os.read(fd, 65536):
            pass
        kill_process_group()

    threading.Thread(target=wait_for_eof, name="threadloom-lifeline", daemon=True).start()


def exit_when_orphaned(poll_s: float = 0.25) -> None:
    """For child processes: exit as soon as the parent that started us is gone."""
    parent = os.getppid()

    def poll() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(70)

    threading.Thread(target=poll, name="threadloom-orphan-check", daemon=True).start()
