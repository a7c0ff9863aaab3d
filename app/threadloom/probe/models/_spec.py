"""What a concurrency model is, stated once, for everything that is not the model's own code.

Each model module in this package has ``SPEC = ModelSpec(...)`` and ``run(run)``.
The scenario loader reads the limits, the engine the pool default, the trace and
the views the worker kinds and the GIL rule, the CLI and the GUI the words.
Standard library only, Python 3.9 syntax: the probe imports it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, Optional, Tuple

#: Every worker of the model runs in the probe's one process and shares its GIL.
GIL_SHARED = "shared"
#: Each worker is a process of its own, with an interpreter and a GIL of its own.
GIL_PER_WORKER = "per-worker"

#: Keys of :attr:`ModelSpec.lessons`, by what the scenario's tasks do.
WORK_CPU = "cpu"
WORK_NATIVE = "native"
WORK_WAITS = "waits"
WORK_MIXED = "cpu+waits"
_WAIT_STEPS = frozenset({"io", "net", "block"})
#: Every step kind the probe runs (``scenario/load.py`` describes each for users).
STEP_NAMES = ("cpu", "native", "io", "net", "block", "lock", "data")


def all_steps_on(worker_kind: str, **elsewhere: str) -> Dict[str, str]:
    """``step_places`` for a model whose steps all run on one kind of worker, but those named."""
    return {step: elsewhere.get(step, worker_kind) for step in STEP_NAMES}


def _no_pool(cpu_count: int) -> Optional[int]:
    return None


@dataclass(frozen=True)
class ModelSpec:
    """One concurrency model, described for the parent process.

    Attributes:
        name: what users type (``--model``, ``[run].model``).
        description: one line for ``--help``, the CLI's tables and the GUI's tooltips.
        hint: one sentence that teaches what to expect, shown beside the model's checkbox.
        lesson: the scheduler view's paragraph about this model.
        worker_kinds: the kinds (``threadloom.wire.WORKER_*``) of the workers it creates.
        gil: :data:`GIL_SHARED` or :data:`GIL_PER_WORKER`.
        step_places: for each step kind, the worker kind it runs on.
        default_pool_size: ``cpu_count -> size``, or ``None`` for a model without a pool.
        max_tasks: most tasks it can take (one OS thread each, say), or ``None``.
        max_pool_size: the largest pool it accepts, or ``None``.
        min_python: the oldest interpreter it runs under.
        packages: modules it imports beyond the standard library.
        lessons: lessons that replace :attr:`lesson` for one kind of work (keys ``WORK_*``).
        no_gil_lesson: the lesson on an interpreter running without a GIL, where it differs.
        address_help: for a model that can run on machinery that already exists somewhere (a Ray
            cluster), what the address it takes is, in one line for the CLI's help and the app's field;
            "" for a model that takes none. The address reaches the probe as ``config["address"]``.
    """

    name: str
    description: str
    hint: str
    lesson: str
    worker_kinds: Tuple[str, ...]
    gil: str
    step_places: Dict[str, str]
    default_pool_size: Callable[[int], Optional[int]] = _no_pool
    max_tasks: Optional[int] = None
    max_pool_size: Optional[int] = None
    min_python: Tuple[int, int] = (3, 9)
    packages: Tuple[str, ...] = ()
    lessons: Dict[str, str] = field(default_factory=dict)
    no_gil_lesson: str = ""
    address_help: str = ""

    @property
    def has_pool(self) -> bool:
        """Whether ``pool_size`` means anything to this model."""
        return self.default_pool_size(1) is not None

    @property
    def takes_address(self) -> bool:
        """Whether the model can be pointed at an address (``--ray-address``, the app's address field)."""
        return bool(self.address_help)

    @property
    def shares_gil(self) -> bool:
        return self.gil == GIL_SHARED

    def lesson_for(self, step_kinds, gil_enabled: bool = True) -> str:
        """The scheduler view's lesson for a run whose tasks do ``step_kinds``."""
        if not gil_enabled and self.no_gil_lesson:
            return self.no_gil_lesson
        return self.lessons.get(work_of(step_kinds), self.lesson)


def work_of(step_kinds) -> str:
    """Classify a scenario by its step kinds: one of the ``WORK_*`` keys, or "" for none of them."""
    kinds = set(step_kinds)
    waits = bool(kinds & _WAIT_STEPS)
    if "cpu" in kinds or "lock" in kinds:  # a lock step crunches while holding the lock
        return WORK_MIXED if waits else WORK_CPU
    if "native" in kinds:
        return WORK_NATIVE
    return WORK_WAITS if waits else ""
