"""What a header, worker, trailer, error or clock record must hold before a :class:`~.trace.Trace` takes it.

One rule for both places data enters: the wire (a probe under any interpreter,
or something pretending to be one) and saved runs. So whatever the trace
accepts, a saved run of it loads again, and every number fits the int64 and
float64 arithmetic the metrics and views do.
"""

from __future__ import annotations

import math
from typing import Any

from .._text import shown

#: Times, ids and counters stay within this, so a difference or a sum of two never overflows int64.
MAX_INT = 2**62
MAX_TASKS = 1_000_000
MAX_CPUS = 1 << 20


def record_problem(record: dict[str, Any]) -> str | None:
    """What is wrong with a record, as "<field> must be ..., got ...", or None if the trace can take it.

    Records of a type this version does not know (``log``, a newer probe's) pass: they are kept as they are.
    """
    kind = record.get("type")
    check = _CHECKS.get(kind) if isinstance(kind, str) else None
    try:
        return check(record) if check is not None else None
    except RecursionError:
        return "the record is nested too deeply"


def _whole(record: dict, key: str, low: int, high: int, *, required: bool = False, null: bool = False) -> str | None:
    if key not in record:
        return f"{key} is missing" if required else None
    value = record[key]
    if value is None and null:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return f"{key} must be a whole number from {low:,} to {high:,}, got {shown(value, 60)}"
    return None


def _text(record: dict, key: str) -> str | None:
    if key in record and not isinstance(record[key], str):
        return f"{key} must be text, got {shown(record[key], 60)}"
    return None


def _header(record: dict) -> str | None:
    tasks = record.get("tasks")
    if not isinstance(tasks, list) or len(tasks) > MAX_TASKS:
        return f"tasks must be a list of at most {MAX_TASKS:,} [id, group, index] entries, got {shown(tasks, 60)}"
    for i, task in enumerate(tasks):
        if (
            not isinstance(task, list)
            or len(task) != 3
            or isinstance(task[0], bool)
            or task[0] != i
            or not isinstance(task[1], str)
            or isinstance(task[2], bool)
            or not isinstance(task[2], int)
            or not 0 <= task[2] <= MAX_INT
        ):
            return f"tasks[{i}] must be [{i}, group name, index], got {shown(task, 60)}"
    problem = (
        _whole(record, "t0_ns", -MAX_INT, MAX_INT)
        or _whole(record, "cpu_count", 1, MAX_CPUS)
        or _whole(record, "pool_size", 1, MAX_CPUS, null=True)
        or _whole(record, "gap_threshold_ns", 0, MAX_INT)
        or _whole(record, "pid", 0, MAX_INT)
        or _text(record, "model")
        or _text(record, "scenario")
        or _text(record, "lesson")
    )
    if problem:
        return problem
    for key, low in (("switch_interval_ms", 0.0), ("peer_delay_ms", -1.0)):
        value = record.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low < value <= 1e9:
            return f"{key} must be a number greater than {low:g}, got {shown(value, 60)}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"{key} must be a finite number, got {shown(value, 60)}"
    if not isinstance(record.get("gil_enabled", True), bool):
        return f"gil_enabled must be true or false, got {shown(record['gil_enabled'], 60)}"
    interpreter = record.get("interpreter", {})
    if not isinstance(interpreter, dict):
        return f"interpreter must be an object, got {shown(interpreter, 60)}"
    for key in ("path", "version", "implementation"):
        problem = _text(interpreter, key)
        if problem:
            return f"interpreter.{problem}"
    groups = record.get("groups", {})
    if not isinstance(groups, dict):
        return f"groups must be an object of group names to step kinds, got {shown(groups, 60)}"
    for name, kinds in groups.items():
        if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
            return f"groups.{shown(name, 60)} must be a list of step kinds, got {shown(kinds, 60)}"
    return None


def _worker(record: dict) -> str | None:
    return (
        _whole(record, "id", 0, MAX_INT, required=True)
        or _whole(record, "pid", 0, MAX_INT)
        or _text(record, "kind")
        or _text(record, "name")
    )


def _trailer(record: dict) -> str | None:
    problem = _whole(record, "makespan_ns", 0, MAX_INT, required=True)
    for key in ("peak_rss_bytes", "peak_threads", "voluntary_switches", "involuntary_switches"):
        problem = problem or _whole(record, key, 0, MAX_INT, null=True)
    return problem


def _error(record: dict) -> str | None:
    return _text(record, "message") or _text(record, "traceback")


def _clock(record: dict) -> str | None:
    return _whole(record, "t_ns", -MAX_INT, MAX_INT, required=True)


_CHECKS = {"header": _header, "worker": _worker, "trailer": _trailer, "error": _error, "clock": _clock}

__all__ = ["MAX_INT", "record_problem"]
