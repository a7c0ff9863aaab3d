"""Issue 14's defects, one test each: a hostile input or a fault gets one line, never a hang or a traceback."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from threadloom._files import write_atomic
from threadloom.engine import ProbeSession, RunRequest
from threadloom.errors import ExportError, ProbeError, ScenarioError, WireFormatError
from threadloom.export.savefile import runs_from_bytes, runs_to_bytes
from threadloom.model import Trace, compute_metrics
from threadloom.scenario import parse_scenario
from threadloom.wire import STATE_CODES, TASK_DONE, encode_events, encode_json, magic_line
from threadloom.wire.reader import FrameDecoder

from .conftest import alive_in_group, processes, threadloom_cmd, wait_for
from .test_cli_errors import GOOD, assert_one_line, cli
from .test_export_savefile import _edit_header, _refused, _replace_array, _rewrite

RUNNING = STATE_CODES["running"]

#: A process pool that runs long enough to be killed mid-run.
POOL_LONG = """
[run]
model = "process-pool"
pool_size = 2

[[groups]]
name = "wait"
count = 2
repeat = 1000
steps = [{ io = 20 }]
"""


def script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def children_of(pid: int) -> set[int]:
    return {child for child, state, ppid, _ in processes() if ppid == pid and state not in ("Z", "X")}


# -- 1. a probe that dies during a process-pool run --------------------------------------------


def test_probe_killed_during_a_process_pool_run_neither_hangs_nor_leaves_orphans(tmp_path):
    """SIGKILL to the probe: the parent reports it within seconds, the pool's processes end, no pymp dir stays."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    path = tmp_path / "long.toml"
    path.write_text(POOL_LONG)
    env = {**os.environ, "TMPDIR": str(tmp)}
    cli_proc = subprocess.Popen(
        threadloom_cmd("run", str(path), "-q"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        probe = wait_for(lambda: next(iter(children_of(cli_proc.pid)), None), what="the probe")
        wait_for(lambda: len(alive_in_group(probe)) >= 4, what="the pool's processes")
        os.kill(probe, signal.SIGKILL)
        err = cli_proc.communicate(timeout=20)[1]
    finally:
        cli_proc.kill()
    assert cli_proc.returncode == 1, err
    assert "SIGKILL" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    wait_for(lambda: not alive_in_group(probe), timeout=10, what="the pool's processes to end")
    assert list(tmp.iterdir()) == []


def test_a_child_in_its_own_session_holding_stdout_does_not_hang_the_run(tmp_path):
    """The probe ends, but a child that escaped with setsid keeps stdout open: the run still ends, in one line."""
    marker = tmp_path / "escaped.pid"
    fake = script(
        tmp_path,
        "python-escapes",
        # Waits until the child has escaped: killing the group first would catch it before its setsid.
        f"setsid sh -c 'echo $$ > {marker}; sleep 60' & while [ ! -s {marker} ]; do sleep 0.01; done; "
        "printf 'THREADLOOM-WIRE 1\\n'; exit 3",
    )
    session = ProbeSession(RunRequest(parse_scenario(GOOD), "threads", interpreter=fake))
    t0 = time.monotonic()
    try:
        with pytest.raises(ProbeError, match="status 3"):
            asyncio.run(asyncio.wait_for(session.run(), 15))
        assert time.monotonic() - t0 < 10
    finally:
        pid = wait_for(lambda: marker.exists() and marker.read_text().strip(), what="the escaped child")
        os.kill(int(pid), signal.SIGKILL)


def test_sigterm_with_an_escaped_child_ends_the_cli_quickly_and_cleanly(tmp_path):
    marker = tmp_path / "escaped.pid"
    fake = script(
        tmp_path,
        "python-escapes",
        f"setsid sh -c 'echo $$ > {marker}; sleep 60' & printf 'THREADLOOM-WIRE 1\\n'; sleep 60",
    )
    scen = tmp_path / "s.toml"
    scen.write_text(GOOD)
    proc = subprocess.Popen(threadloom_cmd("run", str(scen), "--interpreter", fake), stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: marker.exists() and marker.read_text().strip(), what="the escaped child")
        proc.send_signal(signal.SIGTERM)
        err = proc.communicate(timeout=10)[1]
        assert proc.returncode == 130, err
        assert "Traceback" not in err and "destroyed" not in err, err
    finally:
        proc.kill()
        os.kill(int(marker.read_text()), signal.SIGKILL)


# -- 2. --force and special files --------------------------------------------------------------


def test_write_atomic_follows_a_symlink_and_keeps_it(tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_atomic(link, b"new")
    assert link.is_symlink() and target.read_bytes() == b"new"


@pytest.fixture
def no_replacing_devices(monkeypatch):
    """As root, a regression would replace /dev/null itself: make any such replace fail the test instead."""
    real = os.replace

    def guarded(src, dst, *args, **kwargs):
        assert not str(dst).startswith("/dev/"), f"os.replace onto {dst}"
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", guarded)


def test_write_atomic_writes_through_a_character_device_and_keeps_it(no_replacing_devices):
    before = os.stat("/dev/null")
    write_atomic("/dev/null", b"data")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode) and os.stat("/dev/null").st_ino == before.st_ino


def test_write_atomic_writes_through_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    write_atomic(fifo, b"through the pipe")
    assert reader.communicate(timeout=10)[0] == b"through the pipe"
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_write_atomic_refuses_a_folder_in_one_line(tmp_path):
    with pytest.raises(ExportError, match="is a folder"):
        write_atomic(tmp_path, b"x")


def test_a_full_device_is_one_line(no_replacing_devices):
    with pytest.raises(ExportError, match="No space left"):
        write_atomic("/dev/full", b"x" * 10)


# -- 3. tracebacks where one line is promised ------------------------------------------------------


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t.replace("io = 5", "io = " + "9" * 400),
        lambda t: t.replace("io = 5", "io = " + "9" * 5000),
        lambda t: t + "[run]\nswitch_interval_ms = " + "9" * 400 + "\n",
        lambda t: t + "[run]\npeer_delay_ms = " + "9" * 400 + "\n",
        lambda t: t + "deep = " + "[" * 2000 + "]" * 2000 + "\n",
        lambda t: t.replace("count = 2", "count = " + "9" * 400),
    ],
)
def test_huge_and_deep_scenario_values_are_one_line(edit):
    with pytest.raises(ScenarioError) as info:
        parse_scenario(edit(GOOD), source="big.toml")
    assert "\n" not in str(info.value) and str(info.value).startswith("big.toml: ")
    assert len(str(info.value)) < 400


