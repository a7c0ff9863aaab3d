"""Property-based tests: whatever arrives (a scenario, a byte stream, a saved run), the answer is a result or
the project's own one-line error, never another exception.

Examples per test are few by default, to fit `make test`; `make fuzz` sets THREADLOOM_FUZZ_EXAMPLES and runs
them long.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import pickle
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from threadloom.errors import SavedRunError, ScenarioError, WireFormatError
from threadloom.export.savefile import runs_from_bytes, runs_to_bytes
from threadloom.model import Trace, compute_metrics
from threadloom.probe.models import model_names
from threadloom.scenario import Scenario, parse_scenario
from threadloom.wire import STATE_CODES, TASK_DONE, encode_events, encode_json, magic_line
from threadloom.wire.reader import EventsFrame, FrameDecoder

_LONG = int(os.environ.get("THREADLOOM_FUZZ_EXAMPLES") or 0)


def examples(n: int):
    return settings(
        max_examples=_LONG or n,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.function_scoped_fixture,  # "sealed" checks once, after every example
        ],
    )


def one_line(message: str, prefix: str = "") -> None:
    assert "\n" not in message and "\r" not in message and "\x1b" not in message, message[:300]
    assert message.startswith(prefix), message[:300]
    assert len(message) < 3000, len(message)


# -- values of every kind TOML and JSON can hold ---------------------------------------------------

scalars = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**500), max_value=10**500),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=30),
    st.sampled_from(["cpu", "io", "net", "native", "block", "threads", "asyncio", "", " ", "\x1b[2J", "x" * 300]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def toml_key(key: str) -> str:
    return json.dumps(key)


def toml_value(value) -> str:
    """An inline TOML rendering (arrays and inline tables), close enough to exercise the loader."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**4000 else "1" + "0" * 4500
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_doc(doc: dict) -> str:
    return "\n".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in doc.items()) + "\n"


VALID = {
    "name": "p",
    "run": {"model": "threads", "switch_interval_ms": 1, "pool_size": 2, "peer_delay_ms": 0},
    "groups": [{"name": "a", "count": 2, "repeat": 1, "steps": [{"cpu": 1}, {"io": 1}]}],
}
FIELDS = [
    ("name",),
    ("description",),
    ("run",),
    ("run", "model"),
    ("run", "switch_interval_ms"),
    ("run", "pool_size"),
    ("run", "peer_delay_ms"),
    ("groups",),
    ("groups", 0),
    ("groups", 0, "name"),
    ("groups", 0, "count"),
    ("groups", 0, "repeat"),
    ("groups", 0, "steps"),
    ("groups", 0, "steps", 0),
    ("groups", 0, "steps", 0, "cpu"),
    ("groups", 0, "steps", 1, "io"),
    ("extra",),
]


def _set(doc, path, value):
    doc = json.loads(json.dumps(doc))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


def _load(text: str) -> None:
    try:
        sc = parse_scenario(text, source="fuzz.toml")
    except ScenarioError as exc:
        one_line(str(exc), "fuzz.toml: ")
        return
    assert isinstance(sc, Scenario)
    for model in model_names():
        try:
            sc.check_run(model, sc.pool_size)
        except ScenarioError as exc:
            one_line(str(exc), "fuzz.toml: ")
    sc.tasks()


@examples(60)
@given(st.sampled_from(FIELDS), values)
def test_scenario_loader_any_value_in_any_field(path, value):
    _load(toml_doc(_set(VALID, path, value)))


@examples(40)
@given(st.dictionaries(st.text(max_size=10), values, max_size=5))
def test_scenario_loader_any_document(doc):
    _load(toml_doc(doc))


@examples(40)
@given(st.text(max_size=300))
def test_scenario_loader_any_text(text):
    _load(text)


def test_scenario_loader_deep_and_huge():
    for text in ("x = " + "[" * 5000 + "]" * 5000, "x = " + "{a = " * 3000 + "1" + "}" * 3000, "x = " + "9" * 10_000):
        _load(text)


