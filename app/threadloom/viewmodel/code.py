"""The Code tab's content: the plain program of each run, and two of them lined up, differences marked.

:func:`run_program` writes the program a run stands for (its scenario, its model, and the
switch interval and pool size it really ran with). :func:`compare_programs` lines two
programs up row by row with :mod:`difflib`: rows that match face each other, a changed
stretch is padded with filler rows on the shorter side, and each changed line carries the
character spans that differ (``async `` in ``async def wait``, ``await `` before a call), so
a view only paints. Qt-free.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from ..codegen import code_models, generate_program, program_file_name
from ..model import Trace
from ..probe.models import MODELS, spec_of
from ..scenario.load import Scenario

#: CPython's switch interval when nobody sets it, in ms: a run at this value needs no setswitchinterval line.
DEFAULT_SWITCH_MS = 5.0


@dataclass(frozen=True)
class RunProgram:
    """The program of one run, or why there is none (``text`` empty, ``problem`` says why)."""

    label: str
    model: str
    text: str
    file_name: str = "program.py"
    problem: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.text)


@dataclass(frozen=True)
class CodeLine:
    """One row of a pane. ``number`` is the line's number in the program (1-based), ``None`` on a filler row
    that stands for lines only the other program has; ``spans`` are ``(start, end)`` columns that differ."""

    text: str
    number: int | None
    changed: bool = False
    spans: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class CodePane:
    program: RunProgram
    lines: tuple[CodeLine, ...]

    @property
    def title(self) -> str:
        return self.program.label

    @property
    def changed_rows(self) -> tuple[int, ...]:
        """Rows (0-based, fillers included) whose line differs from the other program."""
        return tuple(i for i, line in enumerate(self.lines) if line.changed and line.number is not None)

    @property
    def display_text(self) -> str:
        """The rows as shown, fillers as empty lines (the program itself is ``program.text``)."""
        return "\n".join(line.text for line in self.lines)


@dataclass(frozen=True)
class CodeComparison:
    """One pane (a single run) or two lined up (a comparison), with a sentence about what changed."""

    panes: tuple[CodePane, ...]
    summary: str

    @property
    def comparing(self) -> bool:
        return len(self.panes) == 2


def run_overrides(trace: Trace, scenario: Scenario) -> tuple[float | None, int | None]:
    """The switch interval and pool size a run used where they differ from its scenario's (GUI knobs, flags)."""
    header = trace.header
    switch = scenario.switch_interval_ms
    ran = header.get("switch_interval_ms")
    if isinstance(ran, (int, float)) and abs(ran - (switch if switch is not None else DEFAULT_SWITCH_MS)) > 1e-9:
        switch = float(ran)
    pool = scenario.pool_size
    ran_pool = header.get("pool_size")
    if trace.model in MODELS and isinstance(ran_pool, int):
        cpus = header.get("cpu_count") if isinstance(header.get("cpu_count"), int) else 1
        expected = pool if pool is not None else spec_of(trace.model).default_pool_size(cpus)
        if ran_pool != expected:
            pool = ran_pool
    return switch, pool


def run_program(trace: Trace, label: str, scenario: Scenario | None) -> RunProgram:
    """The program ``trace``'s run stands for; without the scenario (or a model with no program) say why."""
    model = trace.model
    if scenario is None:
        return RunProgram(
            label, model, "", problem="The scenario of this run is not known here, so its program is not."
        )
    if str(trace.header.get("scenario", scenario.name)) != scenario.name:
        return RunProgram(label, model, "", problem=f"This run is not of the scenario {scenario.name}.")
    if model not in code_models():
        known = ", ".join(code_models())
        return RunProgram(label, model, "", problem=f"There is no program for the {model} model yet (only {known}).")
    switch, pool = run_overrides(trace, scenario)
    text = generate_program(scenario, model, switch_interval_ms=switch, pool_size=pool)
    return RunProgram(label, model, text, program_file_name(scenario, model))


def single_program(program: RunProgram) -> CodeComparison:
    lines = tuple(CodeLine(text, i + 1) for i, text in enumerate(program.text.splitlines()))
    if not program.ok:
        return CodeComparison((CodePane(program, ()),), program.problem)
    return CodeComparison((CodePane(program, lines),), f"{program.label}: {len(lines)} lines.")