@pytest.fixture(scope="module")
def small_saved():
    trace = Trace()
    trace.apply_record({"type": "header", "t0_ns": 0, "model": "threads", "tasks": [[0, "g", 0]], "cpu_count": 2})
    trace.apply_record({"type": "worker", "id": 1, "kind": "thread", "name": "t", "pid": 1})
    trace.add_events(np.array([(0, 0, 1, RUNNING), (1000, 0, 1, TASK_DONE)], dtype=np.int64))
    trace.apply_record({"type": "trailer", "makespan_ns": 1000})
    return runs_to_bytes([trace], GOOD)


@pytest.mark.parametrize(
    "change",
    [
        lambda h: h["runs"][0]["trace_header"].update(cpu_count=10**400),
        lambda h: h["runs"][0]["trace_header"].update(t0_ns=10**400),
        lambda h: h["runs"][0]["trailer"].update(makespan_ns=10**400),
        lambda h: h["runs"][0]["trailer"].update(peak_rss_bytes=10**400),
        lambda h: h["runs"][0]["trace_header"].update(switch_interval_ms=10**400),
        lambda h: h["runs"][0]["workers"][0].update(pid=10**400),
    ],
)
def test_saved_runs_with_huge_header_numbers_are_refused_in_one_line(small_saved, change):
    data = _rewrite(small_saved, lambda m: _edit_header(m, change))
    _refused(data)


