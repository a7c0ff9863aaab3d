"""No orphan processes: however the run ends, the probe and everything it started end too."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from .conftest import alive_in_group, processes, threadloom_cmd, wait_for

# A process pool (worker processes, a forkserver) plus net steps (the echo
# peer): every kind of child the probe can start, busy for a long time.
LONG = """
[run]
model = "process-pool"
pool_size = 2

[[groups]]
name = "talk"
count = 2
repeat = 100000
steps = [{ net = 1 }, { io = 5 }]
"""


def _children_of(pid: int) -> set[int]:
    return {child for child, _, ppid, _ in processes() if ppid == pid}


def _start(tmp_path) -> tuple[subprocess.Popen, int]:
    scenario = tmp_path / "long.toml"
    scenario.write_text(LONG)
    cli = subprocess.Popen(
        threadloom_cmd("run", str(scenario), "-q"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    probe = wait_for(lambda: next(iter(_children_of(cli.pid)), None), what="the probe to start")
    # Wait until the pool's workers and the echo peer exist too.
    wait_for(lambda: len(alive_in_group(probe)) >= 4, what="the probe's children to start")
    return cli, probe


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_ending_the_parent_ends_the_probe_and_its_children(tmp_path, how):
    cli, probe = _start(tmp_path)
    members = alive_in_group(probe)
    os.kill(cli.pid, how)
    cli.wait(timeout=30)
    wait_for(lambda: not alive_in_group(probe), timeout=15, what=f"{sorted(members)} to exit")
    if how != signal.SIGKILL:
        assert cli.returncode == 130
        assert "stopped" in cli.stderr.read()
