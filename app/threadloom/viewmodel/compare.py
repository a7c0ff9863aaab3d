"""The compare table: several runs side by side, one column each, the best and worst run of every metric marked.

:func:`compare_runs` turns :class:`~threadloom.model.RunMetrics` into rows of
cells; the Qt table (``ui/summary.py``) only colours them. The rule: a metric's
best run is marked best and its worst marked worst (with how many times worse
it is), unless the runs are within :data:`SIGNIFICANT` of each other, or closer
than the row's floor, or read the same once formatted. Settings rows (switch
interval, pool, interpreter...) mark nothing; their cells say whether the runs
differ.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..model import RunMetrics
from ..probe.models import MODELS
from ..wire import worker_kind
from .text import count, megabytes, metric_ms

#: Runs closer than this (relative) are not called better or worse: timings on a busy machine wobble.
SIGNIFICANT = 0.05

#: :attr:`Cell.mark` of the best and the worst run of a metric.
BEST = "best"
WORST = "worst"


@dataclass(frozen=True)
class _Metric:
    name: str
    value: Callable[[RunMetrics], float | str | None]
    fmt: Callable[[float | None], str]
    better: int  # -1: lower is better, +1: higher is better, 0: a setting (flagged when it differs)
    tooltip: str
    floor: float = 0.0  # differences smaller than this are noise, whatever the ratio
    setting: bool = True  # with better == 0: a setting, bold where the runs differ; False: a plain measurement
    #: Shown only where some run has a value above zero: a row of noughts on every comparison is noise.
    when_any: bool = False


def _interpreter(m: RunMetrics) -> str:
    name = f"{m.interpreter.get('implementation', '?')} {m.interpreter.get('version', '?')}"
    return name + ("" if m.gil_enabled else " (no GIL)")


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _main_op(m: RunMetrics, name: str) -> float | None:
    """A percentile of the step executed most often (a convoy's round trips, say)."""
    found = m.main_op()
    return None if found is None else getattr(found[2], name)


_METRICS: tuple[_Metric, ...] = (
    _Metric("switch interval", lambda m: m.switch_interval_ms, lambda v: f"{v:g} ms", 0, "sys.setswitchinterval"),
    _Metric("pool size", lambda m: m.pool_size, lambda v: "-" if v is None else str(v), 0, "workers in the pool"),
    _Metric("interpreter", _interpreter, str, 0, "the Python that ran the workload"),
    _Metric("makespan", lambda m: m.makespan_ms, metric_ms, -1, "first submission to last completion", 1.0),
    _Metric("latency p50", lambda m: m.latency_ms.p50, metric_ms, -1, "median task latency", 1.0),
    _Metric("latency p95", lambda m: m.latency_ms.p95, metric_ms, -1, "95th percentile task latency", 1.0),
    _Metric("latency p99", lambda m: m.latency_ms.p99, metric_ms, -1, "99th percentile task latency", 1.0),
    _Metric(
        "ready, waiting to run",
        lambda m: m.ready_ms,
        metric_ms,
        -1,
        "time ready but not running (waiting for the GIL, the loop or a CPU), over all tasks",
        1.0,
    ),
    _Metric("waiting in a queue", lambda m: m.queued_ms, metric_ms, -1, "time submitted but not yet started", 1.0),
    _Metric(
        "moving data",
        lambda m: m.transfer_ms,
        metric_ms,
        -1,
        "time handing data steps between processes (transfer: pickle, copy, unpickle), over all tasks",
        1.0,
        when_any=True,
    ),
    # Not ranked, as utilization: running in parallel is how processes win, not a score of its own.
    _Metric(
        "Python in parallel",
        lambda m: m.parallel_python_ms,
        metric_ms,
        0,
        "wall time with two or more tasks running Python at once: never under one GIL",
        setting=False,
        when_any=True,
    ),
    # Not ranked: a process pool's higher utilization is the price of its speed, and a busy-waiting
    # run's is waste; the makespan and latencies say which run did better.
    _Metric(
        "CPU utilization",
        lambda m: m.cpu_utilization,
        _percent,
        0,
        "running time over makespan x CPUs (neither better nor worse: the makespan says which run did better)",
        setting=False,
    ),
    _Metric(
        "median running slice",
        lambda m: m.median_running_slice_ms,
        metric_ms,
        0,
        "how long a CPU-bound thread keeps the GIL at a time",
    ),
    _Metric(
        "op latency p50",
        lambda m: _main_op(m, "p50"),
        metric_ms,
        -1,
        "median latency of one execution of the step run most often (each round trip of a net step)",
        0.01,
    ),
    _Metric(
        "op latency p99",
        lambda m: _main_op(m, "p99"),
        metric_ms,
        -1,
        "99th percentile latency of one execution of the step run most often",
        0.01,
    ),
    _Metric("peak memory", lambda m: m.peak_rss_mb, megabytes, -1, "the probe's largest resident memory", 1.0),
    _Metric(
        "memory added",
        lambda m: m.added_rss_mb,
        megabytes,
        -1,
        "what the tasks added to the probe's resident memory: its peak minus its size when the clock started",
        0.5,
    ),
    _Metric("peak threads", lambda m: m.peak_threads, count, 0, "largest number of threads"),
    _Metric("context switches", lambda m: m.context_switches, count, -1, "OS context switches of the probe"),
    _Metric(
        "other programs' CPU",
        lambda m: m.other_cpu_utilization,
        _percent,
        -1,
        "share of all CPUs that other programs used during the run; a high one disturbs the timings",
        0.05,
    ),
)

#: The compare table's rows, top to bottom.
ROW_NAMES: tuple[str, ...] = tuple(metric.name for metric in _METRICS)


@dataclass(frozen=True)
class Cell:
    """One run's value of one row.

    ``mark`` is :data:`BEST`, :data:`WORST` or ``None``; ``differs`` is True in a
    settings row whose runs do not all have the same setting.
    """

    text: str
    mark: str | None = None
    differs: bool = False


@dataclass(frozen=True)
class CompareRow:
    name: str
    tooltip: str
    cells: tuple[Cell, ...]

    def best(self) -> int | None:
        """Column of the run marked best, or ``None`` when no run is."""
        return next((c for c, cell in enumerate(self.cells) if cell.mark == BEST), None)

    def worst(self) -> int | None:
        return next((c for c, cell in enumerate(self.cells) if cell.mark == WORST), None)


@dataclass(frozen=True)
class Comparison:
    """The whole table: one column per run (``labels``), one :class:`CompareRow` per metric."""

    labels: tuple[str, ...]
    rows: tuple[CompareRow, ...]

    def row(self, name: str) -> CompareRow:
        """The row called ``name``; ``KeyError`` naming the rows there are."""
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"no compare row {name!r}; rows: {', '.join(ROW_NAMES)}")


