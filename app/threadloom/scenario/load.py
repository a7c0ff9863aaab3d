"""Load and validate scenario files.

Validation happens here, in the parent, so the probe (which may run under
Python 3.9, without :mod:`tomllib`) receives plain, trusted JSON.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._text import printable, shown
from ..errors import ScenarioError
from ..probe.models import MODELS, model_names, spec_of
from ..wire import worker_kind

STEP_KINDS = {
    "cpu": "ms of pure-Python work that holds the GIL",
    "native": "ms of C work (hashing) that releases the GIL",
    "io": "ms of cooperative waiting (sleep / asyncio.sleep)",
    "net": "round trips to a loopback echo peer",
    "block": "ms of a blocking time.sleep, even inside a coroutine",
    "lock": "ms of pure-Python work holding the scenario's one shared lock (waiting for it is blocked)",
    "data": (
        "KB the task hands to where its work runs and gets back: free for threads and coroutines, "
        "pickled and copied between processes (the transfer state)"
    ),
}
#: Most data one task may hand over, in KB (1 GiB).
MAX_DATA_KB = 1_048_576
#: Most data all tasks together may hand over, in KB (2 GiB): a process pool holds every pickled
#: argument from submission until its task ends, and the result as big again.
MAX_TOTAL_DATA_KB = 2_097_152
#: Tasks in one scenario, all groups together.
MAX_TASKS = 20_000
#: The largest pool any model accepts; a model's spec may set a lower limit.
MAX_POOL = 1_024
MAX_REPEAT = 1_000_000
#: Longest single step, in ms (ten minutes).
MAX_STEP_MS = 600_000
#: Step executions over the whole run (net counts each round trip); beyond this
#: the trace would not fit comfortably in memory on an ordinary machine.
MAX_STEP_EXECUTIONS = 5_000_000
MAX_SWITCH_INTERVAL_MS = 1_000.0
#: CPython keeps the switch interval in whole microseconds: less than one becomes 0.
MIN_SWITCH_INTERVAL_MS = 0.001
#: Open files a probe (and the echo peer) needs besides one socket per connection.
FD_MARGIN = 64

_TOP_KEYS = {"name", "description", "lesson", "run", "groups"}
_RUN_KEYS = {"model", "compare_with", "switch_interval_ms", "pool_size", "peer_delay_ms"}
#: Longest answer delay of the echo peer for net steps, in ms.
MAX_PEER_DELAY_MS = 1_000.0
_GROUP_KEYS = {"name", "count", "repeat", "steps"}


@dataclass(frozen=True)
class Group:
    name: str
    count: int
    repeat: int
    steps: tuple[tuple[str, float], ...]

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(kind for kind, _ in self.steps)


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. ``source`` names where it came from, for messages."""

    name: str
    description: str
    groups: tuple[Group, ...]
    model: str | None = None
    switch_interval_ms: float | None = None
    pool_size: int | None = None
    peer_delay_ms: float = 0.0
    source: str = "<scenario>"
    text: str = field(default="", repr=False, compare=False)
    #: What the scheduler view's "What to look for" says for this scenario ("": the model's own, by its work).
    lesson: str = ""
    #: Models the app ticks beside :attr:`model` for this scenario: the comparison it was written for.
    compare_with: tuple[str, ...] = ()

    @property
    def task_count(self) -> int:
        return sum(g.count for g in self.groups)

    def tasks(self) -> list[dict[str, Any]]:
        """The probe's task list: one entry per task, ids in group order."""
        out = []
        for group in self.groups:
            for index in range(group.count):
                out.append(
                    {
                        "id": len(out),
                        "group": group.name,
                        "index": index,
                        "name": f"{group.name}-{index}",
                        "repeat": group.repeat,
                        "steps": [list(step) for step in group.steps],
                    }
                )
        return out

    def check_run(self, model: str, pool_size: int | None, fd_limit: int | None = None) -> None:
        """Refuse settings the model's spec does not allow, before anything starts.

        ``pool_size`` is ignored for a model without a pool. ``fd_limit`` is the
        open-file limit the probe will have (default: this process's hard limit,
        which the probe and the echo peer raise their own to).
        """
        spec = spec_of(model)
        if spec.max_tasks is not None and self.task_count > spec.max_tasks:
            roomier = [s.name for s in map(spec_of, model_names()) if s.max_tasks is None and s.has_pool]
            raise ScenarioError(
                f"{self.source}: the {model} model ({spec.description}) takes at most {spec.max_tasks} tasks; "
                f"this scenario has {self.task_count}"
                + (f" (use {' or '.join(roomier[:2])} for more)" if roomier else "")
            )
        limit = spec.max_pool_size
        if spec.has_pool and pool_size is not None and limit is not None and pool_size > limit:
            raise ScenarioError(f"{self.source}: [run].pool_size for {model} must be at most {limit}, got {pool_size}")
        sockets = self.connections(model, pool_size)
        files = fd_limit if fd_limit is not None else open_file_limit()
        if sockets and files is not None and sockets + FD_MARGIN > files:
            raise ScenarioError(
                f"{self.source}: under {model}, {sockets:,} tasks with net steps hold a connection to the echo "
                f"peer at once, one open file each; the open-file limit here is {files:,} (RLIMIT_NOFILE, "
                f"ulimit -n): use at most {max(files - FD_MARGIN, 0):,} such tasks, or a pool model"
            )

    def connections(self, model: str, pool_size: int | None) -> int:
        """How many connections to the echo peer the probe holds at once under ``model``.

        A coroutine or a thread of its own per task keeps one per task; a pool's worker one per worker.
        """
        net_tasks = sum(g.count for g in self.groups if "net" in g.kinds)
        if not net_tasks:
            return 0
        spec = spec_of(model)
        place = worker_kind(spec.step_places.get("net", ""))
        if place.cooperative or place.per_task:
            return net_tasks
        workers = (pool_size or spec.default_pool_size(os.cpu_count() or 1) or 1) if spec.has_pool else 1
        return min(net_tasks, workers)


