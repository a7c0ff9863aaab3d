"""Concurrency models, one module each, found by looking.

A model module has ``SPEC`` (a :class:`ModelSpec`: everything the rest of
Threadloom needs to know about it) and ``run(run: ProbeRun) -> None``, which
calls ``run.start_clock()`` once its machinery is ready, submits every task of
``run.tasks`` (recording ``queued`` or ``ready`` at submission) and returns
when all are done.

Adding a model is adding a module here: every module of this package whose
name does not start with ``_`` is one. Modules in the folders named by the
environment variable ``THREADLOOM_MODELS_PATH`` (``os.pathsep``-separated) are
models too; the probe inherits the variable, so both sides see the same set.
Standard library only: a model that needs gevent or Ray imports it inside ``run``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
from typing import Dict, List

from ._spec import GIL_PER_WORKER, GIL_SHARED, ModelSpec

#: Environment variable naming extra folders of model modules.
MODELS_PATH_ENV = "THREADLOOM_MODELS_PATH"
#: The order models are listed in when nothing else decides it.
_PREFERRED = ("threads", "thread-pool", "asyncio", "asyncio-offload", "process-pool", "sequential")

#: The model a scenario runs under when neither it nor the user names one.
DEFAULT_MODEL = "threads"

#: name -> model module. Filled by :func:`refresh_models`; the same dict object throughout.
MODELS: Dict[str, object] = {}


def _load_extra(folder: str) -> List[object]:
    found = []
    for info in sorted(pkgutil.iter_modules([folder]), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        location = os.path.join(folder, info.name + ".py")
        spec = importlib.util.spec_from_file_location("threadloom_extra_model_" + info.name, location)
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found.append(module)
    return found


def refresh_models() -> Dict[str, object]:
    """Find the model modules again (after ``THREADLOOM_MODELS_PATH`` changed, say)."""
    modules = [
        importlib.import_module(__name__ + "." + info.name)
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    ]
    for folder in filter(None, os.environ.get(MODELS_PATH_ENV, "").split(os.pathsep)):
        if os.path.isdir(folder):
            modules.extend(_load_extra(folder))
    rank = {name: i for i, name in enumerate(_PREFERRED)}
    modules.sort(key=lambda m: (rank.get(m.SPEC.name, len(rank)), m.SPEC.name))
    MODELS.clear()
    MODELS.update((m.SPEC.name, m) for m in modules)
    return MODELS


def model_names() -> tuple:
    """Every model's name, in display order."""
    return tuple(MODELS)


def spec_of(name: str) -> ModelSpec:
    """The spec of a model; ``KeyError`` for an unknown name (callers check with ``in MODELS``)."""
    return MODELS[name].SPEC


def specs() -> List[ModelSpec]:
    return [m.SPEC for m in MODELS.values()]


refresh_models()

__all__ = [
    "DEFAULT_MODEL",
    "GIL_PER_WORKER",
    "GIL_SHARED",
    "MODELS",
    "MODELS_PATH_ENV",
    "ModelSpec",
    "model_names",
    "refresh_models",
    "spec_of",
    "specs",
]
