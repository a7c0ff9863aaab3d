"""A sweep's files: CSV (one row per run, every metric flattened), JSON (each run's summary) and ``.tlrun``."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from .._json import strict_json
from ..errors import ExportError
from ..model.sweep import Sweep


def sweep_csv(sweep: Sweep) -> str:
    """Columns ``param, value, model, repeat`` then every flattened metric; empty cells where a run has none."""
    if not sweep.points:
        raise ExportError("the sweep measured no point; there is nothing to write")
    columns = sweep.columns()
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", restval="")
    writer.writeheader()
    for row in sweep.rows():
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return buf.getvalue()


def sweep_json(sweep: Sweep) -> str:
    doc = {
        "param": sweep.param,
        "param_label": sweep.param_label,
        "values": sweep.values,
        "models": sweep.models,
        "repeat": sweep.repeat,
        "scenario": sweep.scenario_name,
        "complete": sweep.complete,
        "planned": sweep.planned,
        "runs": [
            {
                "param": sweep.param,
                "value": p.value,
                "model": p.model,
                "repeat": p.repeat,
                "metrics": p.metrics.to_json(),
            }
            for p in sweep.points
        ],
    }
    return json.dumps(strict_json(doc), indent=2)


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, float):
        return repr(round(value, 6))
    return value


def sweep_to_bytes(sweep: Sweep) -> bytes:
    """The sweep as a ``.tlrun`` file (format 2): every point a run with its full trace, and the sweep's layout."""
    from .savefile import runs_to_bytes

    if not sweep.points:
        raise ExportError("the sweep measured no point; there is nothing to save")
    traces = [p.trace for p in sweep.points]
    labels = [p.label(sweep.param) for p in sweep.points]
    return runs_to_bytes(
        traces, sweep.scenario_text, labels, scenario_name=sweep.scenario_name, sweep=sweep.to_header()
    )


def sweep_from_saved(saved) -> Sweep | None:
    """The sweep a loaded :class:`~threadloom.export.savefile.SavedRuns` holds, or None for plain runs."""
    if saved.sweep is None:
        return None
    return Sweep.from_header(saved.sweep, saved.traces, saved.scenario_name, saved.scenario_text)