def test_a_saved_run_ending_at_the_int64_limit_is_refused(small_saved):
    arr = np.array([2**63 - 1], dtype=np.int64)
    _refused(_rewrite(small_saved, lambda m: _replace_array(m, "end", arr)), "end")


def test_a_deeply_nested_saved_header_is_refused(small_saved):
    def edit(members):
        members["header.json"] = b"[" * 100_000 + b"]" * 100_000

    _refused(_rewrite(small_saved, edit))


def _decode(*frames: bytes) -> Trace:
    trace = Trace()
    for frame in FrameDecoder().feed(magic_line() + b"".join(frames)):
        if hasattr(frame, "events"):
            trace.add_events(frame.events)
        else:
            trace.apply_record(frame.record)
    return trace


HEADER = {"type": "header", "t0_ns": 0, "tasks": [[0, "g", 0]]}


def test_a_deeply_nested_json_frame_is_a_wire_error():
    deep = b'{"type": "log", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(WireFormatError):
        FrameDecoder().feed(magic_line() + b"J " + str(len(deep)).encode() + b"\n" + deep)


@pytest.mark.parametrize(
    "record",
    [
        {"type": "header", "t0_ns": "soon", "tasks": [[0, "g", 0]]},
        {"type": "header", "t0_ns": 0, "tasks": 5},
        {"type": "header", "t0_ns": 0, "tasks": [[0, "g"]]},
        {"type": "header", "t0_ns": 0, "tasks": [["a", "g", 0]]},
        {"type": "header", "t0_ns": 10**400, "tasks": []},
        {"type": "header", "t0_ns": 0, "tasks": [[0, "g", 0]], "cpu_count": "many"},
        {"type": "header", "t0_ns": 0, "tasks": [[0, "g", 0]], "groups": [1, 2]},
        {"type": "header", "t0_ns": 0, "tasks": [[0, "g", 0]], "interpreter": "cpython"},
        {"type": "header", "t0_ns": 0, "tasks": [[0, "g", 0]], "switch_interval_ms": "fast"},
        {"type": "worker"},
        {"type": "worker", "id": "one"},
        {"type": "worker", "id": 10**400},
        {"type": "worker", "id": 1, "pid": [1]},
        {"type": "trailer", "makespan_ns": "long"},
        {"type": "trailer", "makespan_ns": 10**400},
        {"type": "trailer", "makespan_ns": 5, "voluntary_switches": "x"},
        {"type": "trailer", "makespan_ns": 5, "peak_rss_bytes": 10**400},
        {"type": "error", "message": 5},
    ],
)
def test_wrong_typed_records_are_wire_errors_and_metrics_never_crash(record):
    frames = [encode_json(HEADER)] if record["type"] != "header" else []
    payload = json.dumps(record).encode()
    frames.append(b"J " + str(len(payload)).encode() + b"\n" + payload)
    try:
        trace = _decode(*frames)
    except WireFormatError as exc:
        assert "\n" not in str(exc)
        return
    compute_metrics(trace)  # accepted: then it must be usable


@pytest.mark.parametrize("out", ["DIR", "/proc/self/out.json", "/sys/out.json", "/proc/version"])
def test_an_output_path_that_cannot_be_written_is_refused_before_the_run(tmp_path, out):
    out = str(tmp_path) if out == "DIR" else out
    for flag in ("--json", "--csv", "--trace", "--save"):
        result = cli("run", "no-such-preset-so-nothing-runs", flag, out, "--force")
        assert_one_line(result, 2, flag)


def test_pool_size_with_superscript_digits_is_a_usage_error():
    assert_one_line(cli("run", "convoy", "--pool-size", "²"), 2, "--pool-size", "'²'")


# -- 4. values the writer saves but the loader refuses ------------------------------------------


def test_a_switch_interval_below_a_microsecond_is_refused():
    assert_one_line(cli("run", "convoy", "--switch-interval", "0.0005"), 2, "--switch-interval", "0.001")
    with pytest.raises(ScenarioError, match="switch_interval_ms"):
        parse_scenario(GOOD + "[run]\nswitch_interval_ms = 0.0005\n")


