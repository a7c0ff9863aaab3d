"""What a thread, a coroutine and a process cost: the cost probe's records as one report.

The cost probe (:mod:`threadloom.probe.cost`) sends JSON records; a
:class:`CostReport` collects them and says, per unit, the resident memory and
the creation time each one took, and per kind of hand-off, its price in
microseconds. :meth:`CostReport.to_json` is what ``threadloom cost --json`` writes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .._json import strict_json

UNITS = ("thread", "coroutine", "process")
#: The hand-offs, in the order the report lists them, with what each one is.
SWITCHES: dict[str, str] = {
    "thread-queue": "two threads, a token through queue.Queue",
    "thread-condition": "two threads, a turn flag under threading.Condition",
    "thread-event": "two threads, threading.Event each way",
    "coroutine-queue": "two asyncio Tasks, a token through asyncio.Queue",
    "coroutine-sleep0": "two asyncio Tasks taking turns with asyncio.sleep(0)",
    "process-pipe": "two processes, one byte each way through a pipe",
}


@dataclass(frozen=True)
class CostPoint:
    """N units of one kind, all waiting: what each cost. ``refused`` says why fewer than N started."""

    unit: str
    n: int
    started: int
    rss_kib_per_unit: float | None
    start_us_per_unit: float | None
    refused: str | None = None
    pss_kib_per_unit: float | None = None

    @classmethod
    def of(cls, record: dict[str, Any]) -> CostPoint:
        return cls(
            unit=str(record.get("unit", "")),
            n=int(record.get("n", 0)),
            started=int(record.get("started") or 0),
            rss_kib_per_unit=_num(record.get("rss_kib_per_unit")),
            start_us_per_unit=_num(record.get("start_us_per_unit")),
            refused=record.get("refused") or None,
            pss_kib_per_unit=_num(record.get("pss_kib_per_unit")),
        )

    def to_json(self) -> dict[str, Any]:
        out = {
            "n": self.n,
            "started": self.started,
            "rss_kib_per_unit": self.rss_kib_per_unit,
            "start_us_per_unit": self.start_us_per_unit,
            "refused": self.refused,
        }
        if self.unit == "process":
            out["pss_kib_per_unit"] = self.pss_kib_per_unit
        return out


@dataclass(frozen=True)
class SwitchCost:
    """Microseconds per hand-off: the median over batches, with the fastest and slowest batch."""

    name: str
    us: float | None
    min_us: float | None = None
    max_us: float | None = None
    failed: str | None = None


@dataclass
class CostReport:
    """Everything one cost measurement found; grows record by record while it runs."""

    interpreter: dict[str, Any] = field(default_factory=dict)
    points: list[CostPoint] = field(default_factory=list)
    switches: dict[str, SwitchCost] = field(default_factory=dict)
    complete: bool = False
    seconds: float | None = None

    def add(self, record: dict[str, Any]) -> None:
        """Fold one record of the cost probe in; unknown records are ignored."""
        kind = record.get("type")
        if kind == "hello":
            self.interpreter = dict(record.get("interpreter") or {})
        elif kind == "point" and record.get("unit") in UNITS:
            self.points.append(CostPoint.of(record))
        elif kind == "switch" and isinstance(record.get("name"), str):
            name = record["name"]
            self.switches[name] = SwitchCost(
                name,
                _num(record.get("us")),
                _num(record.get("min_us")),
                _num(record.get("max_us")),
                record.get("failed") or None,
            )
        elif kind == "done":
            self.complete = True
            self.seconds = _num(record.get("seconds"))

    def unit_points(self, unit: str) -> list[CostPoint]:
        return sorted((p for p in self.points if p.unit == unit), key=lambda p: p.n)

    def headline(self, unit: str) -> CostPoint | None:
        """The point each unit's figures are quoted from: the most units that started.

        The fixed costs (the first thread's malloc arena, the event loop) are
        spread thinnest there, and page granularity matters least.
        """
        started = [p for p in self.unit_points(unit) if p.started > 0 and p.rss_kib_per_unit is not None]
        return max(started, key=lambda p: (p.started, -p.n)) if started else None

    def refusals(self) -> list[CostPoint]:
        return [p for p in self.points if p.refused]

    def to_json(self) -> dict[str, Any]:
        units = {}
        for unit in UNITS:
            head = self.headline(unit)
            units[unit] = {
                "rss_kib_per_unit": head.rss_kib_per_unit if head else None,
                "start_us_per_unit": head.start_us_per_unit if head else None,
                "at_n": head.started if head else None,
                "points": [p.to_json() for p in self.unit_points(unit)],
            }
            if unit == "process":
                units[unit]["pss_kib_per_unit"] = head.pss_kib_per_unit if head else None
        return strict_json(
            {
                "interpreter": self.interpreter,
                "units": units,
                "switch_us": {name: s.us for name, s in self._ordered_switches()},
                "switch_detail": {
                    name: {"us": s.us, "min_us": s.min_us, "max_us": s.max_us, "failed": s.failed}
                    for name, s in self._ordered_switches()
                },
                "complete": self.complete,
                "seconds": self.seconds,
            }
        )

    def _ordered_switches(self) -> list[tuple[str, SwitchCost]]:
        order = {name: i for i, name in enumerate(SWITCHES)}
        return sorted(self.switches.items(), key=lambda item: order.get(item[0], len(order)))

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> CostReport:
        """Read back what :meth:`to_json` wrote."""
        report = cls(interpreter=dict(doc.get("interpreter") or {}), complete=bool(doc.get("complete")))
        report.seconds = _num(doc.get("seconds"))
        for unit, figures in (doc.get("units") or {}).items():
            for p in figures.get("points", []):
                report.points.append(CostPoint.of({**p, "unit": unit}))
        detail = doc.get("switch_detail") or {}
        for name, us in (doc.get("switch_us") or {}).items():
            d = detail.get(name, {})
            report.switches[name] = SwitchCost(
                name, _num(us), _num(d.get("min_us")), _num(d.get("max_us")), d.get("failed")
            )
        return report


def _num(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None