def open_file_limit() -> int | None:
    """The most files a probe can open: the hard RLIMIT_NOFILE (it raises its soft limit to it)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return 65_536 if hard == resource.RLIM_INFINITY else int(hard)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise :class:`ScenarioError` naming the problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(
            f"{path}: no such file (give a scenario file or a preset name; see `threadloom presets`)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read it: {exc}") from None
    return parse_scenario(text, source=str(path))


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Validate scenario TOML text. ``source`` prefixes every error message."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {printable(exc)}") from None
    except ValueError as exc:  # an integer of thousands of digits
        raise ScenarioError(f"{source}: not valid TOML: {printable(exc)}") from None
    except RecursionError:
        raise ScenarioError(f"{source}: not valid TOML: arrays or tables nested too deeply") from None
    v = _Validator(source)
    v.keys(data, _TOP_KEYS, "the top level")
    name = v.text(data.get("name", Path(source).stem), "name")
    description = v.text(data.get("description", ""), "description", allow_empty=True)
    lesson = v.text(data.get("lesson", ""), "lesson", allow_empty=True).strip()
    run = data.get("run", {})
    if not isinstance(run, dict):
        v.fail("[run]", "must be a table", run)
    v.keys(run, _RUN_KEYS, "[run]")
    model = run.get("model")
    if model is not None and (not isinstance(model, str) or model not in MODELS):
        v.fail("[run].model", f"must be one of {', '.join(model_names())}", model)
    compare_with = run.get("compare_with", [])
    if not isinstance(compare_with, list) or not all(isinstance(m, str) and m in MODELS for m in compare_with):
        v.fail("[run].compare_with", f"must be a list of models, each one of {', '.join(model_names())}", compare_with)
    switch = run.get("switch_interval_ms")
    if switch is not None:
        switch = v.number(switch, "[run].switch_interval_ms", MIN_SWITCH_INTERVAL_MS, MAX_SWITCH_INTERVAL_MS)
    pool = run.get("pool_size")
    if pool is not None:
        pool = v.integer(pool, "[run].pool_size", 1, MAX_POOL)
    peer_delay = v.number(run.get("peer_delay_ms", 0), "[run].peer_delay_ms", 0.0, MAX_PEER_DELAY_MS)

    raw_groups = data.get("groups")
    if not isinstance(raw_groups, list) or not raw_groups:
        v.fail("groups", "must be a non-empty array of tables ([[groups]])", raw_groups)
    groups = []
    seen = set()
    for gi, raw in enumerate(raw_groups):
        where = f"groups[{gi}]"
        if not isinstance(raw, dict):
            v.fail(where, "must be a table", raw)
        v.keys(raw, _GROUP_KEYS, where)
        gname = v.text(raw.get("name", f"group{gi}"), f"{where}.name")
        if gname in seen:
            v.fail(f"{where}.name", "must be unique", gname)
        seen.add(gname)
        count = v.integer(raw.get("count", 1), f"{where}.count", 1, MAX_TASKS)
        repeat = v.integer(raw.get("repeat", 1), f"{where}.repeat", 1, MAX_REPEAT)
        raw_steps = raw.get("steps")
        if not isinstance(raw_steps, list) or not raw_steps:
            v.fail(f"{where}.steps", "must be a non-empty array like [{ cpu = 10 }, { io = 5 }]", raw_steps)
        steps = []
        for si, step in enumerate(raw_steps):
            swhere = f"{where}.steps[{si}]"
            if not isinstance(step, dict) or len(step) != 1:
                v.fail(swhere, "must be a table with exactly one of " + ", ".join(STEP_KINDS), step)
            ((kind, amount),) = step.items()
            if kind not in STEP_KINDS:
                v.fail(
                    swhere, f"has unknown step kind {shown(kind)}; allowed: {', '.join(STEP_KINDS)}", None, show=False
                )
            if kind == "net":
                amount = v.integer(amount, f"{swhere}.net", 1, MAX_REPEAT)
            elif kind == "data":
                amount = v.number(amount, f"{swhere}.data", 0.0, MAX_DATA_KB, open_low=True)
            else:
                amount = v.number(amount, f"{swhere}.{kind}", 0.0, MAX_STEP_MS, open_low=True)
            steps.append((kind, amount))
        groups.append(Group(gname, count, repeat, tuple(steps)))
    problem = size_problem(groups)
    if problem:
        raise ScenarioError(f"{source}: {problem}")
    others = tuple(dict.fromkeys(m for m in compare_with if m != model))
    return Scenario(
        name, description, tuple(groups), model, switch, pool, peer_delay, source, text, lesson, compare_with=others
    )


def size_problem(groups: list[Group] | tuple[Group, ...]) -> str | None:
    """What makes these groups too big to run here, or None: tasks, step executions, data, all told.

    The loader and a sweep (which sets counts and amounts after loading) hold scenarios to this one rule.
    """
    total = sum(g.count for g in groups)
    if total > MAX_TASKS:
        return f"{total:,} tasks in all; at most {MAX_TASKS:,} are allowed"
    executions = sum(g.count * g.repeat * sum(a if k == "net" else 1 for k, a in g.steps) for g in groups)
    if executions > MAX_STEP_EXECUTIONS:
        return (
            f"count x repeat x steps comes to {executions:,} step executions; "
            f"at most {MAX_STEP_EXECUTIONS:,} fit in memory (lower count or repeat)"
        )
    data_kb = sum(g.count * amount for g in groups for kind, amount in g.steps if kind == "data")
    if data_kb > MAX_TOTAL_DATA_KB:
        return (
            f"the data steps come to {data_kb / 2**20:,.1f} GiB over all tasks (count x data); "
            f"at most {MAX_TOTAL_DATA_KB // 2**20} GiB fit in a process pool's memory (lower count or data)"
        )
    return None


class _Validator:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, rule: str, got: Any, show: bool = True) -> None:
        suffix = f", got {shown(got)}" if show else ""
        raise ScenarioError(f"{self.source}: {where} {rule}{suffix}")

    def keys(self, table: dict, allowed: set[str], where: str) -> None:
        for key in table:
            if key not in allowed:
                self.fail(
                    where, f"has unknown key {shown(key)}; allowed: {', '.join(sorted(allowed))}", None, show=False
                )

    def text(self, value: Any, where: str, allow_empty: bool = False) -> str:
        if not isinstance(value, str) or (not allow_empty and not value.strip()):
            self.fail(where, "must be a non-empty string" if not allow_empty else "must be a string", value)
        return value

    def integer(self, value: Any, where: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(where, f"must be a whole number from {low} to {high:,}", value)
        return value

    def number(self, value: Any, where: str, low: float, high: float, open_low: bool = False) -> float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        # Compare before any float(): a 400-digit integer is a fine int but overflows a float.
        ok = ok and (isinstance(value, int) or math.isfinite(value))
        if ok:
            ok = (value > low if open_low else value >= low) and value <= high
        if not ok:
            bound = f"greater than {low:g}" if open_low else f"at least {low:g}"
            top = f"{int(high):,}" if float(high).is_integer() else f"{high:,g}"  # never 1.04858e+06
            self.fail(where, f"must be a number {bound} and at most {top}", value)
        return float(value)