@pytest.mark.parametrize("code", [8, -3, 300, 254])
def test_unknown_state_codes_from_the_wire_are_refused(code):
    with pytest.raises(WireFormatError, match="state"):
        _decode(
            encode_json(HEADER),
            encode_json({"type": "worker", "id": 1, "kind": "thread", "name": "t", "pid": 1}),
            encode_events([0, 0, 1, code]),
        )


def test_events_for_an_unknown_worker_or_with_absurd_times_are_refused():
    worker = encode_json({"type": "worker", "id": 1, "kind": "thread", "name": "t", "pid": 1})
    with pytest.raises(WireFormatError, match="worker"):
        _decode(encode_json(HEADER), worker, encode_events([0, 0, 9, RUNNING]))
    with pytest.raises(WireFormatError, match="time"):
        _decode(encode_json(HEADER), worker, encode_events([2**63 - 1, 0, 1, RUNNING]))


def test_every_accepted_stream_saves_to_a_file_that_loads():
    worker = encode_json({"type": "worker", "id": 1, "kind": "thread", "name": "t", "pid": 1})
    trace = _decode(
        encode_json({**HEADER, "switch_interval_ms": 0.001}),
        worker,
        encode_events([0, 0, -1, STATE_CODES["queued"], 10, 0, 1, RUNNING, 20, 0, 1, TASK_DONE]),
    )
    loaded = runs_from_bytes(runs_to_bytes([trace]))
    assert len(loaded.traces[0]) == len(trace)


# -- 5. terminal escapes ------------------------------------------------------------------------


ESC = "\x1b]0;pwned\x07\x1b[2J\r"


def test_control_characters_from_a_scenario_are_escaped_in_the_table(tmp_path):
    path = tmp_path / "esc.toml"
    toml_name = "".join(f"\\u{ord(c):04x}" if not c.isprintable() else c for c in ESC)
    path.write_text(
        GOOD.replace('name = "tiny"', f'name = "{toml_name}"').replace('name = "w"', 'name = "g\\u001b[31m"')
    )
    result = cli("run", str(path), "--model", "sequential")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\r" not in result.stdout
    assert "\\x1b" in result.stdout


def test_control_characters_from_a_probe_are_escaped(tmp_path):
    fake = script(tmp_path, "python-esc", "printf 'oops \\033]0;pwned\\007\\033[2J\\r done\\n' >&2; exit 1")
    scen = tmp_path / "s.toml"
    scen.write_text(GOOD)
    result = cli("run", str(scen), "--interpreter", fake)
    assert_one_line(result, 1, "oops", "\\x1b")
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr and "\r" not in result.stderr


def test_a_probe_error_message_with_escapes_is_escaped(tmp_path):
    error = {"type": "error", "message": "boom\x1b[2J\x07" + "x" * 100_000}
    fake = script(
        tmp_path,
        "python-err",
        "cat > /dev/null & printf 'THREADLOOM-WIRE 1\\n'; printf '%s' "
        + "'"
        + encode_json(error).decode("latin-1").replace("'", "'\\''")
        + "'; exit 3",
    )
    scen = tmp_path / "s.toml"
    scen.write_text(GOOD)
    result = cli("run", str(scen), "--interpreter", fake)
    assert_one_line(result, 1, "boom", "\\x1b")
    assert "\x1b" not in result.stderr and len(result.stderr) < 2000


def test_a_huge_bad_value_is_cut_in_the_message():
    with pytest.raises(ScenarioError) as info:
        parse_scenario(GOOD.replace("io = 5", 'io = "' + "x" * 1_000_000 + '"'), source="big.toml")
    assert len(str(info.value)) < 400


# -- 6. small files, big costs --------------------------------------------------------------------


