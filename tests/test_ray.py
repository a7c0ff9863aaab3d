"""The ray model on a real local Ray: CPU-bound tasks in parallel worker processes, what data costs,
a clear error for a cluster that is not there, and no process left behind however a run ends.

A local Ray takes seconds to start, so each test makes one Ray run at most and the crunching run is
shared by the module. Without ray installed those tests skip; the option and report tests still run.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from threadloom.cli.run import cluster_lines
from threadloom.wire import STATE_CODES, WORKER_RAY

from .conftest import group, run, scenario_text, threadloom_cmd, wait_for

needs_ray = pytest.mark.skipif(
    importlib.util.find_spec("ray") is None,
    reason="ray is not installed for this interpreter: pip install 'threadloom[ray]'",
)

CRUNCH = scenario_text(group("crunch", count=2, cpu=300), name="two crunchers")
#: Two tasks handing 20 MB each to their worker and getting as much back.
DATA = scenario_text(group("hand", count=2, steps=[("data", 20_000), ("cpu", 5)]), name="big arguments")
#: A run that would go on for minutes: long enough to kill it while Ray's workers are busy.
LONG = scenario_text(group("long", count=2, repeat=100_000, steps=[("io", 20), ("cpu", 2)]), model="ray", pool_size=2)
RUNNING = STATE_CODES["running"]
TRANSFER = STATE_CODES["transfer"]


def _sessions() -> dict[int, tuple[int, str, str]]:
    """pid -> (session id, state, command line) of every process, from /proc."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text(errors="replace").rsplit(")", 1)[1].split()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        out[int(entry.name)] = (int(fields[3]), fields[0], cmd)
    return out


def alive_in_session(sid: int) -> dict[int, str]:
    """The live processes of a session (the probe starts one of its own; Ray's workers stay in it)."""
    return {pid: cmd for pid, (s, state, cmd) in _sessions().items() if s == sid and state not in ("Z", "X")}


def _spans_overlap(trace) -> float:
    """How much of the shorter task's span (its first running to its end) the other task's span covers.

    Spans, not running at the same instant: on a busy machine the OS takes turns between the two
    workers and everything else, but both are under way the whole time.
    """
    seg = trace.segments()
    starts = [int(seg.start[(seg.task == task) & (seg.state == RUNNING)].min()) for task in (0, 1)]
    ends = [int(trace.finished[task]) for task in (0, 1)]
    shared = min(ends) - max(starts)
    return max(0.0, shared / min(end - start for start, end in zip(starts, ends, strict=True)))


@pytest.fixture(scope="module")
def ray_crunch():
    """(trace, metrics) of two 300 ms crunchers under a local Ray of two CPUs, run once per module."""
    return run(CRUNCH, "ray", pool_size=2)


@needs_ray
@pytest.mark.physics
def test_two_cpu_tasks_run_in_parallel_in_two_ray_worker_processes(ray_crunch):
    trace, ray = ray_crunch
    assert trace.complete
    _, threads = run(CRUNCH, "threads")
    ratio = ray.makespan_ms / threads.makespan_ms
    print(f"makespan: ray {ray.makespan_ms:.0f} ms, threads {threads.makespan_ms:.0f} ms, ratio {ratio:.2f}")
    # Two CPUs, one GIL each: about half the time the threads take in turns on one GIL.
    assert ratio < 0.8, f"ray {ray.makespan_ms:.0f} ms vs threads {threads.makespan_ms:.0f} ms: {ratio:.2f}x"
    workers = {w.id: w for w in trace.workers.values() if w.kind == WORKER_RAY}
    seg = trace.segments()
    ran_on = {int(t): int(w) for t, w, s in zip(seg.task, seg.worker, seg.state, strict=True) if s == RUNNING}
    assert len({workers[w].pid for w in ran_on.values()}) == 2, f"both tasks in one process: {ran_on}"
    assert _spans_overlap(trace) > 0.7
    assert all(w.name.startswith("ray worker on node ") for w in workers.values())


@needs_ray
def test_a_local_ray_states_one_node_on_this_machines_clock_and_leaves_nothing(ray_crunch):
    trace, _ = ray_crunch
    ray = trace.header["ray"]
    assert ray["address"] == "local"
    [node] = ray["nodes"]
    assert node["same_clock"] and node["clock_offset_ns"] == 0 and node["uncertainty_ns"] == 0
    assert "this machine's clock" in "\n".join(cluster_lines(trace.header))
    # The run has ended: ray.shutdown ran after the trailer, and the parent ended the probe's group.
    wait_for(lambda: not alive_in_session(trace.header["pid"]), 15, "Ray's processes to exit")