def _num(value: float | str | None) -> float | None:
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None


def _differ(low: float, high: float, floor: float = 0.0) -> bool:
    if high - low <= floor:
        return False
    return low <= 0 or (high - low) / abs(low) >= SIGNIFICANT


def _row(metric: _Metric, metrics: Sequence[RunMetrics]) -> CompareRow:
    raw = [metric.value(m) for m in metrics]
    nums = [_num(v) for v in raw]
    valid = [v for v in nums if v is not None]
    best = worst = None
    shown = {metric.fmt(v) for v in valid}
    if metric.better and len(valid) >= 2 and len(shown) > 1 and _differ(min(valid), max(valid), metric.floor):
        best = max(valid) if metric.better > 0 else min(valid)
        worst = min(valid) if metric.better > 0 else max(valid)
    differs = metric.better == 0 and metric.setting and len({str(v) for v in raw}) > 1
    cells = []
    for value, num in zip(raw, nums, strict=True):
        text = value if isinstance(value, str) else metric.fmt(value)
        mark = None
        if best is not None and num == best:
            mark = BEST
        elif worst is not None and num == worst:
            mark = WORST
            if best:
                ratio = (worst / best) if metric.better < 0 else (best / worst if worst else math.inf)
                text += f"  (×{ratio:.1f})" if math.isfinite(ratio) else ""
        cells.append(Cell(text, mark, differs))
    return CompareRow(metric.name, metric.tooltip, tuple(cells))


def switch_interval_matters(model: str) -> bool:
    """Whether ``sys.setswitchinterval`` can change a run of ``model``: only where several OS threads
    of the probe take turns on its one GIL (not a lone loop or main thread, not processes)."""
    module = MODELS.get(model)
    if module is None:
        return True  # a model this install does not have: do not guess
    spec = module.SPEC
    if not spec.shares_gil:
        return False
    kinds = [worker_kind(kind) for kind in spec.worker_kinds]
    return any(not k.own_gil and not k.cooperative and (k.long_lived or k.per_task) for k in kinds)


def variant_changes(model: str, base: tuple[float, int | None], variant: tuple[float, int | None]) -> bool:
    """Whether a run of ``model`` with the ``variant`` (switch interval, pool size) can differ from
    one with ``base``: a pool size means nothing without a pool, a switch interval nothing where
    :func:`switch_interval_matters` says so."""
    module = MODELS.get(model)
    has_pool = module is None or module.SPEC.has_pool
    if has_pool and base[1] != variant[1]:
        return True
    return base[0] != variant[0] and switch_interval_matters(model)


def compare_runs(metrics: Sequence[RunMetrics], labels: Sequence[str]) -> Comparison:
    """The compare table of ``metrics`` (one run each), headed by ``labels``."""
    shown = [metric for metric in _METRICS if not metric.when_any or any(_above_zero(metric, m) for m in metrics)]
    return Comparison(tuple(labels), tuple(_row(metric, metrics) for metric in shown))


def _above_zero(metric: _Metric, m: RunMetrics) -> bool:
    value = metric.value(m)
    return isinstance(value, (int, float)) and value > 0


__all__ = [
    "BEST",
    "ROW_NAMES",
    "SIGNIFICANT",
    "WORST",
    "Cell",
    "CompareRow",
    "Comparison",
    "compare_runs",
    "switch_interval_matters",
    "variant_changes",
]
