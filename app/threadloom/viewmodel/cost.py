"""What the cost page and ``threadloom cost`` show: each unit's figures against N, the switches, in words."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model.cost import SWITCHES, UNITS, CostReport

UNIT_NAMES = {"thread": "thread", "coroutine": "asyncio Task", "process": "process"}


@dataclass(frozen=True)
class UnitSeries:
    """One unit's points: N (units that started), KiB and µs per unit, and the refusals' notes."""

    unit: str
    n: np.ndarray
    rss_kib: np.ndarray
    start_us: np.ndarray
    refused: tuple[tuple[int, str], ...]


def unit_series(report: CostReport, unit: str) -> UnitSeries:
    points = [p for p in report.unit_points(unit) if p.started > 0]
    nan = float("nan")
    return UnitSeries(
        unit,
        np.array([p.started for p in points], dtype=float),
        np.array([p.rss_kib_per_unit if p.rss_kib_per_unit is not None else nan for p in points]),
        np.array([p.start_us_per_unit if p.start_us_per_unit is not None else nan for p in points]),
        tuple((p.n, p.refused) for p in report.unit_points(unit) if p.refused),
    )


def format_kib(kib: float | None) -> str:
    if kib is None:
        return "-"
    if kib >= 1024:
        return f"{kib / 1024:,.1f} MiB"
    return f"{kib:,.2f} KiB" if kib < 10 else f"{kib:,.1f} KiB"


def format_us(us: float | None) -> str:
    if us is None:
        return "-"
    if us >= 1000:
        return f"{us / 1000:,.1f} ms"
    return f"{us:,.1f} µs" if us >= 10 else f"{us:,.2f} µs"


def headline(report: CostReport) -> str:
    """One or two sentences: what each unit costs, and how many times more a thread costs than a Task."""
    thread, task, proc = (report.headline(u) for u in UNITS)
    parts = []
    for unit, p in zip(UNITS, (thread, task, proc), strict=True):
        if p is not None:
            parts.append(
                f"a waiting {UNIT_NAMES[unit]} {format_kib(p.rss_kib_per_unit)} resident and "
                f"{format_us(p.start_us_per_unit)} to start (at N = {p.started:,})"
            )
    text = "Each unit: " + "; ".join(parts) + "." if parts else "Nothing measured yet."
    if thread and task and thread.rss_kib_per_unit and task.rss_kib_per_unit:
        text += f" A thread takes {thread.rss_kib_per_unit / task.rss_kib_per_unit:,.0f}x the memory of a Task"
        if proc and proc.rss_kib_per_unit:
            text += f", a process {proc.rss_kib_per_unit / thread.rss_kib_per_unit:,.0f}x that of a thread"
        text += "."
    return text


def switch_rows(report: CostReport) -> list[tuple[str, str, str]]:
    """(name, what it is, µs per hand-off or why it failed), in the report's order."""
    rows = []
    for name, what in SWITCHES.items():
        s = report.switches.get(name)
        if s is None:
            continue
        rows.append((name, what, format_us(s.us) if s.us is not None else f"failed: {s.failed}"))
    return rows


def cost_lines(report: CostReport) -> list[str]:
    """The table ``threadloom cost`` prints."""
    interp = report.interpreter
    lines = [
        f"{interp.get('implementation', 'Python')} {interp.get('version', '?')} at {interp.get('path', '?')}"
        + ("  (GIL off)" if interp.get("gil_enabled") is False else ""),
        "",
        f"{'unit':<12}{'N':>9}{'started':>9}{'resident/unit':>16}{'start/unit':>13}  note",
    ]
    for unit in UNITS:
        for p in report.unit_points(unit):
            pss = f" (PSS {format_kib(p.pss_kib_per_unit)})" if p.pss_kib_per_unit is not None else ""
            lines.append(
                f"{UNIT_NAMES[unit]:<12}{p.n:>9,}{p.started:>9,}{format_kib(p.rss_kib_per_unit):>16}"
                f"{format_us(p.start_us_per_unit):>13}  {p.refused or ''}{pss}".rstrip()
            )
    lines += ["", f"{'switch':<18}{'per hand-off':>14}  how"]
    for name, what, us in switch_rows(report):
        lines.append(f"{name:<18}{us:>14}  {what}")
    lines += ["", headline(report)]
    if not report.complete:
        lines.append("(stopped before the end: the figures above are what was measured)")
    return lines
