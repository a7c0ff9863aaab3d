"""Chrome trace JSON (Perfetto) and CSV hold every segment, on the right tracks, at the run's times."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections import defaultdict

import numpy as np
import pytest

from threadloom.export.csv_export import COLUMNS, segments_csv
from threadloom.export.perfetto import chrome_trace_json
from threadloom.model import STATES, Trace
from threadloom.model.gil import gil_runs
from threadloom.wire import STATE_CODES, TASK_DONE, WORKER_PROCESS, WORKER_THREAD


@pytest.fixture(scope="module")
def traced(mixed_run):
    return mixed_run


def test_trace_json_has_named_tracks_with_slices_spanning_the_run(traced):
    trace, metrics = traced
    doc = json.loads(chrome_trace_json([trace, trace], ["pool", "same again"]))
    events = doc["traceEvents"]
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    processes = {e["pid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    assert processes == {1: "pool: tasks", 2: "pool: workers", 3: "same again: tasks", 4: "same again: workers"}
    gil = [e for e in events if e["ph"] == "X" and e["cat"] == "gil"]
    slices = [e for e in events if e["ph"] == "X" and e["cat"] != "gil"]
    by_track = defaultdict(list)
    for e in gil:
        by_track[(e["pid"], e["tid"])].append(e)
    for e in slices:
        by_track[(e["pid"], e["tid"])].append(e)
        assert e["name"] in STATES and e["args"]["state"] == e["name"]
        assert e["dur"] > 0
    # One track per task and per worker, each named and each holding slices, and the GIL's.
    task_tracks = {k for k in by_track if k[0] == 1}
    worker_tracks = {k for k in by_track if k[0] == 2 and names[k] != "GIL"}
    assert {names[(e["pid"], e["tid"])] for e in gil} == {"GIL"} and {e["pid"] for e in gil} == {2, 4}
    assert len(task_tracks) == len(trace.tasks) == 5
    assert len(worker_tracks) == len(trace.workers) == 2
    assert {names[k] for k in task_tracks} == {t.label for t in trace.tasks}
    assert all(names[k].startswith("pool_") for k in worker_tracks)
    # Perfetto keys threads by tid alone: each track's tid is unique in the file, and never 0.
    assert len({tid for _, tid in by_track}) == len(by_track) and all(tid > 0 for _, tid in by_track)
    # Times are microseconds since the run started: the slices span the makespan.
    first = min(e["ts"] for e in slices)
    last = max(e["ts"] + e["dur"] for e in slices if e["pid"] == 1)
    assert 0 <= first < 0.1 * metrics.makespan_ms * 1e3
    assert last == pytest.approx(trace.segments().end.max() / 1e3, abs=0.01)
    assert 0.9 * metrics.makespan_ms * 1e3 <= last <= metrics.makespan_ms * 1e3 + 1
    # Time per state on the task tracks adds up to the metrics' time per state.
    per_state = defaultdict(float)
    for e in slices:
        if e["pid"] == 1:
            per_state[e["name"]] += e["dur"] / 1e3
    for state in ("running", "ready", "io", "queued"):
        assert per_state[state] == pytest.approx(metrics.state_ms[state], rel=1e-3, abs=0.01), state
    # Perfetto drops overlapping slices on one track: there are none.
    for track in by_track.values():
        track.sort(key=lambda e: e["ts"])
        for a, b in itertools.pairwise(track):
            assert b["ts"] >= a["ts"] + a["dur"] - 0.002
    other = doc["otherData"]
    assert other["runs"][0]["model"] == "thread-pool" and other["runs"][0]["pool_size"] == 2
    assert other["runs"][0]["switch_interval_ms"] == 1.0 and "CPython" in other["runs"][0]["interpreter"]


def test_csv_has_one_row_per_segment(traced):
    trace, metrics = traced
    rows = list(csv.DictReader(io.StringIO(segments_csv([trace], ["pool"]))))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == len(trace)
    assert {r["run"] for r in rows} == {"pool"}
    assert {r["task"] for r in rows} == {t.label for t in trace.tasks}
    assert {r["group"] for r in rows} == {"crunch", "chatty"}
    assert {r["worker"] for r in rows if r["state"] != "queued"} == {"pool_0", "pool_1"}
    assert all(r["worker"] == "" for r in rows if r["state"] == "queued")
    running = sum(float(r["end_ms"]) - float(r["start_ms"]) for r in rows if r["state"] == "running")
    assert running == pytest.approx(metrics.state_ms["running"], rel=1e-4)
    assert max(float(r["end_ms"]) for r in rows) <= metrics.makespan_ms + 1e-6


def _gil_track(doc: dict) -> list[dict]:
    """The slices of the track named "GIL", by time (none if there is no such track)."""
    events = doc["traceEvents"]
    named = [(e["pid"], e["tid"]) for e in events if e["ph"] == "M" and e["name"] == "thread_name"]
    gil = {
        k
        for k, e in zip(named, (e for e in events if e["ph"] == "M" and e["name"] == "thread_name"), strict=True)
        if e["args"]["name"] == "GIL"
    }
    assert len(gil) <= 1
    return sorted((e for e in events if e["ph"] == "X" and (e["pid"], e["tid"]) in gil), key=lambda e: e["ts"])


def _two_threads(model: str = "threads", kind: str = WORKER_THREAD, **header) -> Trace:
    """Task 0 runs 0-4 ms and 6-10 ms; task 1 runs 4-6 ms between two waits; both on one GIL."""
    trace = Trace()
    trace.apply_record(
        {"type": "header", "model": model, "t0_ns": 0, "tasks": [[0, "crunch", 0], [1, "chatty", 0]], **header}
    )
    for wid in (0, 1):
        trace.apply_record({"type": "worker", "id": wid, "kind": kind, "name": f"w{wid}", "pid": 7 + wid})
    r, rd, io = STATE_CODES["running"], STATE_CODES["ready"], STATE_CODES["io"]
    rows = [(0, 0, 0, r), (4, 0, 0, rd), (6, 0, 0, r), (10, 0, 0, TASK_DONE)]
    rows += [(0, 1, 1, io), (4, 1, 1, r), (5, 1, 1, r), (6, 1, 1, io), (8, 1, 1, TASK_DONE)]
    trace.add_events(np.array([(t * 1_000_000, task, w, s) for t, task, w, s in rows], dtype=np.int64))
    trace.apply_record({"type": "trailer", "makespan_ns": 10_000_000})
    return trace


def test_the_gil_track_has_a_slice_per_holder_stretch():
    doc = json.loads(chrome_trace_json([_two_threads()], ["run"]))
    got = [(e["name"], e["ts"], e["dur"], e["args"]["holder"], e["args"]["group"]) for e in _gil_track(doc)]
    assert got == [
        ("crunch-0", 0.0, 4000.0, "crunch-0", "crunch"),
        ("chatty-0", 4000.0, 2000.0, "chatty-0", "chatty"),
        ("crunch-0", 6000.0, 4000.0, "crunch-0", "crunch"),
    ]
    # On the workers process, listed first.
    gil_meta = [e for e in doc["traceEvents"] if e["ph"] == "M" and e["args"].get("name") == "GIL"]
    assert gil_meta[0]["pid"] == 2


def test_the_gil_track_follows_the_gil_lane_of_a_real_run(traced):
    trace, _ = traced
    gil = _gil_track(json.loads(chrome_trace_json([trace])))
    seg = trace.segments()
    run = seg.state == STATE_CODES["running"]
    cols, _, handoffs, _ = gil_runs(seg.start[run], seg.end[run], seg.task[run], seg.worker[run])
    assert gil and all(e["dur"] > 0 for e in gil)
    assert {e["name"] for e in gil} <= {t.label for t in trace.tasks}
    for a, b in itertools.pairwise(gil):
        assert b["ts"] >= a["ts"] + a["dur"] - 0.002  # none overlaps: Perfetto would drop it
    # Every hand-off of the lane starts a slice (where two measured stretches overlap by a few microseconds,
    # the later slice starts where the earlier ends, or vanishes inside it), and the slices hold the GIL no
    # longer than the lane does.
    starts = np.array(sorted(e["ts"] for e in gil))
    hand_us = handoffs / 1e3
    nearest = starts[np.clip(np.searchsorted(starts, hand_us - 0.002), 0, len(starts) - 1)]
    close = (nearest >= hand_us - 0.002) & (nearest <= hand_us + 50)
    assert close.mean() >= 0.95, f"{int((~close).sum())} of {len(hand_us)} hand-offs start no slice"
    held = sum(e["dur"] for e in gil)
    assert held <= float(np.sum(cols[1] - cols[0])) / 1e3 + 0.01


@pytest.mark.parametrize(
    "make", [lambda: _two_threads(gil_enabled=False), lambda: _two_threads("process-pool", WORKER_PROCESS)]
)
def test_there_is_no_gil_track_without_one_shared_gil(make):
    doc = json.loads(chrome_trace_json([make()], ["run"]))
    assert _gil_track(doc) == []
    assert not any(e["ph"] == "M" and e["args"].get("name") == "GIL" for e in doc["traceEvents"])
