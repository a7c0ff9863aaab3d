"""What a sweep varies: one parameter of a run or of a scenario, over a list or range of values.

Parameters are named as the run settings are (``switch-interval``, ``pool-size``),
plus ``count:GROUP`` (how many tasks a group has) and ``amount:GROUP:STEP``
(the amount of one step of a group; STEP is the step's position from 0 or its
kind, such as ``io``). Values are a comma-separated list of numbers and ranges:
``1,2,4,8``, ``1..8`` (every whole number), ``0.5..5:0.5`` (a step),
``1..64*2`` (times 2 each). Bad names and values raise :class:`ScenarioError`
saying what is allowed.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass

from .._text import format_value
from ..errors import ScenarioError
from .load import (
    MAX_DATA_KB,
    MAX_POOL,
    MAX_REPEAT,
    MAX_STEP_MS,
    MAX_SWITCH_INTERVAL_MS,
    MAX_TASKS,
    Scenario,
    size_problem,
)

#: Most points one sweep runs (values x models x repeats).
MAX_SWEEP_RUNS = 1_000
#: Most values one parameter takes.
MAX_VALUES = 200
PARAM_FORMS = "switch-interval, pool-size, count:GROUP or amount:GROUP:STEP"


@dataclass(frozen=True)
class SweepParam:
    """One parameter: its kind (``switch-interval``, ``pool-size``, ``count``, ``amount``) and where it applies."""

    kind: str
    group: str | None = None
    step: int | None = None
    step_kind: str | None = None

    @property
    def name(self) -> str:
        """How it is written: ``pool-size``, ``count:wait``, ``amount:wait:0``."""
        if self.kind == "count":
            return f"count:{self.group}"
        if self.kind == "amount":
            return f"amount:{self.group}:{self.step}"
        return self.kind

    @property
    def integer(self) -> bool:
        return self.kind in ("pool-size", "count") or self.step_kind == "net"

    @property
    def unit(self) -> str:
        if self.kind == "switch-interval":
            return "ms"
        if self.kind == "amount":
            return {"net": "round trips", "data": "KB"}.get(self.step_kind, "ms")
        return "workers" if self.kind == "pool-size" else "tasks"

    @property
    def label(self) -> str:
        """Axis wording: "pool size (workers)", "tasks in wait", "io ms of wait (step 0)"."""
        if self.kind == "switch-interval":
            return "switch interval (ms)"
        if self.kind == "pool-size":
            return "pool size (workers)"
        if self.kind == "count":
            return f"tasks in {self.group}"
        return f"{self.step_kind} of {self.group}, step {self.step} ({self.unit})"

    def limits(self) -> tuple[float, float, bool]:
        """(lowest, highest, whether the lowest is excluded)."""
        if self.kind == "switch-interval":
            return 0.0, MAX_SWITCH_INTERVAL_MS, True
        if self.kind == "pool-size":
            return 1, MAX_POOL, False
        if self.kind == "count":
            return 1, MAX_TASKS, False
        if self.step_kind == "net":
            return 1, MAX_REPEAT, False
        if self.step_kind == "data":
            return 0.0, MAX_DATA_KB, True
        return 0.0, MAX_STEP_MS, True

    def apply(self, scenario: Scenario, value: float) -> Scenario:
        """The scenario with this parameter set to ``value`` (run settings are left to the run request)."""
        if self.kind in ("switch-interval", "pool-size"):
            return scenario
        groups = []
        for g in scenario.groups:
            if g.name == self.group:
                if self.kind == "count":
                    g = dataclasses.replace(g, count=int(value))
                else:
                    steps = list(g.steps)
                    kind, _ = steps[self.step]
                    steps[self.step] = (kind, int(value) if kind == "net" else float(value))
                    g = dataclasses.replace(g, steps=tuple(steps))
            groups.append(g)
        out = dataclasses.replace(scenario, groups=tuple(groups))
        _check_size(out, self, value)
        return out


def parse_param(text: str, scenario: Scenario) -> SweepParam:
    """``pool-size``, ``count:wait``, ``amount:wait:io`` or ``amount:wait:0``, checked against ``scenario``."""
    text = (text or "").strip()
    parts = text.split(":")
    head = parts[0]
    if head in ("switch-interval", "pool-size") and len(parts) == 1:
        return SweepParam(head)
    groups = {g.name: g for g in scenario.groups}
    names = ", ".join(groups)
    if head == "count" and len(parts) == 2:
        if parts[1] not in groups:
            raise ScenarioError(
                f"sweep parameter {text!r}: {scenario.source} has no group {parts[1]!r}; its groups: {names}"
            )
        return SweepParam("count", parts[1])
    if head == "amount" and len(parts) == 3:
        group = groups.get(parts[1])
        if group is None:
            raise ScenarioError(
                f"sweep parameter {text!r}: {scenario.source} has no group {parts[1]!r}; its groups: {names}"
            )
        steps = [f"{i}={kind}" for i, (kind, _) in enumerate(group.steps)]
        where = parts[2]
        if where.isdigit():
            index = int(where)
            if index >= len(group.steps):
                raise ScenarioError(
                    f"sweep parameter {text!r}: group {group.name} has steps {', '.join(steps)}; no step {index}"
                )
        else:
            found = [i for i, (kind, _) in enumerate(group.steps) if kind == where]
            if len(found) != 1:
                problem = "no" if not found else "more than one"
                raise ScenarioError(
                    f"sweep parameter {text!r}: group {group.name} has {problem} {where!r} step "
                    f"(its steps: {', '.join(steps)}); name the step by its number"
                )
            index = found[0]
        return SweepParam("amount", group.name, index, group.steps[index][0])
    raise ScenarioError(f"sweep parameter {text!r}: expected {PARAM_FORMS}")


_NUMBER = r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*"
_RANGE = re.compile(_NUMBER + r"\.\." + _NUMBER + r"(?:([:*])" + _NUMBER + r")?")


def parse_values(text: str, param: SweepParam) -> list[float]:
    """The values of ``text`` for ``param``, in order and without repeats; see the module docstring."""
    where = f"sweep values {text!r}"
    out: list[float] = []
    for item in (text or "").split(","):
        if not item.strip():
            continue
        m = _RANGE.fullmatch(item)
        if m:
            out += _expand(float(m.group(1)), float(m.group(2)), m.group(3), m.group(4), param, where, item)
        else:
            try:
                out.append(float(item))
            except ValueError:
                raise ScenarioError(
                    f"{where}: {item.strip()!r} is not a number or a range (1,2,4,8 or 1..8 or 0.5..5:0.5 or 1..64*2)"
                ) from None
        if len(out) > MAX_VALUES:
            raise ScenarioError(f"{where}: more than {MAX_VALUES} values; sweep fewer")
    if not out:
        raise ScenarioError(f"{where}: no values; give a list like 1,2,4,8 or a range like 1..8")
    low, high, open_low = param.limits()
    for v in out:
        bad = not math.isfinite(v) or (v <= low if open_low else v < low) or v > high
        if bad:
            bound = f"greater than {low:g}" if open_low else f"from {low:g}"
            raise ScenarioError(f"{where}: {param.name} must be {bound} to {high:,g} {param.unit}, got {v:g}")
        if param.integer and v != int(v):
            raise ScenarioError(f"{where}: {param.name} takes whole numbers ({param.unit}), got {v:g}")
    return list(dict.fromkeys(int(v) if param.integer else v for v in out))


def _expand(
    a: float, b: float, op: str | None, by: str | None, param: SweepParam, where: str, item: str
) -> list[float]:
    if b < a:
        raise ScenarioError(f"{where}: the range {item.strip()!r} runs backwards; write the smaller value first")
    if op is None:
        step = 1.0
        if not param.integer:
            raise ScenarioError(f"{where}: give {item.strip()!r} a step, like {a:g}..{b:g}:{(b - a) / 4 or 1:g}")
        op, factor = ":", step
    else:
        factor = float(by)
    if (op == ":" and factor <= 0) or (op == "*" and (factor <= 1 or a <= 0)):
        rule = "a step greater than 0" if op == ":" else "a factor greater than 1 from a start above 0"
        raise ScenarioError(f"{where}: the range {item.strip()!r} needs {rule}")
    out, v, i = [], a, 0
    while v <= b * (1 + 1e-9):
        out.append(round(v, 9))
        i += 1
        if len(out) > MAX_VALUES:
            raise ScenarioError(f"{where}: more than {MAX_VALUES} values; sweep fewer")
        v = a + i * factor if op == ":" else a * factor**i
    return out


def _check_size(scenario: Scenario, param: SweepParam, value: float) -> None:
    problem = size_problem(scenario.groups)
    if problem:
        raise ScenarioError(f"{param.name} = {format_value(value)} is too big: {problem}")
