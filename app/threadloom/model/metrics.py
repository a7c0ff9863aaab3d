"""Metrics of one run, computed from its trace alone (so saved runs agree)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..wire import STATE_CODES, STATE_NAMES
from .trace import Trace

_NS_PER_MS = 1e6


@dataclass(frozen=True)
class Latency:
    p50: float
    p95: float
    p99: float

    @classmethod
    def of(cls, values_ns: np.ndarray) -> Latency:
        if not len(values_ns):
            return cls(float("nan"), float("nan"), float("nan"))
        p = np.percentile(values_ns, [50, 95, 99]) / _NS_PER_MS
        return cls(float(p[0]), float(p[1]), float(p[2]))


@dataclass(frozen=True)
class GroupMetrics:
    count: int
    latency_ms: Latency
    ready_ms: float


@dataclass(frozen=True)
class RunMetrics:
    """What ``threadloom run --json`` writes for one run; field names are the JSON keys."""

    model: str
    scenario: str
    interpreter: dict[str, Any]
    gil_enabled: bool
    switch_interval_ms: float
    pool_size: int | None
    cpu_count: int
    complete: bool
    makespan_ms: float
    latency_ms: Latency
    ready_ms: float
    queued_ms: float
    cpu_utilization: float
    peak_rss_mb: float | None
    peak_threads: int | None
    context_switches: int | None
    median_running_slice_ms: float | None
    state_ms: dict[str, float]
    groups: dict[str, GroupMetrics]

    def to_json(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


def _jsonable(value):
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def compute_metrics(trace: Trace) -> RunMetrics:
    seg = trace.segments()
    header = trace.header
    trailer = trace.trailer or {}
    length = (seg.end - seg.start).astype(np.float64)
    per_state = np.bincount(seg.state, weights=length, minlength=len(STATE_NAMES))
    lanes = trace.worker_lanes()
    idle = lanes.state == STATE_CODES["idle"]
    state_ms = {name: float(per_state[code]) / _NS_PER_MS for code, name in enumerate(STATE_NAMES)}
    state_ms["idle"] = float((lanes.end[idle] - lanes.start[idle]).sum()) / _NS_PER_MS

    makespan_ns = trace.end_ns
    cpu_count = int(header.get("cpu_count", 1))
    busy = per_state[STATE_CODES["running"]] + per_state[STATE_CODES["native"]]
    utilization = float(busy / (makespan_ns * cpu_count)) if makespan_ns > 0 else 0.0

    done = (trace.finished >= 0) & (trace.submitted >= 0)
    latencies = trace.finished - trace.submitted
    task_group = np.array([t.group for t in trace.tasks], dtype=object)
    ready = seg.state == STATE_CODES["ready"]
    ready_by_task = np.bincount(seg.task[ready], weights=length[ready], minlength=len(trace.tasks))

    groups: dict[str, GroupMetrics] = {}
    for name in trace.groups():
        members = task_group == name
        groups[name] = GroupMetrics(
            count=int(members.sum()),
            latency_ms=Latency.of(latencies[members & done]),
            ready_ms=float(ready_by_task[members].sum()) / _NS_PER_MS,
        )

    rss = trailer.get("peak_rss_bytes")
    switches = None
    if "voluntary_switches" in trailer:
        switches = int(trailer["voluntary_switches"]) + int(trailer.get("involuntary_switches", 0))
    return RunMetrics(
        model=trace.model,
        scenario=str(header.get("scenario", "")),
        interpreter=dict(header.get("interpreter", {})),
        gil_enabled=bool(header.get("gil_enabled", True)),
        switch_interval_ms=float(header.get("switch_interval_ms", float("nan"))),
        pool_size=header.get("pool_size"),
        cpu_count=cpu_count,
        complete=trace.complete,
        makespan_ms=makespan_ns / _NS_PER_MS,
        latency_ms=Latency.of(latencies[done]),
        ready_ms=state_ms["ready"],
        queued_ms=state_ms["queued"],
        cpu_utilization=utilization,
        peak_rss_mb=None if rss is None else rss / 2**20,
        peak_threads=trailer.get("peak_threads"),
        context_switches=switches,
        median_running_slice_ms=median_running_slice_ms(trace),
        state_ms=state_ms,
        groups=groups,
    )


def median_running_slice_ms(trace: Trace) -> float | None:
    """Median time a CPU-bound task keeps the GIL before another task takes it.

    A slice is an uninterrupted stretch of ``running``. The OS may preempt a
    thread that holds the GIL (the trace shows a short ``ready`` gap) while no
    other thread can run Python: that does not end the slice, because the GIL
    did not change hands. Only tasks whose groups do ``cpu`` steps count, and
    only stretches at least as long as the probe's gap threshold.
    """
    cpu_groups = {g for g, kinds in trace.header.get("groups", {}).items() if "cpu" in kinds}
    seg = trace.segments()
    if not cpu_groups or not len(seg):
        return None
    cpu_tasks = np.array([t.group in cpu_groups for t in trace.tasks], dtype=bool)
    running_code, ready_code = STATE_CODES["running"], STATE_CODES["ready"]
    all_running_starts = np.sort(seg.start[seg.state == running_code])

    order = np.lexsort((seg.start, seg.task))
    task, state = seg.task[order], seg.state[order]
    start, end = seg.start[order], seg.end[order]
    is_run = (state == running_code) & cpu_tasks[task]
    if not is_run.any():
        return None
    # Pattern running, ready, running within one task, where nobody else
    # started running during the ready gap: the same GIL tenure continues.
    n = len(task)
    joins = np.zeros(n, dtype=bool)  # joins[i]: running segment i continues the one two places before
    if n >= 3:
        same = (task[2:] == task[:-2]) & (task[1:-1] == task[2:])
        pattern = is_run[2:] & is_run[:-2] & (state[1:-1] == ready_code) & same
        gap_start, gap_end = start[1:-1], end[1:-1]
        others = np.searchsorted(all_running_starts, gap_end, "left") - np.searchsorted(
            all_running_starts, gap_start, "left"
        )
        joins[2:] = pattern & (others == 0)
    run_idx = np.nonzero(is_run)[0]
    # Each running segment belongs to the tenure started by the last one that does not join.
    new_tenure = ~joins[run_idx]
    tenure_id = np.cumsum(new_tenure) - 1
    first = run_idx[new_tenure]
    last = np.zeros(len(first), dtype=np.int64)
    np.maximum.at(last, tenure_id, run_idx)
    lengths = end[last] - start[first]
    # Stretches shorter than the GIL-loss threshold are the bookkeeping between
    # other steps (a wake-up, a send), not CPU-bound work, and below what the
    # probe can resolve anyway.
    lengths = lengths[lengths >= int(trace.header.get("gap_threshold_ns", 0))]
    return float(np.median(lengths)) / _NS_PER_MS if len(lengths) else None
