"""The layout holds: Qt only under ui/, no import circles, no import from the data side up into cli/ or ui/,
and a new concurrency model is its module alone."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from threadloom.model import STATES
from threadloom.probe import models as model_registry

from .conftest import REPO, group, run, scenario_text

PACKAGE = REPO / "app" / "threadloom"
#: Packages and modules that hold data and derive facts: none of them may reach up into cli/ or ui/.
DATA_SIDE = (
    "wire",
    "probe",
    "scenario",
    "engine",
    "model",
    "codegen",
    "viewmodel",
    "export",
    "errors",
    "_files",
    "report",
)
UPPER = ("cli", "ui")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every threadloom module that ``name`` imports, at module level, inside functions or for type checking."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # ``from . import sibling`` imports the sibling, not the package's other names.
            targets = [f"{stem}.{alias.name}" for alias in node.names]
            if any(t not in known for t in targets):
                targets.append(stem)
        else:
            continue
        for target in targets:
            # The longest known module the target names (a name imported from a module is not a module).
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        out.append(sorted(component))
    return out


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_import_walker_sees_relative_lazy_and_package_imports():
    graph = import_graph()
    assert "threadloom.model.gil" in graph["threadloom.model.trace"]  # relative, module level
    assert "threadloom.wire.format" in graph["threadloom.wire"]  # a package's face
    assert any(m.startswith("threadloom.ui") for m in graph["threadloom.cli.gui"])  # imported inside a function
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circles():
    assert _cycles(import_graph()) == []


def test_the_data_side_never_imports_cli_or_ui():
    bad = [
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        if _layer(module) in DATA_SIDE
        for target in targets
        if _layer(target) in UPPER
    ]
    assert bad == []


def test_nothing_outside_ui_loads_qt():
    """Import every module outside ui/ in a fresh interpreter: neither PySide6 nor pyqtgraph may come with them."""
    names = [m for m in _modules() if _layer(m) != "ui" and not m.endswith("__main__")]
    code = textwrap.dedent(
        f"""
        import importlib, json, sys
        for name in {names!r}:
            importlib.import_module(name)
        print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6"))))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(result.stdout) == []
    assert len(names) > 30  # the walk found the package


def test_ui_names_no_model():
    """Models are described by their specs: a view that names one would need editing for every new model."""
    names = [spec.name for spec in model_registry.specs()]
    offenders = []
    for path in (PACKAGE / "ui").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.name}: {name}" for name in names if f'"{name}"' in text or f"'{name}'" in text]
    assert offenders == []


LONELY = '''
"""A copy of the sequential model under another name: proof that a model is its module alone."""
from threadloom.probe.workload import QUEUED, now, run_task
from threadloom.probe.models._spec import GIL_SHARED, ModelSpec, all_steps_on
from threadloom.wire import WORKER_MAIN

SPEC = ModelSpec(
    name="lonely",
    description="one task after another, registered from outside the package",
    hint="Proof that a model needs no edits elsewhere.",
    lesson="Nothing overlaps.",
    worker_kinds=(WORKER_MAIN,),
    gil=GIL_SHARED,
    step_places=all_steps_on(WORKER_MAIN),
    max_tasks=3,
)


def run(run):
    ctx = run.ctx
    run.start_clock()
    for task in run.tasks:
        ctx.emit((now(), task["id"], -1, QUEUED))
    for task in run.tasks:
        run_task(ctx, task, WORKER_MAIN)
'''

TWO_TASKS = scenario_text(group("work", count=2, steps=[("cpu", 15), ("io", 10)]), name="two in a row")


@pytest.fixture
def lonely_model(tmp_path, monkeypatch):
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "lonely.py").write_text(LONELY)
    monkeypatch.setenv(model_registry.MODELS_PATH_ENV, str(folder))
    model_registry.refresh_models()
    yield "lonely"
    monkeypatch.delenv(model_registry.MODELS_PATH_ENV)
    model_registry.refresh_models()


@pytest.mark.gui
def test_a_model_registered_through_its_spec_alone_runs_and_draws(lonely_model, qapp):
    from threadloom.cli.run import models_help
    from threadloom.errors import ScenarioError
    from threadloom.scenario import parse_scenario
    from threadloom.ui.timeline import TimelineWidget

    assert lonely_model in model_registry.model_names()
    assert "registered from outside the package" in models_help()  # the CLI's help reads the spec
    trace, metrics = run(TWO_TASKS, lonely_model)
    assert trace.model == lonely_model and trace.complete
    assert trace.spec is not None and trace.spec.description.startswith("one task after another")
    # Run one after another on one worker: the second task starts after the first ends.
    seg = trace.segments()
    started = seg.state != STATES.index("queued")
    first, second = (seg.start[(seg.task == i) & started].min() for i in (0, 1))
    assert second >= trace.finished[0] > first
    assert metrics.groups["work"].count == 2
    # The spec's limit is enforced by the scenario loader, which never names the model itself.
    with pytest.raises(ScenarioError, match="at most 3 tasks"):
        parse_scenario(TWO_TASKS.replace("count = 2", "count = 4")).check_run(lonely_model, None)

    timeline = TimelineWidget()
    timeline.resize(900, 300)
    timeline.set_traces([trace], [lonely_model])
    timeline.show()
    qapp.processEvents()
    assert {"work-0", "work-1", "main thread"} <= set(timeline.row_labels())
    image = timeline.grab().toImage()
    assert image.width() > 0
    colors = {image.pixelColor(x, y).name() for x in range(0, image.width(), 7) for y in range(0, image.height(), 5)}
    assert len(colors) > 5  # drew segments, not an empty plot
    timeline.close()
    assert np.isfinite(metrics.makespan_ms)


def test_the_probe_and_the_scenario_loader_know_the_same_step_kinds():
    from threadloom.probe.models._spec import STEP_NAMES
    from threadloom.scenario import STEP_KINDS

    assert set(STEP_NAMES) == set(STEP_KINDS)
    assert all(set(spec.step_places) == set(STEP_NAMES) for spec in model_registry.specs())
