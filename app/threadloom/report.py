"""The readable table ``threadloom run`` prints for each run."""

from __future__ import annotations

from .model import RunMetrics
from .wire import STATE_NAMES


def _ms(value: float | None) -> str:
    if value is None or value != value:
        return "-"
    return f"{value:,.1f} ms" if value < 10_000 else f"{value / 1000:,.2f} s"


def format_run_table(m: RunMetrics) -> str:
    interp = m.interpreter
    gil = "GIL on" if m.gil_enabled else "GIL off"
    pool = f", pool {m.pool_size}" if m.pool_size else ""
    title = (
        f"{m.scenario} - {m.model}  [{interp.get('implementation', '?')} {interp.get('version', '?')}, {gil}, "
        f"switch {m.switch_interval_ms:g} ms{pool}, {m.cpu_count} CPUs]"
    )
    rows = [
        ("makespan", _ms(m.makespan_ms)),
        ("latency p50 / p95 / p99", " / ".join(_ms(v) for v in (m.latency_ms.p50, m.latency_ms.p95, m.latency_ms.p99))),
        ("waiting for the GIL/CPU (ready)", _ms(m.ready_ms)),
        ("waiting in a pool's queue", _ms(m.queued_ms)),
        ("CPU utilization", f"{m.cpu_utilization:.0%} of {m.cpu_count} CPUs"),
        ("median running slice", _ms(m.median_running_slice_ms)),
        ("peak memory", "-" if m.peak_rss_mb is None else f"{m.peak_rss_mb:,.1f} MB"),
        ("peak threads", "-" if m.peak_threads is None else str(m.peak_threads)),
        ("context switches", "-" if m.context_switches is None else f"{m.context_switches:,}"),
        ("time in each state", "  ".join(f"{s} {_ms(m.state_ms.get(s, 0.0))}" for s in STATE_NAMES)),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [title, "-" * min(len(title), 100)]
    lines += [f"  {k:<{width}}  {v}" for k, v in rows]
    lines.append(f"  {'group':<16} {'tasks':>5}  {'p50':>10} {'p95':>10} {'p99':>10} {'ready':>10}")
    for name, g in m.groups.items():
        lines.append(
            f"  {name:<16} {g.count:>5}  {_ms(g.latency_ms.p50):>10} {_ms(g.latency_ms.p95):>10} "
            f"{_ms(g.latency_ms.p99):>10} {_ms(g.ready_ms):>10}"
        )
    if not m.complete:
        lines.append("  (incomplete: the run did not finish)")
    return "\n".join(lines) + "\n"
