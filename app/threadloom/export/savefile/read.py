"""Reading saved runs: a ``.tlrun`` file's bytes back to traces, trusting nothing in it.

Loading never runs code: JSON is parsed by :mod:`json`, arrays by
``np.load(..., allow_pickle=False)`` after their dtype and shape were read
from the ``.npy`` header and checked against what the file declares. Every
index (task, worker, state) is range-checked before a :class:`Trace` is
built, so a crafted file cannot make the views index out of bounds. Every
refusal is a :class:`SavedRunError` of one line that starts with the file.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from numpy.lib import format as npy_format

from ... import __version__
from ..._text import shown
from ...errors import SavedRunError
from ...model import STATES, Trace
from ...model.records import MAX_INT, record_problem
from .layout import FORMAT_NAME, FORMAT_VERSION, HEADER, HEADER_HASH, SEGMENT_COLUMNS, SUFFIX, TASK_COLUMNS
from .sweep import MAX_SWEEP_RUNS, check_sweep

#: Limits that keep a crafted file from exhausting memory before it is refused.
MAX_HEADER_BYTES = 64 << 20
MAX_RUNS = 64
MAX_SEGMENTS = 200_000_000
MAX_TASKS = 1_000_000
MAX_WORKERS = 100_000
MAX_TOTAL_BYTES = 16 << 30
#: Members may inflate to this many times their stored size (real runs: well under 20) once
#: the archive holds more than :data:`EXPANSION_FLOOR` bytes: a small file cannot claim gigabytes.
MAX_EXPANSION = 100
EXPANSION_FLOOR = 64 << 20


@dataclass
class SavedRuns:
    """What a saved-run file holds, ready for the views.

    Attributes
    ----------
    traces:
        One finished (or stopped, ``trace.complete`` False) :class:`Trace` per run.
    labels:
        One display label per run (by default the model's name).
    scenario_text:
        The scenario's TOML as it was run ("" if it was not known).
    scenario_name:
        The scenario's name.
    metrics:
        The metrics JSON stored with each run, as written (for tools that read the
        file without Threadloom); the app recomputes them from the trace.
    created:
        When the file was written, ISO 8601 UTC.
    threadloom_version:
        The Threadloom that wrote it.
    path:
        Where it was loaded from, if anywhere.
    """

    traces: list[Trace]
    labels: list[str]
    scenario_text: str = ""
    scenario_name: str = ""
    metrics: list[dict[str, Any]] = field(default_factory=list)
    created: str = ""
    threadloom_version: str = ""
    format_version: int = FORMAT_VERSION
    path: Path | None = None
    #: A sweep's points (format 2): which run is which value, model and repeat; None for plain runs.
    sweep: dict[str, Any] | None = None


def load_runs(path: str | Path) -> SavedRuns:
    """Read a saved-run file; raise :class:`SavedRunError` with one line if it cannot be trusted."""
    path = Path(path)
    try:
        # Read through the zip directory, not all at once: only the declared members are loaded.
        with path.open("rb") as fh:
            saved = _parse(fh, str(path))
    except FileNotFoundError:
        raise SavedRunError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SavedRunError(f"{path}: is a folder, not a saved run") from None
    except PermissionError as exc:
        raise SavedRunError(f"{path}: cannot read it ({exc.strerror})") from None
    saved.path = path
    return saved


def runs_from_bytes(data: bytes, source: str = "<saved run>") -> SavedRuns:
    """Parse a saved-run file's bytes; ``source`` prefixes every error message."""
    return _parse(io.BytesIO(data), source)


def _parse(fh: BinaryIO, source: str) -> SavedRuns:
    try:
        return _Reader(fh, source).read()
    except SavedRunError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise SavedRunError(f"{source}: the file is damaged or truncated ({exc})") from None
    except RecursionError:
        raise SavedRunError(f"{source}: not a valid Threadloom saved run (its data is nested too deeply)") from None
    except (ValueError, KeyError, TypeError, OverflowError, OSError, MemoryError) as exc:
        raise SavedRunError(
            f"{source}: not a valid Threadloom saved run ({type(exc).__name__}: {shown(str(exc), 200)[1:-1]})"
        ) from None


class _Reader:
    def __init__(self, fh: BinaryIO, source: str) -> None:
        self.fh = fh
        self.source = source

    def fail(self, message: str) -> SavedRunError:
        return SavedRunError(f"{self.source}: {message}")

    def read(self) -> SavedRuns:
        magic = self.fh.read(2)
        self.fh.seek(0)
        if not zipfile.is_zipfile(self.fh):
            if magic == b"PK":
                raise self.fail("the file is truncated or damaged (its zip directory is missing)")
            raise self.fail(f"not a Threadloom saved run (expected a {SUFFIX} file, a zip archive)")
        self.fh.seek(0)
        with zipfile.ZipFile(self.fh) as zf:
            self.zf = zf
            names = zf.namelist()
            if len(names) != len(set(names)):
                raise self.fail("the archive lists a member twice; refusing an ambiguous file")
            self.infos = {info.filename: info for info in zf.infolist()}
            if HEADER not in self.infos:
                raise self.fail(f"not a Threadloom saved run ({HEADER} is missing)")
            claimed = sum(i.file_size for i in self.infos.values())
            if claimed > MAX_TOTAL_BYTES:
                raise self.fail("the archive claims more than 16 GiB of data; refusing it")
            stored = sum(i.compress_size for i in self.infos.values())
            if claimed > EXPANSION_FLOOR and claimed > MAX_EXPANSION * max(stored, 1):
                raise self.fail(
                    f"the archive's {stored:,} bytes would expand to {claimed:,} ({claimed // max(stored, 1):,} "
                    f"times); a saved run expands at most {MAX_EXPANSION} times, refusing it"
                )
            doc = self.header()
            return self.document(doc)

    def member(self, name: str, limit: int) -> bytes:
        info = self.infos.get(name)
        if info is None:
            raise self.fail(f"member {name} is missing (the file is incomplete)")
        if info.file_size > limit:
            raise self.fail(f"member {name} is larger than allowed ({info.file_size} bytes)")
        return self.zf.read(info)

    def header(self) -> dict[str, Any]:
        raw = self.member(HEADER, MAX_HEADER_BYTES)
        try:
            doc = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
            raise self.fail(f"{HEADER} is not valid JSON ({shown(str(exc), 200)[1:-1]})") from None
        except RecursionError:
            raise self.fail(f"{HEADER} is not valid JSON (nested too deeply)") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
            raise self.fail(f"not a Threadloom saved run ({HEADER} does not say format {FORMAT_NAME!r})")
        version = doc.get("format_version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise self.fail(f"{HEADER}: format_version must be a whole number >= 1, got {shown(version, 40)}")
        if version > FORMAT_VERSION:
            writer = doc.get("threadloom_version", "a newer version")
            raise self.fail(
                f"written by Threadloom {writer} in saved-run format {version}; this Threadloom ({__version__}) "
                f"reads format {FORMAT_VERSION} and older: update Threadloom to open it"
            )
        # Checked after the version, so a newer format's different hashing is reported as "newer", not "tampered".
        expected = self.member(HEADER_HASH, 1024).decode("ascii", "replace").strip()
        if hashlib.sha256(raw).hexdigest() != expected:
            raise self.fail(f"{HEADER} does not match its checksum: the file was modified after it was saved")
        return doc

    def document(self, doc: dict[str, Any]) -> SavedRuns:
        scenario = _obj(doc.get("scenario", {}), "scenario", self)
        scenario_name = _str(scenario.get("name", ""), "scenario.name", self)
        scenario_text = _str(scenario.get("text", ""), "scenario.text", self)
        runs = doc.get("runs")
        most = MAX_SWEEP_RUNS if doc.get("sweep") is not None else MAX_RUNS
        if not isinstance(runs, list) or not 1 <= len(runs) <= most:
            raise self.fail(f"{HEADER}: runs must be a list of 1 to {most} runs")
        traces, labels, metrics = [], [], []
        for i, run in enumerate(runs):
            trace, label, stored_metrics = self.run(_obj(run, f"runs[{i}]", self), f"runs[{i}]")
            traces.append(trace)
            labels.append(label)
            metrics.append(stored_metrics)
        return SavedRuns(
            traces=traces,
            labels=labels,
            scenario_text=scenario_text,
            scenario_name=scenario_name,
            metrics=metrics,
            created=_str(doc.get("created", ""), "created", self),
            threadloom_version=_str(doc.get("threadloom_version", ""), "threadloom_version", self),
            format_version=int(doc["format_version"]),
            sweep=check_sweep(doc.get("sweep"), len(traces), self.fail),
        )

    def run(self, run: dict[str, Any], where: str) -> tuple[Trace, str, dict[str, Any]]:
        label = _str(run.get("label", ""), f"{where}.label", self)
        header = self.trace_header(_obj(run.get("trace_header"), f"{where}.trace_header", self), where)
        trailer = run.get("trailer")
        if trailer is not None:
            self.record(_obj(trailer, f"{where}.trailer", self), "trailer", f"{where}.trailer")
        workers = self.workers(run.get("workers"), where)
        n_tasks = len(header["tasks"])
        arrays = _obj(run.get("arrays"), f"{where}.arrays", self)
        cols = {name: self.array(arrays, name, dtype, where) for name, dtype in SEGMENT_COLUMNS.items()}
        n = len(cols["start"])
        for name, arr in cols.items():
            if arr.shape != (n,):
                raise self.fail(f"{where}.arrays.{name} has shape {arr.shape}; every segment column must be ({n},)")
        per_task = {name: self.array(arrays, name, dtype, where) for name, dtype in TASK_COLUMNS.items()}
        for name, arr in per_task.items():
            if arr.shape != (n_tasks,):
                raise self.fail(f"{where}.arrays.{name} has shape {arr.shape}; expected ({n_tasks},), one per task")
            if len(arr) and arr.min() < -1:
                raise self.fail(f"{where}.arrays.{name} holds a negative time other than -1 (unknown)")
        if n:
            if cols["task"].min() < 0 or cols["task"].max() >= n_tasks:
                raise self.fail(f"{where}.arrays.task refers to a task outside 0..{n_tasks - 1}")
            if cols["state"].max() >= len(STATES):
                raise self.fail(f"{where}.arrays.state holds a code outside 0..{len(STATES) - 1} ({', '.join(STATES)})")
            known = np.array(sorted({*workers_ids(workers), -1}), dtype=np.int64)
            if not np.isin(cols["worker"], known).all():
                raise self.fail(f"{where}.arrays.worker refers to a worker that {where}.workers does not list")
            if (cols["end"] < cols["start"]).any():
                raise self.fail(f"{where}.arrays: a segment ends before it starts")
            if cols["start"].min() < -MAX_INT or cols["end"].max() > MAX_INT:
                raise self.fail(f"{where}.arrays: a segment starts or ends more than a century from the run's start")
        trace = Trace.from_arrays(header, trailer, workers, cols, per_task["submitted"], per_task["finished"])
        stored = run.get("metrics", {})
        return trace, label or trace.model, stored if isinstance(stored, dict) else {}

    def trace_header(self, header: dict[str, Any], where: str) -> dict[str, Any]:
        """A run's probe header, held to the rule the trace holds a probe's to (:mod:`...model.records`)."""
        self.record(header, "header", f"{where}.trace_header")
        return header

    def record(self, record: dict[str, Any], kind: str, where: str) -> None:
        """The same rule a trace applies to what a probe sends: what loads here, a probe could have sent."""
        problem = record_problem({**record, "type": kind})
        if problem:
            raise self.fail(f"{HEADER}: {where}.{problem}")

    def workers(self, workers: Any, where: str) -> list[dict[str, Any]]:
        if not isinstance(workers, list) or len(workers) > MAX_WORKERS:
            raise self.fail(f"{where}.workers must be a list of at most {MAX_WORKERS} workers")
        seen = set()
        for i, w in enumerate(workers):
            w = _obj(w, f"{where}.workers[{i}]", self)
            self.record(w, "worker", f"{where}.workers[{i}]")
            if w["id"] in seen:
                raise self.fail(f"{where}.workers[{i}]: id {w['id']} is repeated")
            seen.add(w["id"])
        return workers

    def array(self, arrays: dict[str, Any], name: str, dtype: str, where: str) -> np.ndarray:
        w = f"{where}.arrays.{name}"
        spec = _obj(arrays.get(name), w, self)
        member = spec.get("member")
        if not isinstance(member, str):
            raise self.fail(f"{w}.member must name a file in the archive")
        if spec.get("dtype") != dtype:
            raise self.fail(f"{w}.dtype must be {dtype!r}, got {shown(spec.get('dtype'), 40)}")
        limit = MAX_SEGMENTS if name in SEGMENT_COLUMNS else MAX_TASKS
        raw = self.member(member, 128 + limit * np.dtype(dtype).itemsize)
        if hashlib.sha256(raw).hexdigest() != spec.get("sha256"):
            raise self.fail(f"{member} does not match its SHA-256 in {HEADER}: the file was modified or damaged")
        stream = io.BytesIO(raw)
        # Read the .npy header first: np.load would allocate whatever shape it claims before reading.
        try:
            major, minor = npy_format.read_magic(stream)
            if (major, minor) != (1, 0):
                raise ValueError(f"npy version {major}.{minor}")
            shape, fortran, file_dtype = npy_format.read_array_header_1_0(stream)
        except ValueError as exc:
            raise self.fail(f"{member} is not a plain numpy array file ({exc})") from None
        if file_dtype.str != dtype or file_dtype.hasobject:
            raise self.fail(f"{member} holds {file_dtype.str} values; expected {dtype}")
        if fortran or len(shape) != 1 or list(shape) != spec.get("shape"):
            raise self.fail(f"{member} has shape {shape}; {HEADER} declares {spec.get('shape')}")
        if len(raw) - stream.tell() != shape[0] * file_dtype.itemsize:
            raise self.fail(f"{member} is truncated or padded: its size does not match its shape {shape}")
        stream.seek(0)
        arr = np.load(stream, allow_pickle=False)
        if arr.dtype.str != dtype or arr.shape != tuple(shape):
            raise self.fail(f"{member} did not load as {dtype} {tuple(shape)}")
        return arr


def workers_ids(workers: list[dict[str, Any]]) -> set[int]:
    return {int(w["id"]) for w in workers}


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed in a saved run")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _obj(value: Any, where: str, reader: _Reader) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise reader.fail(f"{HEADER}: {where} must be a JSON object, got {type(value).__name__}")
    return value


def _str(value: Any, where: str, reader: _Reader) -> str:
    if not isinstance(value, str):
        raise reader.fail(f"{HEADER}: {where} must be text, got {shown(value, 40)}")
    return value


__all__ = ["SavedRuns", "load_runs", "runs_from_bytes"]