def compare_programs(left: RunProgram, right: RunProgram) -> CodeComparison:
    """``left`` and ``right`` lined up row by row, the lines that differ marked on both sides."""
    if not (left.ok and right.ok):
        problem = left.problem or right.problem
        return CodeComparison((single_program(left).panes[0], single_program(right).panes[0]), problem)
    a, b = left.text.splitlines(), right.text.splitlines()
    rows_a: list[CodeLine] = []
    rows_b: list[CodeLine] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows_a += [CodeLine(a[i], i + 1) for i in range(i1, i2)]
            rows_b += [CodeLine(b[j], j + 1) for j in range(j1, j2)]
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + k, j1 + k
            left_text = a[i] if i < i2 else None
            right_text = b[j] if j < j2 else None
            spans_a, spans_b = _spans(left_text or "", right_text or "")
            rows_a.append(CodeLine(left_text, i + 1, True, spans_a) if left_text is not None else CodeLine("", None))
            rows_b.append(CodeLine(right_text, j + 1, True, spans_b) if right_text is not None else CodeLine("", None))
    panes = (CodePane(left, tuple(rows_a)), CodePane(right, tuple(rows_b)))
    return CodeComparison(panes, _summary(left, right, panes))


_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


def _spans(a: str, b: str) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """The columns of ``a`` and of ``b`` that differ, as ``(start, end)`` pairs; all of a line with no partner.

    Compared word by word (a word, a run of spaces, a punctuation mark), so ``async `` or ``await ``
    is marked whole, never a scatter of letters two words happen to share.
    """
    if not a or not b:
        return ((0, len(a)),) if a else (), ((0, len(b)),) if b else ()
    ta, tb = [m.span() for m in _TOKEN.finditer(a)], [m.span() for m in _TOKEN.finditer(b)]
    matcher = difflib.SequenceMatcher(None, [a[i:j] for i, j in ta], [b[i:j] for i, j in tb], autojunk=False)
    if matcher.ratio() < 0.5:  # mostly different: mark the whole line rather than confetti
        return ((0, len(a)),), ((0, len(b)),)
    out_a, out_b = [], []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if i2 > i1:
            out_a.append(_trim(a, ta[i1][0], ta[i2 - 1][1]))
        if j2 > j1:
            out_b.append(_trim(b, tb[j1][0], tb[j2 - 1][1]))
    return tuple(x for x in out_a if x[1] > x[0]), tuple(x for x in out_b if x[1] > x[0])


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """A span without the spaces it begins with (``await `` keeps its trailing space, loses a leading one)."""
    while start < end and text[start] == " ":
        start += 1
    return start, end


_DEF = re.compile(r"^(async\s+)?def\s+(\w+)", re.MULTILINE)


def _coroutines(text: str) -> set[str]:
    return {m.group(2) for m in _DEF.finditer(text) if m.group(1)}


def _summary(left: RunProgram, right: RunProgram, panes: tuple[CodePane, CodePane]) -> str:
    changed = max(len(panes[0].changed_rows), len(panes[1].changed_rows))
    if not changed:
        return f"{left.label} and {right.label}: the same program."
    parts = [f"{left.label} → {right.label}: {changed} line{'s' if changed != 1 else ''} differ"]
    gained = sorted(_coroutines(right.text) - _coroutines(left.text))
    lost = sorted(_coroutines(left.text) - _coroutines(right.text))
    if gained:
        parts.append(f"{_names(gained)} became coroutines (async def)")
    if lost:
        parts.append(f"{_names(lost)} stopped being coroutines")
    offload_a, offload_b = left.text.count("asyncio.to_thread("), right.text.count("asyncio.to_thread(")
    if offload_b > offload_a:
        n = offload_b - offload_a
        parts.append(f"{n} call{'s go' if n != 1 else ' goes'} to a thread (asyncio.to_thread)")
    elif offload_a > offload_b:
        n = offload_a - offload_b
        parts.append(f"{n} call{'s' if n != 1 else ''} no longer go{'' if n != 1 else 'es'} to a thread")
    return "; ".join(parts) + "."


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    return f"{len(names)} function{'s' if len(names) != 1 else ''} ({shown})"


__all__ = [
    "CodeComparison",
    "CodeLine",
    "CodePane",
    "RunProgram",
    "compare_programs",
    "run_overrides",
    "run_program",
    "single_program",
]
