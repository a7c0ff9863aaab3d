"""The engine's pieces: the probe's import rule, the wire format, the trace builder, sessions."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from threadloom.engine import ProbeSession, RunRequest, RunResult, run_blocking
from threadloom.errors import ProbeError, WireFormatError
from threadloom.model import Trace, compute_metrics
from threadloom.wire import STATE_CODES, TASK_DONE, VERSION, encode_events, encode_json, magic_line
from threadloom.wire.reader import EventsFrame, FrameDecoder, JsonFrame

from .conftest import REPO, run, scenario

RUNNING, READY, IO, QUEUED = (STATE_CODES[s] for s in ("running", "ready", "io", "queued"))


def test_probe_imports_only_the_standard_library():
    code = (
        "import sys, threadloom.probe.main, threadloom.probe.echo;"
        "std = sys.stdlib_module_names;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] not in std and m not in ('__main__', '__mp_main__')"
        " and not m.startswith(('threadloom.probe', 'threadloom.wire')) and m != 'threadloom');"
        "print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, cwd=REPO / "app", check=True
    ).stdout
    assert out.strip() == "[]"


def _stream(*frames: bytes) -> bytes:
    return magic_line() + b"".join(frames)


def test_decoder_reassembles_frames_split_anywhere():
    header = {"type": "header", "t0_ns": 1000, "tasks": [[0, "g", 0]]}
    data = _stream(encode_json(header), encode_events([1000, 0, 1, RUNNING, 3000, 0, 1, TASK_DONE]))
    for cut in range(1, len(data)):
        dec = FrameDecoder()
        frames = dec.feed(data[:cut]) + dec.feed(data[cut:])
        assert [type(f) for f in frames] == [JsonFrame, EventsFrame]
        assert frames[1].events.tolist() == [[1000, 0, 1, RUNNING], [3000, 0, 1, TASK_DONE]]


def test_decoder_refuses_garbage_and_newer_versions():
    with pytest.raises(WireFormatError, match="not a Threadloom event stream"):
        FrameDecoder().feed(b"Segmentation fault (core dumped)\n")
    with pytest.raises(WireFormatError, match=f"version {VERSION + 1}"):
        FrameDecoder().feed(f"THREADLOOM-WIRE {VERSION + 1}\n".encode())
    with pytest.raises(WireFormatError):
        FrameDecoder().feed(_stream(b"X 12\nhello world!"))


def _trace(*events: tuple[int, int, int, int], tasks: int = 2) -> Trace:
    trace = Trace()
    trace.apply_record({"type": "header", "t0_ns": 0, "tasks": [[i, "g", i] for i in range(tasks)]})
    trace.apply_record({"type": "worker", "id": 1, "kind": "pool-thread", "name": "w", "pid": 1})
    trace.add_events(np.array(events, dtype=np.int64))
    return trace


def test_trace_builds_segments_across_batches_and_merges_repeats():
    trace = _trace((0, 0, -1, QUEUED), (10, 0, 1, RUNNING))
    trace.add_events(
        np.array(
            [(20, 0, 1, RUNNING), (30, 0, 1, IO), (50, 0, 1, READY), (55, 0, 1, RUNNING), (70, 0, 1, TASK_DONE)],
            dtype=np.int64,
        )
    )
    seg = trace.segments()
    rows = list(zip(seg.state.tolist(), seg.start.tolist(), seg.end.tolist(), strict=True))
    # The repeated RUNNING at t=20 continues the segment begun at t=10.
    assert rows == [(QUEUED, 0, 10), (RUNNING, 10, 30), (IO, 30, 50), (READY, 50, 55), (RUNNING, 55, 70)]
    assert trace.submitted[0] == 0 and trace.finished[0] == 70
    lanes = trace.worker_lanes()
    assert STATE_CODES["idle"] not in lanes.state.tolist()[:4]


def test_trace_orders_events_of_interleaved_tasks():
    trace = _trace((5, 1, 1, RUNNING), (0, 0, 1, RUNNING), (9, 1, 1, TASK_DONE), (4, 0, 1, TASK_DONE))
    seg = trace.segments()
    assert sorted(zip(seg.task.tolist(), seg.start.tolist(), seg.end.tolist(), strict=True)) == [(0, 0, 4), (1, 5, 9)]
    lanes = trace.worker_lanes()
    idle = lanes.state == STATE_CODES["idle"]
    assert lanes.start[idle].tolist() == [4] and lanes.end[idle].tolist() == [5]


def test_events_for_unknown_tasks_are_refused():
    with pytest.raises(WireFormatError, match="task 7"):
        _trace((0, 7, 1, RUNNING))


SLEEPY = """
[[groups]]
name = "sleepy"
count = 3
repeat = 1000
steps = [{ io = 10 }]
"""


def _probe_gone(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_stop_mid_run_is_an_outcome_with_the_partial_trace_and_leaves_no_probe():
    request = RunRequest(scenario(SLEEPY), "threads")

    async def go():
        session = ProbeSession(request)
        task = asyncio.ensure_future(session.run())
        while len(session.trace) < 20:
            await asyncio.sleep(0.05)
        pid = session.pid
        session.stop()
        return pid, session, await task  # a stopped run returns; it raises nothing

    pid, session, result = asyncio.run(asyncio.wait_for(go(), 60))
    assert isinstance(result, RunResult) and result.stopped and session.stopped
    trace = result.trace
    assert trace is session.trace
    assert len(trace) >= 20 and not trace.complete
    assert compute_metrics(trace).complete is False
    # Open segments were closed at the last event: the partial trace draws whole.
    assert len(trace.open_segments()) == 0
    assert _probe_gone(pid)


def test_stop_before_the_probe_started_is_a_stopped_outcome_too():
    async def go():
        session = ProbeSession(RunRequest(scenario(SLEEPY), "threads"))
        task = asyncio.ensure_future(session.run())
        session.stop()  # before the subprocess even exists
        return session, await task

    session, result = asyncio.run(asyncio.wait_for(go(), 60))
    assert result.stopped and not result.trace.complete
    assert session.pid is None or _probe_gone(session.pid)


def test_a_finished_run_is_not_stopped_and_a_failed_one_raises():
    tiny = '[[groups]]\nname = "w"\ncount = 1\nsteps = [{ io = 1 }]\n'
    result = asyncio.run(asyncio.wait_for(ProbeSession(RunRequest(scenario(tiny), "threads")).run(), 60))
    assert result.stopped is False and result.trace.complete
    with pytest.raises(ProbeError, match="/no/such/python"):
        asyncio.run(ProbeSession(RunRequest(scenario(tiny), "threads", interpreter="/no/such/python")).run())


def test_every_model_runs_every_step_kind():
    text = """