# -- the wire reader and the trace builder together ----------------------------------------------

HEADER = {"type": "header", "t0_ns": 0, "model": "threads", "tasks": [[0, "g", 0], [1, "g", 1]], "cpu_count": 2}
WORKER = {"type": "worker", "id": 1, "kind": "thread", "name": "t", "pid": 1}
VALID_STREAM = (
    magic_line()
    + encode_json(HEADER)
    + encode_json(WORKER)
    + encode_events([0, 0, -1, STATE_CODES["queued"], 10, 0, 1, STATE_CODES["running"], 20, 1, 1, 2])
    + encode_events([30, 0, 1, TASK_DONE, 40, 1, 1, TASK_DONE])
    + encode_json({"type": "trailer", "makespan_ns": 50, "peak_threads": 2})
)


def _consume(data: bytes, pieces: list[int] | None = None) -> Trace | None:
    """Feed bytes to a decoder and a trace; the only error allowed is WireFormatError. Then use the trace."""
    decoder = FrameDecoder(source="fuzz")
    trace = Trace()
    cuts = sorted({c for c in (pieces or []) if 0 < c < len(data)})
    chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    try:
        for chunk in chunks:
            for frame in decoder.feed(chunk):
                if isinstance(frame, EventsFrame):
                    trace.add_events(frame.events)
                else:
                    trace.apply_record(frame.record)
    except WireFormatError as exc:
        one_line(str(exc))
        return None
    trace.close_open_segments()
    compute_metrics(trace)
    trace.worker_lanes()
    if trace.header:
        # What the trace took, a saved run holds and gives back.
        loaded = runs_from_bytes(runs_to_bytes([trace]), "fuzz.tlrun").traces[0]
        assert len(loaded) == len(trace)
    return trace


records = st.fixed_dictionaries(
    {"type": st.sampled_from(["header", "worker", "trailer", "error", "log", "other"])},
    optional={
        "tasks": values | st.just([[0, "g", 0]]),
        "t0_ns": values,
        "id": values | st.integers(0, 3),
        "pid": values,
        "kind": values,
        "name": values,
        "makespan_ns": values | st.integers(0, 10**6),
        "cpu_count": values,
        "pool_size": values,
        "switch_interval_ms": values,
        "gil_enabled": values,
        "interpreter": values,
        "groups": values,
        "message": values,
        "peak_rss_bytes": values,
        "voluntary_switches": values,
    },
)
events = st.lists(
    st.tuples(
        st.integers(-(2**63), 2**63 - 1) | st.integers(0, 10**6),
        st.integers(-3, 4),
        st.integers(-2, 4),
        st.integers(-5, 300) | st.sampled_from([0, 1, 2, 3, TASK_DONE]),
    ),
    max_size=12,
)


def _frame(item) -> bytes:
    if isinstance(item, dict):
        try:
            return encode_json(item)
        except (ValueError, RecursionError):
            return encode_json({"type": "log"})
    return encode_events([v for event in item for v in event])


@examples(80)
@given(st.lists(st.one_of(records.map(_frame), events.map(_frame)), max_size=8), st.lists(st.integers(0, 4000)))
def test_wire_and_trace_any_records_and_events(frames, cuts):
    _consume(magic_line() + encode_json(HEADER) + encode_json(WORKER) + b"".join(frames), cuts)
    _consume(magic_line() + b"".join(frames), cuts)


@examples(60)
@given(st.binary(max_size=400), st.booleans())
def test_wire_any_bytes(data, with_magic):
    _consume((magic_line() if with_magic else b"") + data)


def test_a_valid_stream_cut_at_every_byte():
    full = _consume(VALID_STREAM)
    assert full is not None and full.complete
    for cut in range(len(VALID_STREAM)):
        part = _consume(VALID_STREAM[:cut])
        assert part is None or len(part) <= len(full)
        assert _consume(VALID_STREAM, [cut]) is not None


