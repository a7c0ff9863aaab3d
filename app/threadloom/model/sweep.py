"""A sweep: the same scenario run at each value of one parameter, under one or more models, with repeats.

Every point keeps its full :class:`Trace`, so a point of a curve opens as a
run. :meth:`Sweep.rows` is one flat row per run (what ``threadloom sweep
--csv`` writes): ``param, value, model, repeat`` and then every field of
:meth:`RunMetrics.to_json` flattened (``latency_ms.p95`` becomes
``latency_p95_ms``, ``groups.wait.ready_ms`` becomes ``group_wait_ready_ms``),
so a metric added to the run summary appears here without an edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._text import format_value
from .metrics import RunMetrics, compute_metrics
from .trace import Trace

#: The first columns of every row, before the metrics.
KEY_COLUMNS = ("param", "value", "model", "repeat")


@dataclass
class SweepPoint:
    """One run of the sweep: the parameter's value, the model, which repeat (from 1), its trace."""

    value: float
    model: str
    repeat: int
    trace: Trace
    #: Wall-clock seconds the run took, start of the probe to its end (None for loaded sweeps).
    wall_s: float | None = None
    _metrics: RunMetrics | None = field(default=None, repr=False, compare=False)

    @property
    def metrics(self) -> RunMetrics:
        if self._metrics is None:
            self._metrics = compute_metrics(self.trace)
        return self._metrics

    def label(self, param: str) -> str:
        return f"{self.model} · {param} = {format_value(self.value)} · run {self.repeat}"


@dataclass
class Sweep:
    """What a sweep measured (all of it, or the points measured before it was stopped)."""

    param: str
    param_label: str
    values: list[float]
    models: list[str]
    repeat: int
    scenario_name: str = ""
    scenario_text: str = ""
    points: list[SweepPoint] = field(default_factory=list)
    #: Runs the sweep planned; fewer points than this means it was stopped (or failed) early.
    planned: int = 0
    stopped: bool = False

    @property
    def complete(self) -> bool:
        return not self.stopped and len(self.points) >= self.planned

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "param": self.param,
                "value": p.value,
                "model": p.model,
                "repeat": p.repeat,
                **flatten_metrics(p.metrics.to_json()),
            }
            for p in self.points
        ]

    def columns(self) -> list[str]:
        """Every column of :meth:`rows`, the key columns first, then metrics in the order they first appear."""
        seen: dict[str, None] = dict.fromkeys(KEY_COLUMNS)
        for row in self.rows():
            seen.update(dict.fromkeys(row))
        return list(seen)

    def to_header(self) -> dict[str, Any]:
        """The sweep's part of a saved file's header; point ``i`` is run ``i`` of the file."""
        return {
            "param": self.param,
            "param_label": self.param_label,
            "values": list(self.values),
            "models": list(self.models),
            "repeat": self.repeat,
            "planned": self.planned,
            "stopped": self.stopped,
            "points": [
                {"run": i, "value": p.value, "model": p.model, "repeat": p.repeat} for i, p in enumerate(self.points)
            ],
        }

    @classmethod
    def from_header(
        cls, header: dict[str, Any], traces: list[Trace], scenario_name: str = "", scenario_text: str = ""
    ) -> Sweep:
        """Rebuild a sweep from :meth:`to_header`'s dict (already checked by the reader) and the file's traces."""
        points = [
            SweepPoint(p["value"], str(p["model"]), int(p["repeat"]), traces[int(p["run"])]) for p in header["points"]
        ]
        return cls(
            param=str(header["param"]),
            param_label=str(header.get("param_label") or header["param"]),
            values=list(header["values"]),
            models=[str(m) for m in header["models"]],
            repeat=int(header["repeat"]),
            scenario_name=scenario_name,
            scenario_text=scenario_text,
            points=points,
            planned=int(header.get("planned") or len(points)),
            stopped=bool(header.get("stopped", False)),
        )


def flatten_metrics(doc: dict[str, Any]) -> dict[str, Any]:
    """:meth:`RunMetrics.to_json` as one level of ``name: scalar`` (see the module docstring)."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if key == "groups" and isinstance(value, dict):
            for group, figures in value.items():
                if isinstance(figures, dict):
                    _flatten(f"group_{group}", figures, out)
        elif key == "processes" and isinstance(value, list):
            _flatten_list(key, value, out)
        else:
            _put(key, value, out)
    return out


def _put(key: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        if key.endswith("_ms"):
            base = key[: -len("_ms")]
            for sub, v in value.items():
                # latency_ms.p95 -> latency_p95_ms; a count inside keeps no unit.
                _put(f"{base}_{sub}" + ("" if sub == "count" else "_ms"), v, out)
        else:
            for sub, v in value.items():
                _put(f"{key}_{sub}", v, out)
    elif isinstance(value, list):
        _flatten_list(key, value, out)
    else:
        out[key] = value


def _flatten(prefix: str, doc: dict[str, Any], out: dict[str, Any]) -> None:
    for key, value in doc.items():
        _put(f"{prefix}_{key}", value, out)


def _flatten_list(key: str, items: list, out: dict[str, Any]) -> None:
    """A list of records: how many, and the sum and the largest of each numeric field (ids left out)."""
    out[f"{key}_count"] = len(items)
    fields: dict[str, list[float]] = {}
    for item in items:
        if isinstance(item, dict):
            for k, v in item.items():
                if k in ("pid", "id") or isinstance(v, bool) or not isinstance(v, (int, float)):
                    continue
                fields.setdefault(k, []).append(float(v))
    for k, vs in fields.items():
        out[f"{key}_{k}_sum"] = sum(vs)
        out[f"{key}_{k}_max"] = max(vs)