[[groups]]
name = "all"
count = 3
repeat = 2
steps = [{ cpu = 3 }, { native = 3 }, { io = 3 }, { net = 2 }, { block = 3 }, { lock = 1 }, { data = 10 }]
"""
    from threadloom.engine import this_interpreter
    from threadloom.probe.models import model_names

    here = this_interpreter().unavailable()  # interpreter-pool before 3.14, say: tests/test_interpreters.py
    for model in (m for m in model_names() if m not in here):
        trace, metrics = run(text, model, pool_size=2)
        assert trace.complete, model
        assert (trace.finished >= 0).all(), model
        assert metrics.groups["all"].count == 3
        used = {STATE_CODES[s] for s in ("running", "io")}
        assert used <= set(trace.segments().state.tolist()), model
        json.dumps(metrics.to_json())


FLOOD = """
name = "flood"
[[groups]]
name = "tick"
count = 300
repeat = 300
steps = [{ io = 0.01 }]
"""


def flood_arrivals() -> list[tuple[int, int, int]]:
    """Run :data:`FLOOD` under asyncio; for each chunk that completed an events frame: when the parent
    decoded it, and the times of the newest and the oldest event in it (monotonic ns)."""
    from threadloom.engine import session as session_module

    arrivals: list[tuple[int, int, int]] = []
    feed = session_module.FrameDecoder.feed

    def timed_feed(self, chunk):
        frames = feed(self, chunk)
        received = time.monotonic_ns()
        times = [f.events[:, 0] for f in frames if isinstance(f, EventsFrame) and len(f.events)]
        if times:
            arrivals.append((received, max(int(t.max()) for t in times), min(int(t.min()) for t in times)))
        return frames

    session_module.FrameDecoder.feed = timed_feed
    try:
        trace = run_blocking(RunRequest(scenario(FLOOD), "asyncio"))
    finally:
        session_module.FrameDecoder.feed = feed
    assert trace.complete and len(arrivals) > 10, len(arrivals)
    return arrivals


@pytest.mark.physics
def test_a_flood_of_coroutine_waits_reaches_the_parent_as_it_happens():
    """An event loop that drops and retakes the GIL every few microseconds starved the probe's flusher
    (CPython hands the GIL over only to a waiter that timed out); events then arrived up to 2 s late.
    The loop's own waits ship the buffer when the flusher is late, so a live view trails by milliseconds."""
    from .test_physics import holds_within_attempts

    def measure():
        p95 = float(np.percentile([(got - newest) / 1e6 for got, newest, _ in flood_arrivals()], 95))
        assert p95 < 100, f"events reached the parent {p95:.0f} ms after they happened (p95)"

    holds_within_attempts(measure)


