"""One set of words and numbers for people: times, counts, sizes, states and a run's settings.

Every view, caption, table and export formats through these functions, so the
same value reads the same everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..model import Trace
from ..probe.models import MODELS

#: One sentence per state, for legends, tooltips and the summary.
STATE_DESCRIPTIONS: dict[str, str] = {
    "running": "running Python code while holding the GIL.",
    "native": "running native code (C, hashing, compression) with the GIL released.",
    "ready": "runnable, waiting for the GIL or a CPU.",
    "io": "waiting for I/O or a timer (sleep, socket, file); uses no CPU.",
    "blocked": "held up without running: waiting for a lock another task holds, or stuck in a blocking call.",
    "queued": "submitted but not started: no worker has picked it up yet.",
    "idle": "a worker with nothing to do.",
    "transfer": (
        "handing data across processes: pickling it, copying it through a pipe or store, unpickling it "
        "(a data step; free where memory is shared)."
    ),
}


def _missing(value: float | None) -> bool:
    return value is None or not math.isfinite(value)


def clock_ms(ms: float) -> str:
    """A time on the trace's clock, precise enough to tell switch intervals apart: 12.35 ms, 1,234.5 ms."""
    if ms >= 10_000:
        return f"{ms / 1000:,.2f} s"
    if ms >= 100:
        return f"{ms:,.1f} ms"
    return f"{ms:.2f} ms"


def duration_ms(ms: float) -> str:
    """A duration down to microseconds, for tooltips and makespans: 1.234 s, 12.35 ms, 87.5 µs."""
    if abs(ms) >= 1000:
        return f"{ms / 1000:.3f} s"
    if abs(ms) >= 1:
        return f"{ms:.2f} ms"
    return f"{ms * 1000:.1f} \u00b5s"


def metric_ms(value: float | None) -> str:
    """A measured figure for a table, as many digits as matter: 12.3 ms, 1,234 ms; "-" when unknown."""
    if _missing(value):
        return "-"
    if value >= 10_000:
        return f"{value / 1000:,.2f} s"
    if value >= 100:
        return f"{value:,.0f} ms"
    if value >= 1:
        return f"{value:,.1f} ms"
    return f"{value:.2f} ms"


def figure(value: float | None) -> str:
    """Any measured number, as many digits as matter: 1,606, 80.5, 0.0123; "-" when unknown."""
    if _missing(value):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def megabytes(value: float | None) -> str:
    return "-" if _missing(value) else f"{value:,.1f} MB"


def memory_added(baseline_mb: float | None, peak_mb: float | None) -> str:
    """ "24.9 MB + 14.7 MB by the tasks": the memory before the clock started, and what the run added to it."""
    if _missing(peak_mb):
        return "-"
    if _missing(baseline_mb):
        return f"peak {megabytes(peak_mb)}"
    return f"{megabytes(baseline_mb)} + {megabytes(max(0.0, peak_mb - baseline_mb))} by the tasks"


def op_latency(op) -> str:
    """An :class:`~threadloom.model.OpLatency` on one line: "p50 5.1 ms · p95 10.3 ms · p99 10.9 ms · max 15.9 ms"."""
    return " · ".join(f"{name} {metric_ms(getattr(op, name))}" for name in ("p50", "p95", "p99", "max"))


def disturbance_warning(other_cpu_utilization: float | None, threshold: float) -> str:
    """A warning when other programs used at least ``threshold`` of the CPUs during a run; "" otherwise."""
    if _missing(other_cpu_utilization) or other_cpu_utilization < threshold:
        return ""
    return f"busy machine: other programs used {other_cpu_utilization:.0%} of the CPUs during the run"


def speed(factor: float) -> str:
    """A replay speed: 0.01x, 1x."""
    return f"{factor:g}x"


def uses_pool(model: str) -> bool:
    """The probe reports the scenario's pool size under every model; only pool models use it.

    A model this install does not know is given the benefit of the doubt.
    """
    module = MODELS.get(model)
    return module is None or module.SPEC.has_pool


@dataclass(frozen=True)
class RunSettings:
    """The knobs of one run, read from its header: what every settings line and export shows."""

    model: str
    scenario: str
    implementation: str
    version: str
    interpreter_path: str
    free_threaded_build: bool
    gil_enabled: bool
    switch_interval_ms: float | None
    pool_size: int | None
    cpu_count: int | None

    @classmethod
    def of(cls, trace: Trace) -> RunSettings:
        h = trace.header
        interp = h.get("interpreter") or {}
        switch = h.get("switch_interval_ms")
        cpus = h.get("cpu_count")
        return cls(
            model=trace.model,
            scenario=str(h.get("scenario", "") or ""),
            implementation=str(interp.get("implementation", "?")),
            version=str(interp.get("version", "?")),
            interpreter_path=str(interp.get("path", "")),
            free_threaded_build=bool(interp.get("free_threaded_build")),
            gil_enabled=bool(h.get("gil_enabled", True)),
            switch_interval_ms=float(switch) if isinstance(switch, (int, float)) else None,
            pool_size=h.get("pool_size") if uses_pool(trace.model) else None,
            cpu_count=cpus if isinstance(cpus, int) else None,
        )

    @property
    def interpreter(self) -> str:
        """Implementation and version, e.g. "CPython 3.11.7"."""
        return f"{self.implementation} {self.version}"

    @property
    def gil(self) -> str:
        return "GIL on" if self.gil_enabled else "GIL off"

    @property
    def switch(self) -> str:
        """E.g. "switch interval 5 ms", with a "?" when the run did not say."""
        if self.switch_interval_ms is None:
            return "switch interval ?"
        return f"switch interval {self.switch_interval_ms:g} ms"

    @property
    def pool(self) -> str:
        """E.g. "pool 8"; empty for a model without a pool."""
        return f"pool {self.pool_size}" if self.pool_size else ""

    @property
    def cpus(self) -> str:
        return f"{self.cpu_count} CPUs" if self.cpu_count else ""

    def line(self, *parts: str, sep: str = ", ") -> str:
        """The named parts (attributes of this object), those that say something, joined."""
        return sep.join(text for text in (getattr(self, p) for p in parts) if text)

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "scenario": self.scenario,
            "interpreter": self.interpreter,
            "interpreter_path": self.interpreter_path,
            "gil_enabled": self.gil_enabled,
            "switch_interval_ms": self.switch_interval_ms,
            "pool_size": self.pool_size,
            "cpu_count": self.cpu_count,
        }
