"""Metrics of one run, computed from its trace alone (so saved runs agree)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .._json import strict_json
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
class OpLatency:
    """Latency of each execution of one step kind in one group (each round trip of a ``net`` step), in ms.

    From the moment the step could start to the moment its code resumed; the
    probe computes the percentiles (trailer ``op_latency_ns``).
    """

    count: int
    p50: float
    p95: float
    p99: float
    max: float


@dataclass(frozen=True)
class GroupMetrics:
    count: int
    latency_ms: Latency
    ready_ms: float
    #: step kind -> latency of each of its executions in this group.
    op_latency_ms: dict[str, OpLatency] = field(default_factory=dict)


@dataclass(frozen=True)
class ProcessMemory:
    """A pool worker process's own resident memory: before the clock started and at its peak."""

    pid: int
    baseline_rss_mb: float | None
    peak_rss_mb: float | None


#: ``other_cpu_utilization`` (share of all CPUs other programs used during the run) from which a run's
#: timings may be disturbed: the summary and the picture caption then say so.
DISTURBED_AT = 0.15


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
    #: The probe's own resident memory: just before the clock started, and its peak during the run.
    peak_rss_mb: float | None
    peak_threads: int | None
    context_switches: int | None
    median_running_slice_ms: float | None
    state_ms: dict[str, float]
    groups: dict[str, GroupMetrics]
    baseline_rss_mb: float | None = None
    #: Pool worker processes (process-pool), each with its own memory figures.
    processes: list[ProcessMemory] = field(default_factory=list)
    #: Share of all CPUs (0..1) that other programs used during the run; None where unmeasured.
    other_cpu_utilization: float | None = None
    #: Time tasks spent handing data between processes (``transfer``), over all tasks.
    transfer_ms: float = 0.0
    #: Wall time during which two or more tasks ran Python at once: processes, or threads without a GIL.
    parallel_python_ms: float = 0.0
    #: The most tasks that ran Python at the same moment.
    peak_parallel_python: int = 0

    @property
    def added_rss_mb(self) -> float | None:
        """What the tasks added to the probe's memory: peak minus baseline."""
        if self.peak_rss_mb is None or self.baseline_rss_mb is None:
            return None
        return max(0.0, self.peak_rss_mb - self.baseline_rss_mb)

    @property
    def disturbed(self) -> bool:
        """Whether other programs used enough CPU during the run to disturb its figures."""
        return self.other_cpu_utilization is not None and self.other_cpu_utilization >= DISTURBED_AT

    def main_op(self) -> tuple[str, str, OpLatency] | None:
        """``(group, kind, latency)`` of the step executed most often (the round trips of a convoy, say)."""
        found = [
            (op.count, group, kind, op) for group, g in self.groups.items() for kind, op in g.op_latency_ms.items()
        ]
        if not found:
            return None
        _, group, kind, op = max(found, key=lambda item: item[0])
        return group, kind, op

    def to_json(self) -> dict[str, Any]:
        return strict_json(asdict(self))


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
    ops = _op_latency(trailer.get("op_latency_ns"))
    for name in trace.groups():
        members = task_group == name
        groups[name] = GroupMetrics(
            count=int(members.sum()),
            latency_ms=Latency.of(latencies[members & done]),
            ready_ms=float(ready_by_task[members].sum()) / _NS_PER_MS,
            op_latency_ms=ops.get(name, {}),
        )

    rss = _mb(trailer.get("peak_rss_bytes"))
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
        peak_rss_mb=rss,
        peak_threads=trailer.get("peak_threads"),
        context_switches=switches,
        median_running_slice_ms=median_running_slice_ms(trace),
        state_ms=state_ms,
        groups=groups,
        baseline_rss_mb=_mb(trailer.get("baseline_rss_bytes")),
        processes=_processes(trailer.get("processes")),
        other_cpu_utilization=_share(trailer.get("other_cpu_utilization")),
        transfer_ms=state_ms["transfer"],
        **_parallel_python(seg),
    )


def _parallel_python(seg) -> dict[str, Any]:
    """How long two or more tasks were ``running`` at once, and how many at most.

    With one GIL this is nothing (the GIL's rule cut every overlap, see :mod:`.gil`); processes,
    and threads on a build without a GIL, overlap for real.
    """
    running = seg.state == STATE_CODES["running"]
    start, end = seg.start[running], seg.end[running]
    if len(start) < 2:
        return {"parallel_python_ms": 0.0, "peak_parallel_python": len(start)}
    times = np.concatenate([start, end])
    steps = np.concatenate([np.ones(len(start), np.int64), -np.ones(len(end), np.int64)])
    order = np.lexsort((steps, times))  # at a tie an end comes first: touching segments do not overlap
    times, level = times[order], np.cumsum(steps[order])
    lengths = np.diff(times)
    together = float(lengths[level[:-1] >= 2].sum())
    return {"parallel_python_ms": together / _NS_PER_MS, "peak_parallel_python": int(level.max())}


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        value = float(value)
    except OverflowError:
        return None
    return value if np.isfinite(value) and value >= 0 else None


def _mb(value) -> float | None:
    number = _number(value)
    return None if number is None else number / 2**20


def _share(value) -> float | None:
    number = _number(value)
    return None if number is None else min(1.0, number)


def _processes(value) -> list[ProcessMemory]:
    if not isinstance(value, list):
        return []
    out = []
    for item in value:
        if isinstance(item, dict) and isinstance(item.get("pid"), int):
            out.append(
                ProcessMemory(int(item["pid"]), _mb(item.get("baseline_rss_bytes")), _mb(item.get("peak_rss_bytes")))
            )
    return out


def _op_latency(value) -> dict[str, dict[str, OpLatency]]:
    """The trailer's ``op_latency_ns`` ({group: {kind: {count, p50, p95, p99, max}}}) in ms; bad entries dropped."""
    out: dict[str, dict[str, OpLatency]] = {}
    if not isinstance(value, dict):
        return out
    for group, kinds in value.items():
        if not isinstance(kinds, dict):
            continue
        for kind, figures in kinds.items():
            if not isinstance(figures, dict):
                continue
            count = figures.get("count")
            ns = [_number(figures.get(k)) for k in ("p50", "p95", "p99", "max")]
            if not isinstance(count, int) or isinstance(count, bool) or count <= 0 or None in ns:
                continue
            out.setdefault(str(group), {})[str(kind)] = OpLatency(count, *(v / _NS_PER_MS for v in ns))
    return out


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