@pytest.mark.physics
def test_a_flood_keeps_arriving_between_the_flushers_lucky_wakes():
    """A churning loop lets the flusher win the GIL on time now and then. When one such wake handed the
    shipping back to the flusher, nothing went out until it next won the GIL or the loop's ships fell
    due again (75 ms): gaps of 80 ms, five or six a second, so what had arrived trailed the run by
    70 ms (p95 over time) where the flush interval allows 25. Measured over time, between arrivals:
    the age of the newest event received so far."""
    from threadloom.probe.recorder import FLUSH_INTERVAL_S

    from .test_physics import holds_within_attempts

    def measure():
        arrivals = flood_arrivals()[2:-2]  # not the start-up and the trailer
        behind = np.concatenate(
            [
                (t0 - newest) / 1e6 + np.arange(0.0, (t1 - t0) / 1e6, 0.5)
                for (t0, newest, _), (t1, _, _) in itertools.pairwise(arrivals)
            ]
        )
        p95 = float(np.percentile(behind, 95))
        assert p95 < 2 * FLUSH_INTERVAL_S * 1000, f"what had arrived trailed the run by {p95:.0f} ms (p95 over time)"

    holds_within_attempts(measure)


@pytest.mark.physics
def test_a_flood_ships_its_first_events_within_an_interval_or_two():
    """A recorder started out trusting its flusher: the loop's own waits shipped only once the buffer
    was 75 ms overdue, until the flusher, starved by the churning loop, had woken late once. So the
    first frame of a flood held its first 85 ms of events. It now starts as if the GIL churned."""
    from threadloom.probe.recorder import FLUSH_INTERVAL_S

    from .test_physics import holds_within_attempts

    def measure():
        received, _, oldest = flood_arrivals()[0]
        held = (received - oldest) / 1e6
        assert held < 2 * FLUSH_INTERVAL_S * 1000, f"the first events reached the parent after {held:.0f} ms"

    holds_within_attempts(measure)


def test_a_run_thread_ships_even_while_a_stuck_shipper_holds_the_lock():
    """The flusher shipped, then held the recorder's lock while it waited to win the GIL back from a
    churning event loop (300 ms and more in one flood of six); the loop's own ships gave up on the lock,
    so the events waited as long. A ship due that long after the last one waits for the lock instead
    (handing the real flusher the GIL) and goes out."""
    import threading

    from threadloom.probe import recorder as recorder_module

    sent: list[bytes] = []
    rec = recorder_module.Recorder(lambda data, block=True: sent.append(data), eager=True)
    rec.emit((1, 0, 1, 0))
    release = threading.Event()

    def stuck_shipper() -> None:
        with rec._lock:
            release.wait(5)

    holder = threading.Thread(target=stuck_shipper)
    holder.start()
    time.sleep(0.01)
    # A ship that started just now: the lock's holder is shipping; this thread does not wait for it.
    rec.last_ship = recorder_module.now()
    rec.ship_due()
    assert sent == [] and len(rec._buf) == 4
    # One that started longer ago than the stuck limit: this thread waits for the lock, then ships.
    rec.last_ship = recorder_module.now() - 2 * recorder_module._STUCK_NS
    threading.Timer(0.05, release.set).start()
    rec.ship_due()
    holder.join()
    assert len(sent) == 1 and rec._buf == [], "the overdue events went out"


def test_the_parent_reads_a_probe_that_ran_ahead_in_pieces_of_a_mebibyte():
    """asyncio's pipe transport reads at most 256 KiB each time the pipe is readable: a probe that ran
    ahead of a GUI busy with its first frames (half a MiB and more at a flood's start) then waited in
    the pipe for a turn of the GUI's loop per 256 KiB. The session lets a turn read a MiB."""
    from threadloom.engine.interpreters import read_in_pieces_of
    from threadloom.engine.session import _READ_CHUNK

    async def main() -> int:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "import sys; sys.stdin.read()",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        try:
            read_in_pieces_of(proc, 1, _READ_CHUNK)
            return proc._transport.get_pipe_transport(1).max_size
        finally:
            proc.stdin.close()
            await proc.wait()

    assert _READ_CHUNK >= 1 << 20
    assert asyncio.run(main()) == _READ_CHUNK
