"""The readable table ``threadloom run`` prints for each run."""

from __future__ import annotations

from ._text import printable
from .model import DISTURBED_AT, RunMetrics
from .viewmodel.text import (
    RunSettings,
    count,
    disturbance_warning,
    megabytes,
    memory_added,
    metric_ms,
    uses_pool,
)
from .wire import STATE_NAMES


def run_settings(m: RunMetrics) -> RunSettings:
    """The settings of the run ``m`` measured, as every settings line shows them."""
    interp = m.interpreter or {}
    return RunSettings(
        model=m.model,
        scenario=m.scenario,
        implementation=str(interp.get("implementation", "?")),
        version=str(interp.get("version", "?")),
        interpreter_path=str(interp.get("path", "")),
        free_threaded_build=bool(interp.get("free_threaded_build")),
        gil_enabled=m.gil_enabled,
        switch_interval_ms=m.switch_interval_ms,
        pool_size=m.pool_size if uses_pool(m.model) else None,
        cpu_count=m.cpu_count,
    )


def format_run_table(m: RunMetrics) -> str:
    settings = run_settings(m).line("interpreter", "gil", "switch", "pool", "cpus")
    title = f"{m.scenario} - {m.model}  [{settings}]"
    lat = m.latency_ms
    rows = [
        ("makespan", metric_ms(m.makespan_ms)),
        ("latency p50 / p95 / p99", " / ".join(metric_ms(v) for v in (lat.p50, lat.p95, lat.p99))),
        ("waiting for the GIL/CPU (ready)", metric_ms(m.ready_ms)),
        ("waiting in a pool's queue", metric_ms(m.queued_ms)),
        *_transfer(m),
        ("CPU utilization", f"{m.cpu_utilization:.0%} of {m.cpu_count} CPUs"),
        ("Python in parallel", _parallel(m)),
        ("median running slice", metric_ms(m.median_running_slice_ms)),
        ("memory (the probe's own)", _memory(m)),
        *_worker_memory(m),
        ("other programs' CPU use", _others(m)),
        ("peak threads", count(m.peak_threads)),
        ("context switches", count(m.context_switches)),
        ("time in each state", "  ".join(f"{s} {metric_ms(m.state_ms.get(s, 0.0))}" for s in STATE_NAMES)),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [title, "-" * min(len(title), 100)]
    lines += [f"  {k:<{width}}  {v}" for k, v in rows]
    lines.append(f"  {'group':<16} {'tasks':>5}  {'p50':>10} {'p95':>10} {'p99':>10} {'ready':>10}")
    for name, g in m.groups.items():
        lines.append(
            f"  {name:<16} {g.count:>5}  {metric_ms(g.latency_ms.p50):>10} {metric_ms(g.latency_ms.p95):>10} "
            f"{metric_ms(g.latency_ms.p99):>10} {metric_ms(g.ready_ms):>10}"
        )
    ops = [(name, kind, op) for name, g in m.groups.items() for kind, op in g.op_latency_ms.items()]
    if ops:
        lines.append(
            f"  {'each operation':<16} {'step':>5}  {'count':>7} {'p50':>10} {'p95':>10} {'p99':>10} {'max':>10}"
        )
        for name, kind, op in ops:
            cells = " ".join(f"{metric_ms(v):>10}" for v in (op.p50, op.p95, op.p99, op.max))
            lines.append(f"  {name:<16} {kind:>5}  {op.count:>7,} {cells}")
    if not m.complete:
        lines.append("  (incomplete: the run did not finish)")
    # Scenario and group names come from a file: a control character in them is shown escaped.
    return "\n".join(printable(line, None) for line in lines) + "\n"


def _parallel(m: RunMetrics) -> str:
    """How long several tasks ran Python at once: never under one GIL, for real in processes or without a GIL."""
    if m.peak_parallel_python < 2:
        return "never: one task at a time ran Python"
    return f"{metric_ms(m.parallel_python_ms)} with 2 or more tasks at once (at most {m.peak_parallel_python})"


def _transfer(m: RunMetrics) -> list[tuple[str, str]]:
    """A row for the time spent moving data between processes, in runs that spent any."""
    if not m.transfer_ms:
        return []
    return [("moving data between processes", f"{metric_ms(m.transfer_ms)} (pickle, copy, unpickle)")]


def _memory(m: RunMetrics) -> str:
    if m.baseline_rss_mb is None:
        return f"peak {megabytes(m.peak_rss_mb)}"
    return f"{memory_added(m.baseline_rss_mb, m.peak_rss_mb)} (peak {megabytes(m.peak_rss_mb)})"


def _worker_memory(m: RunMetrics) -> list[tuple[str, str]]:
    """One row for a process pool's workers: their peaks, and the most one of them added."""
    peaks = [p.peak_rss_mb for p in m.processes if p.peak_rss_mb is not None]
    if not peaks:
        return []
    added = [p.peak_rss_mb - p.baseline_rss_mb for p in m.processes if None not in (p.peak_rss_mb, p.baseline_rss_mb)]
    low, high = megabytes(min(peaks)), megabytes(max(peaks))
    text = f"{len(m.processes)} processes, peak {low if low == high else f'{low} to {high}'} each"
    if added:
        text += f", + {megabytes(max(0.0, max(added)))} at most by the tasks"
    return [("memory of the pool's processes", text)]


def _others(m: RunMetrics) -> str:
    if m.other_cpu_utilization is None:
        return "-"
    text = f"{m.other_cpu_utilization:.0%} of {m.cpu_count} CPUs"
    if m.disturbed:
        text += (
            f" ({disturbance_warning(m.other_cpu_utilization, DISTURBED_AT).split(': ')[0]}: timings may be inflated)"
        )
    return text
