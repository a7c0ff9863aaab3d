"""A saved sweep's part of ``header.json`` (format 2): which run is which point of the sweep.

``{"param": "pool-size", "param_label": "...", "values": [1, 2, 4, 8], "models": ["thread-pool"],
"repeat": 3, "planned": 12, "stopped": false, "points": [{"run": 0, "value": 1, "model": "thread-pool",
"repeat": 1}, ...]}``; every run of the file is one point. Checked like the rest of the header, trusting nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ...errors import SavedRunError

#: A sweep file may hold this many runs (a plain comparison holds far fewer).
MAX_SWEEP_RUNS = 1_000


def check_sweep(value: Any, n_runs: int, fail: Callable[[str], SavedRunError]) -> dict[str, Any] | None:
    """The ``sweep`` object of a header, checked; None if the file is not a sweep."""
    if value is None:
        return None
    where = "header.json: sweep"
    if not isinstance(value, dict):
        raise fail(f"{where} must be a JSON object")
    for key in ("param", "param_label"):
        if not isinstance(value.get(key, ""), str):
            raise fail(f"{where}.{key} must be text")
    values = value.get("values")
    if not isinstance(values, list) or not all(_number(v) for v in values):
        raise fail(f"{where}.values must be a list of numbers")
    models = value.get("models")
    if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
        raise fail(f"{where}.models must be a list of model names")
    for key in ("repeat", "planned"):
        v = value.get(key, 1)
        if not _whole(v) or v < 0:
            raise fail(f"{where}.{key} must be a whole number >= 0, got {v!r:.40}")
    if not isinstance(value.get("stopped", False), bool):
        raise fail(f"{where}.stopped must be true or false")
    points = value.get("points")
    if not isinstance(points, list) or len(points) != n_runs:
        raise fail(f"{where}.points must list one point per run ({n_runs})")
    for i, p in enumerate(points):
        if (
            not isinstance(p, dict)
            or p.get("run") != i
            or not _whole(p.get("run"))
            or not _number(p.get("value"))
            or not isinstance(p.get("model"), str)
            or not _whole(p.get("repeat"))
        ):
            raise fail(f"{where}.points[{i}] must be {{run: {i}, value: number, model: text, repeat: whole number}}")
    return value


def _whole(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