def test_a_saved_run_that_expands_enormously_is_refused_quickly(small_saved):
    n = 5_000_000
    columns = {"task": "<i4", "worker": "<i8", "state": "|u1", "start": "<i8", "end": "<i8"}

    def edit(members):
        for name, dtype in columns.items():
            _replace_array(members, name, np.full(n, 1 if name == "worker" else 0, dtype=dtype))

    with zipfile.ZipFile(io.BytesIO(small_saved)) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    edit(members)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, blob in members.items():
            zf.writestr(name, blob)
    data = out.getvalue()
    assert len(data) < 2 << 20
    t0 = time.monotonic()
    _refused(data, "expand")
    assert time.monotonic() - t0 < 5


def _many_workers_trace(workers: int, per_worker: int) -> Trace:
    rng = np.random.default_rng(1)
    trace = Trace()
    tasks = workers * per_worker
    trace.apply_record({"type": "header", "t0_ns": 0, "tasks": [[i, "g", i] for i in range(tasks)]})
    kinds = ["thread", "pool-thread", "loop", "process"]
    for w in range(workers):
        trace.apply_record({"type": "worker", "id": w + 1, "kind": kinds[w % 4], "name": "", "pid": w})
    rows = []
    for task in range(tasks):
        w = task % workers + 1
        t = int(rng.integers(0, 1_000_000))
        for state in (STATE_CODES["ready"], RUNNING, STATE_CODES["io"], RUNNING):
            rows.append((t, task, w, state))
            t += int(rng.integers(1, 5000))
        rows.append((t, task, w, TASK_DONE))
    trace.add_events(np.array(rows, dtype=np.int64))
    trace.apply_record({"type": "trailer", "makespan_ns": 2_000_000})
    return trace


def _reference_lanes(trace: Trace):
    """worker_lanes as it was: one scan per worker (the definition the fast one must match)."""
    from threadloom.model.occupancy import occupies
    from threadloom.model.trace import Segments

    seg = trace.segments()
    out = []
    for wid, info in sorted(trace.workers.items()):
        mask = (seg.worker == wid) & occupies(info.traits.cooperative, seg.state)
        idx = np.nonzero(mask)[0]
        if not len(idx):
            continue
        idx = idx[np.argsort(seg.start[idx], kind="stable")]
        start, end = seg.start[idx], seg.end[idx]
        reach = np.maximum.accumulate(end)
        gaps = start[1:] > reach[:-1]
        idle_start, idle_end = reach[:-1][gaps], start[1:][gaps]
        if info.traits.long_lived and trace.end_ns > reach[-1]:
            idle_start = np.append(idle_start, reach[-1])
            idle_end = np.append(idle_end, trace.end_ns)
        k, m = len(idx), len(idle_start)
        out.append(
            (
                np.concatenate([seg.task[idx], np.full(m, -1, np.int32)]),
                np.full(k + m, wid, np.int64),
                np.concatenate([seg.state[idx], np.full(m, STATE_CODES["idle"], np.uint8)]),
                np.concatenate([start, idle_start]),
                np.concatenate([end, idle_end]),
            )
        )
    return Segments(*[np.concatenate(c) for c in zip(*out, strict=True)])


def test_worker_lanes_match_the_per_worker_definition():
    trace = _many_workers_trace(40, 7)
    fast, slow = trace.worker_lanes(), _reference_lanes(trace)
    for name in fast._fields:
        a, b = getattr(fast, name), getattr(slow, name)
        assert a.dtype == b.dtype, name
        assert np.array_equal(a, b), name


def test_worker_lanes_for_twenty_thousand_workers_take_a_moment():
    trace = _many_workers_trace(20_000, 1)
    t0 = time.perf_counter()
    lanes = trace.worker_lanes()
    assert time.perf_counter() - t0 < 3.0  # one scan per worker took 45 s
    assert len(np.unique(lanes.worker)) == 20_000


# -- 7. the smaller list -----------------------------------------------------------------------------


