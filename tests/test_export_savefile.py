"""Saved runs reopen identical, and a damaged, tampered or crafted file is refused without running anything."""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import zipfile

import numpy as np
import pytest

from threadloom.errors import SavedRunError
from threadloom.export.savefile import FORMAT_VERSION, load_runs, runs_from_bytes, runs_to_bytes, save_runs
from threadloom.model import compute_metrics

from .conftest import MIXED_TEXT as TEXT
from .conftest import scenario


@pytest.fixture(scope="module")
def trace(mixed_run):
    return mixed_run[0]


@pytest.fixture(scope="module")
def saved_bytes(trace):
    return runs_to_bytes([trace, trace], TEXT, ["pool of 2", "again"])


def _columns(trace):
    return {**trace.segments()._asdict(), "submitted": trace.submitted, "finished": trace.finished}


def test_a_saved_comparison_reopens_with_identical_arrays_and_metrics(trace, tmp_path):
    path = tmp_path / "run.tlrun"
    save_runs(path, [trace, trace], TEXT, ["pool of 2", "again"])
    saved = load_runs(path)
    assert saved.labels == ["pool of 2", "again"]
    assert saved.scenario_text == TEXT
    assert scenario(saved.scenario_text).name == "export test"
    assert saved.format_version == FORMAT_VERSION and saved.created.endswith("Z")
    assert len(saved.traces) == 2
    for loaded in saved.traces:
        assert loaded.complete
        for name, original in _columns(trace).items():
            got = _columns(loaded)[name]
            assert got.dtype == original.dtype, name
            np.testing.assert_array_equal(got, original, err_msg=name)
        assert loaded.header == trace.header
        assert loaded.trailer == trace.trailer
        assert loaded.workers == trace.workers
        assert loaded.tasks == trace.tasks
        assert compute_metrics(loaded).to_json() == compute_metrics(trace).to_json()
        np.testing.assert_array_equal(loaded.worker_lanes().start, trace.worker_lanes().start)
    # The metrics stored for other tools are the ones the app computes.
    assert saved.metrics[0] == json.loads(json.dumps(compute_metrics(trace).to_json()))


def test_the_header_is_plain_documented_json(saved_bytes):
    with zipfile.ZipFile(io.BytesIO(saved_bytes)) as zf:
        header = json.loads(zf.read("header.json"))
        names = set(zf.namelist())
    assert header["format"] == "threadloom-run"
    assert header["scenario"]["name"] == "export test"
    run0 = header["runs"][0]
    assert run0["settings"]["model"] == "thread-pool" and run0["settings"]["pool_size"] == 2
    assert {"trace_header", "trailer", "workers", "metrics", "arrays"} <= run0.keys()
    for spec in run0["arrays"].values():
        assert spec["member"] in names
        with zipfile.ZipFile(io.BytesIO(saved_bytes)) as zf:
            assert hashlib.sha256(zf.read(spec["member"])).hexdigest() == spec["sha256"]


# -- crafting damaged files -----------------------------------------------------