@needs_ray
def test_data_handed_to_ray_workers_costs_transfer_time():
    trace, metrics = run(DATA, "ray", pool_size=2)
    assert trace.complete and (trace.finished >= 0).all()
    assert metrics.transfer_ms > 5, f"20 MB each way took {metrics.transfer_ms:.2f} ms of transfer"
    seg = trace.segments()
    moving = seg.state == TRANSFER
    # Pickled where submitted and unpickled on the worker: transfer on no worker and on a Ray worker.
    assert (seg.worker[moving] == -1).any() and (seg.worker[moving] >= 0).any()
    for task in (0, 1):  # the probe's done lands after the worker's events: the task ends after its last transfer
        assert trace.finished[task] >= seg.end[moving & (seg.task == task)].max()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@needs_ray
def test_an_address_where_no_cluster_listens_is_one_clear_line(tmp_toml):
    before = set(_sessions())
    path = tmp_toml(CRUNCH)
    address = f"127.0.0.1:{_free_port()}"
    started = time.monotonic()
    done = subprocess.run(
        threadloom_cmd("run", str(path), "--model", "ray", "--ray-address", address, "-q"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert address in lines[0] and "`ray start`" in lines[0]
    assert time.monotonic() - started < 30  # refused at once, not after ray.init's endless retries
    new = {pid: cmd for pid, (_, state, cmd) in _sessions().items() if pid not in before and state not in "ZX"}
    assert not [cmd for cmd in new.values() if "raylet" in cmd or "gcs_server" in cmd or "ray::" in cmd]


@needs_ray
def test_a_killed_ray_run_leaves_no_process(tmp_toml):
    cli = subprocess.Popen(
        threadloom_cmd("run", str(tmp_toml(LONG)), "-q"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        probe = wait_for(lambda: next((p for p in _sessions() if _is_probe(p, cli.pid)), 0), 30, "the probe to start")
        # Ray's head processes and both workers running tasks (Ray names a busy worker after its function).
        busy = wait_for(
            lambda: [c for c in alive_in_session(probe).values() if c.startswith("ray::_run_remote")][1:],
            90,
            "Ray's workers to run the tasks",
        )
        members = alive_in_session(probe)
        assert busy and len(members) >= 4
        # The probe's stdout is the wire: none of Ray's processes may hold it (a stray byte corrupts the run).
        wire = os.readlink(f"/proc/{probe}/fd/1")
        assert [pid for pid in members if pid != probe and _stdout_of(pid) == wire] == []
        os.killpg(probe, signal.SIGKILL)  # what the parent does to end a run (engine/_process.py kill_group)
        wait_for(lambda: not alive_in_session(probe), 15, f"{len(members)} processes of the run to exit")
    finally:
        cli.kill()
        cli.wait(timeout=30)


def _stdout_of(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/fd/1")
    except OSError:
        return ""


def _is_probe(pid: int, cli: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return int(fields[1]) == cli


def test_ray_address_is_refused_for_models_that_take_none(tmp_toml):
    done = subprocess.run(
        threadloom_cmd("run", str(tmp_toml(CRUNCH)), "--model", "threads", "--ray-address", "10.0.0.1:6379"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "threadloom: --ray-address: none of the models to run (threads) takes an address; "
        "it is for ray: add --model ray"
    )


def test_the_report_states_each_nodes_clock_offset():
    header = {
        "ray": {
            "address": "10.0.0.1:6379",
            "nodes": [
                {"node": "10.0.0.1", "same_clock": True, "clock_offset_ns": 0, "uncertainty_ns": 0},
                {"node": "10.0.0.2", "same_clock": False, "clock_offset_ns": 1_234_567_890, "uncertainty_ns": 150_000},
            ],
        }
    }
    assert cluster_lines(header) == [
        "  ray: the Ray cluster at 10.0.0.1:6379, 2 nodes",
        "    node 10.0.0.1: this machine's clock",
        "    node 10.0.0.2: clock offset +1,234.568 ms ± 0.150 ms (applied)",
    ]
    assert cluster_lines({}) == [] and cluster_lines({"ray": "odd"}) == []


@needs_ray
def test_a_sweep_takes_the_ray_address_too_and_refuses_it_without_a_model_that_takes_one():
    done = subprocess.run(
        threadloom_cmd("sweep", "convoy", "--param", "pool-size", "--values", "1,2", "--ray-address", "127.0.0.1:1"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--ray-address: none of the models to run (threads)" in done.stderr
    done = subprocess.run(
        threadloom_cmd(
            "sweep",
            "convoy",
            "--param",
            "switch-interval",
            "--values",
            "1",
            "--model",
            "ray",
            "--ray-address",
            "127.0.0.1:1",
            "-q",
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "cannot reach a Ray cluster at 127.0.0.1:1" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_only_a_model_that_takes_an_address_is_sent_one():
    """One rule, in the request, for the CLI's run and sweep and the app's Run panel alike."""
    from threadloom.engine import RunRequest

    from .conftest import scenario

    sc = scenario(scenario_text(group("crunch", cpu=5)))
    assert RunRequest(sc, "ray", address="10.0.0.1:6379").probe_config()["address"] == "10.0.0.1:6379"
    assert RunRequest(sc, "threads", address="10.0.0.1:6379").probe_config()["address"] is None
