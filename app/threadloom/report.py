"""The readable table ``threadloom run`` prints for each run."""

from __future__ import annotations

from .model import RunMetrics
from .viewmodel.text import RunSettings, count, megabytes, metric_ms, uses_pool
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
        ("CPU utilization", f"{m.cpu_utilization:.0%} of {m.cpu_count} CPUs"),
        ("median running slice", metric_ms(m.median_running_slice_ms)),
        ("peak memory", megabytes(m.peak_rss_mb)),
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
    if not m.complete:
        lines.append("  (incomplete: the run did not finish)")
    return "\n".join(lines) + "\n"