def _rewrite(data: bytes, edit) -> bytes:
    """Copy the archive, letting ``edit(members)`` change the dict of name -> bytes."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    edit(members)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, blob in members.items():
            zf.writestr(name, blob)
    return out.getvalue()


def _edit_header(members, change, rehash: bool = True) -> None:
    header = json.loads(members["header.json"])
    change(header)
    members["header.json"] = json.dumps(header).encode()
    if rehash:
        members["header.sha256"] = hashlib.sha256(members["header.json"]).hexdigest().encode()


def _replace_array(members, name: str, arr: np.ndarray, dtype: str | None = None, allow_pickle: bool = False) -> None:
    """Swap one array and fix every checksum, as a deliberate forger would."""
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=allow_pickle)
    member = f"runs/0/{name}.npy"
    members[member] = buf.getvalue()

    def change(header):
        spec = header["runs"][0]["arrays"][name]
        spec["sha256"] = hashlib.sha256(members[member]).hexdigest()
        spec["shape"] = list(arr.shape)
        if dtype:
            spec["dtype"] = dtype

    _edit_header(members, change)


def _refused(data: bytes, *needles: str) -> str:
    with pytest.raises(SavedRunError) as info:
        runs_from_bytes(data, source="x.tlrun")
    message = str(info.value)
    assert "\n" not in message and message.startswith("x.tlrun: ")
    for needle in needles:
        assert needle in message, message
    return message


def test_truncated_file_is_refused(saved_bytes):
    _refused(saved_bytes[: len(saved_bytes) // 2], "truncated")
    _refused(saved_bytes[:-30], "truncated")


def test_a_file_that_is_not_a_saved_run_is_refused(tmp_path):
    _refused(b"name = 'a scenario, not a run'\n", "not a Threadloom saved run")
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("hello.txt", "hi")
    _refused(other.getvalue(), "header.json is missing")
    with pytest.raises(SavedRunError, match="no such file"):
        load_runs(tmp_path / "nope.tlrun")


def test_an_edited_array_is_caught_by_its_checksum(saved_bytes, trace):
    def edit(members):
        buf = io.BytesIO()
        start = trace.segments().start.copy()
        start[3] += 1_000_000
        np.save(buf, start)
        members["runs/0/start.npy"] = buf.getvalue()

    _refused(_rewrite(saved_bytes, edit), "runs/0/start.npy", "SHA-256", "modified")


def test_an_edited_header_is_caught_by_its_checksum(saved_bytes):
    def edit(members):
        _edit_header(members, lambda h: h["runs"][0].update(label="faked"), rehash=False)

    _refused(_rewrite(saved_bytes, edit), "header.json does not match its checksum")


def test_a_newer_format_asks_for_an_update(saved_bytes):
    def edit(members):
        _edit_header(members, lambda h: h.update(format_version=FORMAT_VERSION + 1, threadloom_version="9.0"))

    _refused(_rewrite(saved_bytes, edit), "Threadloom 9.0", f"format {FORMAT_VERSION + 1}", "update Threadloom")


@pytest.mark.parametrize(
    ("name", "make", "dtype", "needles"),
    [
        ("task", lambda t: t.segments().task.astype(np.int64), None, ["holds <i8", "expected <i4"]),
        ("task", lambda t: t.segments().task.astype(np.int64), "<i8", ["dtype must be '<i4'"]),
        ("task", lambda t: t.segments().task[:-1], None, ["every segment column"]),
        ("task", lambda t: np.full(len(t), 999, np.int32), None, ["task outside 0..4"]),
        ("state", lambda t: np.full(len(t), 42, np.uint8), None, ["state holds a code outside"]),
        ("worker", lambda t: np.full(len(t), 77, np.int64), None, ["worker that runs[0].workers does not list"]),
        ("end", lambda t: t.segments().start - 1, None, ["ends before it starts"]),
        ("submitted", lambda t: t.submitted[:2], None, ["expected (5,), one per task"]),
        ("start", lambda t: t.segments().start.reshape(1, -1), None, ["has shape"]),
    ],
)
def test_crafted_arrays_with_valid_checksums_are_refused(saved_bytes, trace, name, make, dtype, needles):
    arr = make(trace)
    _refused(_rewrite(saved_bytes, lambda m: _replace_array(m, name, arr, dtype)), *needles)


class _Bomb:
    """Unpickling this would create a file: proof that loading never unpickles."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_pickle_payload_is_never_run(saved_bytes, tmp_path):
    target = tmp_path / "pwned"
    payload = np.array([_Bomb(str(target))] * 3, dtype=object)
    data = _rewrite(saved_bytes, lambda m: _replace_array(m, "task", payload, "<i4", allow_pickle=True))
    _refused(data, "runs/0/task.npy", "holds |O")
    assert not target.exists()
    # The same with the header also lying that the dtype is pickled objects.
    data = _rewrite(saved_bytes, lambda m: _replace_array(m, "task", payload, "|O", allow_pickle=True))
    _refused(data, "dtype must be '<i4'")
    # And a raw pickle where the JSON header should be.
    data = _rewrite(saved_bytes, lambda m: m.update({"header.json": pickle.dumps(_Bomb(str(target)))}))
    _refused(data, "header.json is not valid JSON")
    assert not target.exists()


def test_a_bad_header_field_is_named(saved_bytes):
    def edit(members):
        _edit_header(members, lambda h: h["runs"][0]["trace_header"].update(cpu_count="lots"))

    _refused(_rewrite(saved_bytes, edit), "runs[0].trace_header.cpu_count", "'lots'")
