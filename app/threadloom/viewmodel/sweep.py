"""What the sweep page shows, derived and worded: its curves, its axes and its progress line.

Qt-free: the page (``ui/sweep_page.py``) and the CLI's ``--plot`` draw these.
A curve is one model: at each value of the parameter, the median of the
chosen metric over the repeats, and a band from their min to their max.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..model.sweep import KEY_COLUMNS, Sweep
from .text import figure

#: Metrics offered first, in this order; the rest follow as the rows list them.
PREFERRED = (
    "makespan_ms",
    "latency_p95_ms",
    "latency_p50_ms",
    "latency_p99_ms",
    "ready_ms",
    "queued_ms",
    "transfer_ms",
    "cpu_utilization",
    "peak_rss_mb",
    "baseline_rss_mb",
    "context_switches",
    "peak_threads",
    "median_running_slice_ms",
)
#: Columns that are settings or bookkeeping, not outcomes.
_NOT_METRICS = {"cpu_count", "switch_interval_ms", "pool_size", "complete", "gil_enabled"}
_UNITS = {"_ms": "ms", "_mb": "MB", "_kib": "KiB", "_us": "µs"}


@dataclass(frozen=True)
class Curve:
    """One model's curve: x values, median, min and max of the metric, and the sweep points at each x."""

    model: str
    x: np.ndarray
    median: np.ndarray
    low: np.ndarray
    high: np.ndarray
    #: Indexes into ``sweep.points`` of the runs at each x.
    runs: tuple[tuple[int, ...], ...]

    def representative(self, i: int, values: list[float | None]) -> int:
        """The run at x index ``i`` whose value is nearest the median (the one a click opens)."""
        runs = self.runs[i]
        target = self.median[i]
        scored = [(abs((values[r] if values[r] is not None else math.inf) - target), r) for r in runs]
        return min(scored)[1]


def metric_choices(sweep: Sweep) -> list[str]:
    """Numeric metric columns with at least one value, the usual questions first."""
    rows = sweep.rows()
    numeric: dict[str, None] = {}
    for row in rows:
        for key, value in row.items():
            if key in KEY_COLUMNS or key in _NOT_METRICS or key.startswith("interpreter_"):
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                numeric[key] = None
    first = [m for m in PREFERRED if m in numeric]
    return first + [m for m in numeric if m not in first]


def metric_label(name: str) -> str:
    """``latency_p95_ms`` -> "latency p95 (ms)"; ``cpu_utilization`` -> "cpu utilization (share of all CPUs)"."""
    for suffix, unit in _UNITS.items():
        if name.endswith(suffix):
            return f"{name[: -len(suffix)].replace('_', ' ')} ({unit})"
    if name.endswith("utilization"):
        return f"{name.replace('_', ' ')} (share of all CPUs)"
    return name.replace("_", " ")


def metric_values(sweep: Sweep, metric: str) -> list[float | None]:
    out: list[float | None] = []
    for row in sweep.rows():
        v = row.get(metric)
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        out.append(float(v) if ok else None)
    return out


def curves(sweep: Sweep, metric: str) -> list[Curve]:
    """One :class:`Curve` per model of the sweep that has a value of ``metric`` somewhere, in the sweep's order."""
    values = metric_values(sweep, metric)
    out = []
    for model in sweep.models:
        by_x: dict[float, list[int]] = {}
        for i, p in enumerate(sweep.points):
            if p.model == model and values[i] is not None:
                by_x.setdefault(p.value, []).append(i)
        if not by_x:
            continue
        xs = sorted(by_x)
        groups = [np.array([values[i] for i in by_x[x]], dtype=float) for x in xs]
        out.append(
            Curve(
                model,
                np.array(xs, dtype=float),
                np.array([np.median(g) for g in groups]),
                np.array([g.min() for g in groups]),
                np.array([g.max() for g in groups]),
                tuple(tuple(by_x[x]) for x in xs),
            )
        )
    return out


def log_x(sweep: Sweep) -> bool:
    """A log axis for the parameter where its values are positive and span a factor of 8 or more."""
    values = [v for v in sweep.values if v > 0]
    return len(values) == len(sweep.values) and len(values) > 2 and max(values) / min(values) >= 8


def log_y(found: list[Curve]) -> bool:
    """A log axis for the metric where every value is positive and they span a factor of 30 or more."""
    lows = [c.low.min() for c in found if len(c.low)]
    highs = [c.high.max() for c in found if len(c.high)]
    return bool(lows) and min(lows) > 0 and max(highs) / min(lows) >= 30


@dataclass(frozen=True)
class SweepProgress:
    done: int
    total: int
    text: str
    seconds_left: float | None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


def progress(sweep: Sweep, planned, current, current_elapsed_s: float = 0.0) -> SweepProgress:
    """The progress line: which point runs now, how many are done, and about how long the rest take.

    ``planned`` is every planned point (objects with ``index``, ``model`` and
    ``label(param)``); ``current`` the one running (or None). The estimate
    gives each point left the mean time of the finished points of its model
    (or of all points, before its model has one), less what the current one ran.
    """
    done, total = len(sweep.points), len(planned)
    left = estimate_seconds_left(sweep, planned, current, current_elapsed_s)
    eta = "" if left is None else f"; {format_duration(left)} left"
    if current is None:
        text = f"{done} of {total} runs measured"
    else:
        text = f"Running {current.label(sweep.param)} (run {current.index + 1} of {total}){eta}"
    return SweepProgress(done, total, text, left)


def estimate_seconds_left(sweep: Sweep, planned, current, current_elapsed_s: float = 0.0) -> float | None:
    walls = [p.wall_s for p in sweep.points if p.wall_s is not None]
    if not walls or current is None:
        return None
    overall = sum(walls) / len(walls)
    per_model: dict[str, list[float]] = {}
    for p in sweep.points:
        if p.wall_s is not None:
            per_model.setdefault(p.model, []).append(p.wall_s)
    mean = {m: sum(v) / len(v) for m, v in per_model.items()}
    left = sum(mean.get(p.model, overall) for p in planned[current.index :])
    return max(0.0, left - current_elapsed_s)


def format_duration(seconds: float) -> str:
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"about {seconds:.0f} s"
    if seconds < 5400:
        return f"about {seconds / 60:.0f} min"
    return f"about {seconds / 3600:.1f} h"


def summary_line(sweep: Sweep, metric: str) -> str:
    """One line under the plot: the metric's median at the first and last value for each model."""
    parts = []
    for c in curves(sweep, metric):
        if len(c.x) >= 2:
            first, last = c.median[0], c.median[-1]
            ratio = ""
            if last > 0 and first > 0:  # a factor over 1 either way reads at a glance; the arrow gives the direction
                ratio = f" ({first / last:.1f}x less)" if first >= last else f" ({last / first:.1f}x more)"
            parts.append(f"{c.model}: {figure(first)} at {c.x[0]:g} -> {figure(last)} at {c.x[-1]:g}{ratio}")
        elif len(c.x) == 1:
            parts.append(f"{c.model}: {figure(c.median[0])} at {c.x[0]:g}")
    state = "" if sweep.complete else f" — stopped after {len(sweep.points)} of {sweep.planned} runs"
    return f"{metric_label(metric)} against {sweep.param_label}: " + "; ".join(parts) + state