@examples(20)
@given(st.integers(1, 256 * 1024 * 1024), st.binary(max_size=2000))
def test_wire_memory_stays_bounded_by_what_arrived(claimed, body):
    """A frame header may claim a quarter of a GiB: the decoder holds only the bytes that came."""
    data = magic_line() + b"E " + str(claimed).encode() + b"\n" + body
    tracemalloc.start()
    try:
        _consume(data, [len(data) // 2])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000 + 20 * len(data)


# -- the saved-run loader ------------------------------------------------------------------------------


def _good_saved() -> bytes:
    trace = _consume(VALID_STREAM)
    return runs_to_bytes([trace], "name = 'x'")


GOOD_SAVED = _good_saved()


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, blob in members.items():
            zf.writestr(name, blob)
    return out.getvalue()


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


HEADER_DOC = json.loads(_members(GOOD_SAVED)["header.json"])
HEADER_PATHS = [p for p in _paths(HEADER_DOC) if p]


@pytest.fixture
def sealed(monkeypatch, tmp_path):
    """Nothing may be unpickled, and nothing written, while a saved run loads."""

    def refuse(*args, **kwargs):
        raise AssertionError("the loader unpickled something")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.chdir(tmp_path)
    yield
    assert list(tmp_path.iterdir()) == []


def _open(data: bytes) -> None:
    try:
        saved = runs_from_bytes(data, "fuzz.tlrun")
    except SavedRunError as exc:
        one_line(str(exc), "fuzz.tlrun: ")
        return
    for trace in saved.traces:
        compute_metrics(trace)
        trace.worker_lanes()


def _rehashed(members: dict[str, bytes], doc) -> bytes:
    try:
        raw = json.dumps(doc).encode()
    except (ValueError, RecursionError):
        raw = b"{}"
    members = {**members, "header.json": raw, "header.sha256": hashlib.sha256(raw).hexdigest().encode()}
    return _zip(members)


@examples(80)
@given(st.sampled_from(HEADER_PATHS), values)
def test_saved_run_any_value_anywhere_in_the_header(sealed, path, value):
    doc = _set(HEADER_DOC, path, value)
    _open(_rehashed(_members(GOOD_SAVED), doc))


@examples(40)
@given(values)
def test_saved_run_any_header_document(sealed, doc):
    _open(_rehashed(_members(GOOD_SAVED), doc))


@examples(40)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=20).filter(lambda n: "\x00" not in n)
        | st.sampled_from(list(_members(GOOD_SAVED))),
        st.binary(max_size=200),
    ),
    st.booleans(),
)
def test_saved_run_any_members(sealed, extra, keep):
    members = {**_members(GOOD_SAVED), **extra} if keep else extra
    _open(_zip(members))


@examples(40)
@given(st.binary(max_size=600), st.integers(0, len(GOOD_SAVED)))
def test_saved_run_any_bytes_and_any_cut(sealed, data, cut):
    _open(data)
    _open(GOOD_SAVED[:cut])
    _open(GOOD_SAVED[:cut] + data)


def test_saved_run_arrays_replaced_by_anything(sealed):
    members = _members(GOOD_SAVED)
    rng = np.random.default_rng(14)
    for name in [m for m in members if m.endswith(".npy")]:
        for arr in (
            np.array([2**63 - 1]),
            np.array([-(2**63)]),
            rng.integers(-(2**63), 2**63 - 1, 5),
            np.zeros(0),
            np.array(["x"]),
        ):
            buf = io.BytesIO()
            np.save(buf, arr)
            doc = json.loads(members["header.json"])
            for run in doc["runs"]:
                for spec in run["arrays"].values():
                    if spec["member"] == name:
                        spec["sha256"] = hashlib.sha256(buf.getvalue()).hexdigest()
                        spec["shape"] = list(arr.shape)
            _open(_rehashed({**members, name: buf.getvalue()}, doc))