def test_a_process_pool_run_leaves_no_pymp_folder(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    scen = tmp_path / "s.toml"
    scen.write_text(GOOD)
    result = subprocess.run(
        threadloom_cmd("run", str(scen), "--model", "process-pool", "--pool-size", "1", "-q"),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TMPDIR": str(tmp)},
    )
    assert result.returncode == 0, result.stderr
    assert list(tmp.iterdir()) == []


def test_pool_size_over_the_models_limit_is_a_usage_error(tmp_path):
    scen = tmp_path / "s.toml"
    scen.write_text(GOOD)
    assert_one_line(cli("run", str(scen), "--model", "process-pool", "--pool-size", "65"), 2, "--pool-size", "64")


def test_sigterm_during_render_does_not_mention_a_probe(tmp_path, small_saved):
    saved = tmp_path / "x.tlrun"
    saved.write_bytes(small_saved)
    code = (
        "import os, signal, threading, time, sys\n"
        "from threadloom import cli\n"
        "import threadloom.export.savefile.read as r\n"
        "real = r.load_runs\n"
        "def slow(p):\n"
        "    os.kill(os.getpid(), signal.SIGTERM); time.sleep(5); return real(p)\n"
        "import threadloom.export.savefile as s; s.load_runs = slow\n"
        f"sys.exit(cli.main(['render', {str(saved)!r}, '--out', {str(tmp_path / 'o.png')!r}]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 130, result.stderr
    assert "probe" not in result.stderr and "interrupted" in result.stderr


@pytest.mark.skipif(not os.path.exists("/root/.pyenv/versions/3.7.16/bin/python3"), reason="no Python 3.7 here")
def test_python_3_7_gets_the_version_hint(tmp_path):
    scen = tmp_path / "s.toml"
    scen.write_text(GOOD.replace("io = 5", "net = 1"))
    result = cli("run", str(scen), "--interpreter", "/root/.pyenv/versions/3.7.16/bin/python3")
    assert_one_line(result, 1, "3.9 or newer")


def test_many_asyncio_net_tasks_are_refused_naming_the_open_file_limit():
    sc = parse_scenario(GOOD.replace("count = 2", "count = 20000").replace("io = 5", "net = 1"), source="net.toml")
    with pytest.raises(ScenarioError, match="open-file limit"):
        sc.check_run("asyncio", None, fd_limit=20_000)
    sc.check_run("thread-pool", 8, fd_limit=20_000)  # a pool holds one socket per worker: fine
    small = parse_scenario(GOOD.replace("io = 5", "net = 1"), source="net.toml")
    small.check_run("asyncio", None, fd_limit=20_000)


def test_many_asyncio_net_tasks_are_refused_up_front_from_the_cli(tmp_path):
    import resource

    scen = tmp_path / "net.toml"
    scen.write_text(GOOD.replace("count = 2", "count = 2000").replace("io = 5", "net = 1"))
    t0 = time.monotonic()
    result = subprocess.run(
        threadloom_cmd("run", str(scen), "--model", "asyncio"),
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024)),
    )
    assert_one_line(result, 1, "net.toml", "open-file limit", "1,024")
    assert time.monotonic() - t0 < 15  # the probe's open-file failure came after 10 s of running


def test_a_stalled_probe_is_reported_by_the_watchdog_and_stop_still_works(tmp_path):
    fake = script(tmp_path, "python-stalls", "printf 'THREADLOOM-WIRE 1\\n'; exec sleep 60")
    notes: list[str] = []
    session = ProbeSession(
        RunRequest(parse_scenario(GOOD), "threads", interpreter=fake), on_silence=notes.append, silence_s=0.3
    )

    async def main():
        task = asyncio.ensure_future(session.run())
        while not notes:
            await asyncio.sleep(0.05)
        pid = session.pid
        session.stop()
        result = await asyncio.wait_for(task, 10)
        return pid, result

    pid, result = asyncio.run(main())
    assert result.stopped
    assert "nothing" in notes[0] and "0.3 s" in notes[0]
    wait_for(lambda: not alive_in_group(pid), timeout=5, what="the stalled probe to end")
