"""Run a sweep: one real probe run per point, through :class:`ProbeSession`, one after another.

The order is repeat by repeat (every value and model once, then again), so a
sweep stopped early still has whole curves. :meth:`SweepRunner.stop` kills the
run in progress at once; the points measured before it are kept, the one cut
short is dropped (a partial run is not a measurement of the point).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import ProbeError, ScenarioError
from ..model.sweep import Sweep, SweepPoint
from ..model.trace import Trace
from ..scenario import Scenario
from ..scenario.sweep import MAX_SWEEP_RUNS, SweepParam, format_value
from .session import ProbeSession, RunRequest


@dataclass(frozen=True)
class PlannedPoint:
    index: int
    value: float
    model: str
    repeat: int
    request: RunRequest

    def label(self, param: str) -> str:
        return f"{self.model} · {param} = {format_value(self.value)} · run {self.repeat}"


@dataclass(frozen=True)
class SweepPlan:
    """What to sweep. ``switch_interval_ms`` and ``pool_size`` are the settings the parameter does not vary."""

    scenario: Scenario
    param: SweepParam
    values: tuple[float, ...]
    models: tuple[str, ...]
    repeat: int = 1
    switch_interval_ms: float | None = None
    pool_size: int | None = None
    interpreter: str | None = None
    #: For the models that take one (``ModelSpec.takes_address``): the cluster they run on.
    address: str | None = None

    def points(self) -> list[PlannedPoint]:
        """Every run, in the order they run; :class:`ScenarioError` if a value is not allowed for a model."""
        total = len(self.values) * len(self.models) * self.repeat
        if total > MAX_SWEEP_RUNS:
            raise ScenarioError(
                f"the sweep would make {total:,} runs ({len(self.values)} values x {len(self.models)} models x "
                f"{self.repeat} repeats); at most {MAX_SWEEP_RUNS:,} are allowed"
            )
        requests = {}
        for value in self.values:
            scenario = self.param.apply(self.scenario, value)
            switch = value if self.param.kind == "switch-interval" else self.switch_interval_ms
            pool = int(value) if self.param.kind == "pool-size" else self.pool_size
            for model in self.models:
                scenario.check_run(model, pool)
                requests[value, model] = RunRequest(
                    scenario, model, switch, pool, self.interpreter, address=self.address
                )
        out = []
        for repeat in range(1, self.repeat + 1):
            for value in self.values:
                for model in self.models:
                    out.append(PlannedPoint(len(out), value, model, repeat, requests[value, model]))
        return out

    def empty_sweep(self) -> Sweep:
        return Sweep(
            param=self.param.name,
            param_label=self.param.label,
            values=list(self.values),
            models=list(self.models),
            repeat=self.repeat,
            scenario_name=self.scenario.name,
            scenario_text=self.scenario.text,
            planned=len(self.values) * len(self.models) * self.repeat,
        )


class SweepRunner:
    """Runs a plan. ``on_start(planned, sweep)`` before each run, ``on_done(point, sweep)`` after each,
    ``on_update(trace)`` as a run's events arrive (for a live view)."""

    def __init__(
        self,
        plan: SweepPlan,
        on_start: Callable[[PlannedPoint, Sweep], None] | None = None,
        on_done: Callable[[SweepPoint, Sweep], None] | None = None,
        on_update: Callable[[Trace], None] | None = None,
    ) -> None:
        self.plan = plan
        self.planned = plan.points()
        self.sweep = plan.empty_sweep()
        self._on_start, self._on_done, self._on_update = on_start, on_done, on_update
        self._session: ProbeSession | None = None
        self._stopping = False
        self.current: PlannedPoint | None = None
        self.current_started: float | None = None

    @property
    def stopping(self) -> bool:
        return self._stopping

    def stop(self) -> None:
        """Stop now: kill the run in progress and run no more. Safe at any time, more than once."""
        self._stopping = True
        if self._session is not None:
            self._session.stop()

    def pids(self) -> list[int]:
        return [self._session.pid] if self._session is not None and self._session.pid is not None else []

    async def run(self) -> Sweep:
        """Run every point; returns the sweep (``stopped`` set if :meth:`stop` cut it short).

        A probe failure raises :class:`ProbeError`; :attr:`sweep` still holds the points measured before it.
        """
        for planned in self.planned:
            if self._stopping:
                break
            self.current, self.current_started = planned, time.perf_counter()
            if self._on_start is not None:
                self._on_start(planned, self.sweep)
            self._session = ProbeSession(planned.request, on_update=self._on_update)
            try:
                result = await self._session.run()
            except ProbeError as exc:
                raise ProbeError(f"{planned.label(self.sweep.param)}: {exc}", trace=exc.trace) from None
            finally:
                self._session.stop()
            if result.stopped or self._stopping:
                break
            point = SweepPoint(
                planned.value,
                planned.model,
                planned.repeat,
                result.trace,
                wall_s=time.perf_counter() - self.current_started,
            )
            self.sweep.points.append(point)
            if self._on_done is not None:
                self._on_done(point, self.sweep)
            await asyncio.sleep(0)
        self.current = None
        self.sweep.stopped = self._stopping and len(self.sweep.points) < self.sweep.planned
        return self.sweep


def run_sweep_blocking(
    plan: SweepPlan,
    on_start: Callable[[PlannedPoint, Sweep], None] | None = None,
    on_done: Callable[[SweepPoint, Sweep], None] | None = None,
) -> Sweep:
    """Run a whole sweep from synchronous code (the CLI); Ctrl-C kills the probe, then propagates."""
    return asyncio.run(SweepRunner(plan, on_start, on_done).run())
