"""Writing saved runs: traces (one run or a comparison) to the bytes of a ``.tlrun`` file.

Each run's arrays are stored with ``allow_pickle=False`` and their SHA-256 in
``header.json``, whose own SHA-256 goes in ``header.sha256`` (see
:mod:`threadloom.export.savefile` and ``docs/saved-run-format.md``).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ... import __version__
from ..._files import write_atomic
from ..._json import strict_json
from ...errors import ExportError
from ...model import Trace, compute_metrics
from ...viewmodel.text import RunSettings
from .layout import FORMAT_NAME, FORMAT_VERSION, HEADER, HEADER_HASH, SEGMENT_COLUMNS, TASK_COLUMNS


def save_runs(
    path: str | Path,
    traces: list[Trace],
    scenario_text: str = "",
    labels: list[str] | None = None,
    *,
    scenario_name: str | None = None,
) -> None:
    """Write ``traces`` (one run or a comparison) to ``path`` atomically."""
    write_atomic(Path(path), runs_to_bytes(traces, scenario_text, labels, scenario_name=scenario_name))


def runs_to_bytes(
    traces: list[Trace],
    scenario_text: str = "",
    labels: list[str] | None = None,
    *,
    scenario_name: str | None = None,
    created: datetime | None = None,
    sweep: dict[str, Any] | None = None,
) -> bytes:
    """The saved-run file for ``traces`` as bytes (see the module docstring).

    :class:`ExportError` if there is no trace, or not one label per trace.
    """
    if not traces:
        raise ExportError("a saved run needs at least one run; there is nothing to save")
    labels = list(labels) if labels is not None else [t.model for t in traces]
    if len(labels) != len(traces):
        raise ExportError(f"a saved run needs one label per run: got {len(traces)} runs but {len(labels)} labels")
    when = (created or datetime.now(UTC)).astimezone(UTC)
    buf = io.BytesIO()
    runs = []
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for i, (trace, label) in enumerate(zip(traces, labels, strict=True)):
            columns = _finished_columns(trace)
            arrays = {}
            for name, dtype in {**SEGMENT_COLUMNS, **TASK_COLUMNS}.items():
                source = columns[name] if name in columns else getattr(trace, name)
                arr = np.ascontiguousarray(source, dtype=np.dtype(dtype))
                member = f"runs/{i}/{name}.npy"
                npy = io.BytesIO()
                np.save(npy, arr, allow_pickle=False)
                data = npy.getvalue()
                zf.writestr(member, data)
                arrays[name] = {
                    "member": member,
                    "dtype": dtype,
                    "shape": list(arr.shape),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            header = {k: v for k, v in trace.header.items() if k != "type"}
            runs.append(
                {
                    "label": str(label),
                    "settings": _settings(trace),
                    "trace_header": header,
                    "trailer": None
                    if trace.trailer is None
                    else {k: v for k, v in trace.trailer.items() if k != "type"},
                    "workers": trace.worker_records(),
                    "metrics": compute_metrics(trace).to_json(),
                    "arrays": arrays,
                }
            )
        name = scenario_name if scenario_name is not None else str(traces[0].header.get("scenario", ""))
        document = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "threadloom_version": __version__,
            "created": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "scenario": {"name": name, "text": scenario_text},
            "runs": runs,
        }
        if sweep is not None:  # a sweep's points, one per run (see savefile/sweep.py)
            document["sweep"] = sweep
        header_bytes = json.dumps(strict_json(document), indent=1, allow_nan=False).encode("utf-8")
        zf.writestr(HEADER, header_bytes)
        zf.writestr(HEADER_HASH, hashlib.sha256(header_bytes).hexdigest() + "\n")
    return buf.getvalue()


def _finished_columns(trace: Trace) -> dict[str, np.ndarray]:
    """Closed segments, plus a live run's open ones cut at its last event, so the file draws whole."""
    seg = trace.segments()
    cols = seg._asdict()
    if not trace.complete:
        extra = trace.open_segments()
        if len(extra):
            cols = {k: np.concatenate([cols[k], getattr(extra, k)]) for k in cols}
    return cols


def _settings(trace: Trace) -> dict[str, Any]:
    """The knobs a reader wants first (the interpreter as the probe described it); ``trace_header`` has them all."""
    s = RunSettings.of(trace)
    return {
        "model": s.model,
        "interpreter": trace.header.get("interpreter"),
        "gil_enabled": s.gil_enabled,
        "switch_interval_ms": s.switch_interval_ms,
        "pool_size": s.pool_size,
        "cpu_count": s.cpu_count,
    }


__all__ = ["runs_to_bytes", "save_runs"]
