"""Engine figures: probe overhead, parent ingest rate, trace memory.

Run: python benchmarks/bench_engine.py   (prints one line per figure)
Record what it prints in docs/performance.md with the date and machine.
"""

from __future__ import annotations

import platform
import statistics
import time
import tracemalloc

import numpy as np

from threadloom.engine import RunRequest, run_blocking
from threadloom.model import Trace
from threadloom.scenario import parse_scenario
from threadloom.wire import STATE_CODES, TASK_DONE, encode_events, encode_json, magic_line
from threadloom.wire.reader import EventsFrame, FrameDecoder

OVERHEAD_SCENARIO = parse_scenario(
    """
name = "overhead"
[[groups]]
name = "crunch"
count = 2
steps = [{ cpu = 300 }]
[[groups]]
name = "mixed"
count = 8
repeat = 20
steps = [{ cpu = 2 }, { io = 2 }, { net = 1 }]
""",
    source="overhead",
)


def probe_overhead(rounds: int = 7) -> tuple[float, float, float]:
    """Makespan with recording over makespan without, same work, interleaved runs."""
    on, off = [], []
    for _ in range(rounds):
        for recording, sink in ((True, on), (False, off)):
            trace = run_blocking(RunRequest(OVERHEAD_SCENARIO, "threads", recording=recording))
            sink.append(trace.end_ns / 1e6)
    return statistics.median(on) / statistics.median(off), statistics.median(on), statistics.median(off)


def ingest_rate(n_events: int = 2_000_000, tasks: int = 1000, batch: int = 10_000) -> float:
    """Events per second through the decoder and the trace builder (the GUI's path)."""
    rng = np.random.default_rng(1)
    states = np.array([STATE_CODES[s] for s in ("running", "ready", "io")])
    per_task = n_events // tasks
    t = np.cumsum(rng.integers(1_000, 50_000, size=(tasks, per_task)), axis=1)
    ev = np.empty((tasks, per_task, 4), dtype=np.int64)
    ev[..., 0] = t
    ev[..., 1] = np.arange(tasks)[:, None]
    ev[..., 2] = 1 + np.arange(tasks)[:, None] % 8
    ev[..., 3] = rng.choice(states, size=(tasks, per_task))
    ev[:, -1, 3] = TASK_DONE
    flat = ev.reshape(-1, 4)[np.argsort(ev.reshape(-1, 4)[:, 0], kind="stable")]
    header = {"type": "header", "t0_ns": 0, "tasks": [[i, "g", i] for i in range(tasks)]}
    workers = [{"type": "worker", "id": w, "kind": "thread", "name": f"t{w}", "pid": 1} for w in range(1, 9)]
    stream = [magic_line(), encode_json(header), *map(encode_json, workers)]
    stream += [encode_events(flat[i : i + batch].ravel().tolist()) for i in range(0, len(flat), batch)]
    data = b"".join(stream)
    trace = Trace()
    decoder = FrameDecoder()
    chunk = 1 << 18
    start = time.perf_counter()
    for i in range(0, len(data), chunk):
        for frame in decoder.feed(data[i : i + chunk]):
            if isinstance(frame, EventsFrame):
                trace.add_events(frame.events)
            else:
                trace.apply_record(frame.record)
    elapsed = time.perf_counter() - start
    return len(flat) / elapsed


_EMITTER = """
import sys, time
from threadloom.probe.recorder import Recorder
from threadloom.wire import encode_json, magic_line
out = sys.stdout.buffer
out.write(magic_line())
out.write(encode_json({"type": "header", "t0_ns": 0, "tasks": [[i, "g", i] for i in range(100)]}))
out.write(encode_json({"type": "worker", "id": 1, "kind": "thread", "name": "t1", "pid": 1}))
rec = Recorder(lambda b: (out.write(b), out.flush()))
rec.start()
emit = rec.emit
t = time.monotonic_ns()
n = 0
end = t + 2_000_000_000
while t < end:
    for task in range(100):
        emit((t, task, 1, n % 3))
    n += 1
    t = time.monotonic_ns()
rec.close()
"""


def stream_rate() -> tuple[float, float]:
    """Events per second from a recorder in a child process, through the pipe, into a trace."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", _EMITTER], stdout=subprocess.PIPE)
    decoder = FrameDecoder()
    trace = Trace()
    events = 0
    start = time.perf_counter()
    while chunk := child.stdout.read1(1 << 18):
        for frame in decoder.feed(chunk):
            if isinstance(frame, EventsFrame):
                trace.add_events(frame.events)
                events += len(frame.events)
            else:
                trace.apply_record(frame.record)
    elapsed = time.perf_counter() - start
    child.wait()
    return events / elapsed, events


def trace_memory_per_million() -> float:
    n = 1_000_000
    cols = {
        "task": np.zeros(n, np.int32),
        "worker": np.zeros(n, np.int64),
        "state": np.zeros(n, np.uint8),
        "start": np.arange(n, dtype=np.int64),
        "end": np.arange(n, dtype=np.int64) + 1,
    }
    tracemalloc.start()
    trace = Trace.from_arrays({"t0_ns": 0, "tasks": [[0, "g", 0]]}, None, [], cols, np.zeros(1), np.zeros(1))
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(trace) == n
    return current / 2**20


def main() -> None:
    print(
        f"machine: {platform.node()} {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}"
    )
    ratio, on, off = probe_overhead()
    print(f"probe overhead: makespan recording on / off = {ratio:.3f} ({on:.1f} ms / {off:.1f} ms; goal <= 1.03)")
    print(f"parent ingest: {ingest_rate():,.0f} events/s through decoder + trace (goal >= 200,000)")
    rate, events = stream_rate()
    print(
        f"end-to-end stream: {rate:,.0f} events/s from a child's recorder through the pipe into a trace "
        f"({events:,} events; goal >= 200,000)"
    )
    print(f"trace memory: {trace_memory_per_million():.1f} MiB per million segments")


if __name__ == "__main__":
    main()
