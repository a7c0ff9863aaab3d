"""Chrome trace JSON (Perfetto) and CSV hold every segment, on the right tracks, at the run's times."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections import defaultdict

import pytest

from threadloom.export.csv_export import COLUMNS, segments_csv
from threadloom.export.perfetto import chrome_trace_json
from threadloom.model import STATES


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
    slices = [e for e in events if e["ph"] == "X"]
    by_track = defaultdict(list)
    for e in slices:
        by_track[(e["pid"], e["tid"])].append(e)
        assert e["name"] in STATES and e["args"]["state"] == e["name"]
        assert e["dur"] > 0
    # One track per task and per worker, each named and each holding slices.
    task_tracks = {k for k in by_track if k[0] == 1}
    worker_tracks = {k for k in by_track if k[0] == 2}
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
