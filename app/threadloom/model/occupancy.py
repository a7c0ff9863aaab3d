"""Which segments occupy a worker: the one rule the worker rows and the worker lanes read.

A thread, a process or a pool's worker is occupied by its task whatever the
task does, waits included: a thread blocked in ``sleep`` is not free for other
work. A cooperative worker (an event loop) is occupied only by what runs on it;
a coroutine waiting on a timer or a socket has handed the loop back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..wire import STATE_CODES, WorkerKind

#: States that occupy a worker that is not cooperative (a thread, a process).
OCCUPYING = ("running", "native", "ready", "io", "blocked", "transfer")
#: States that occupy a cooperative worker (an event loop): only what runs on it.
COOPERATIVE_OCCUPYING = ("running", "native", "blocked")

#: ``_TABLE[cooperative, state code]``: whether that state occupies such a worker.
_TABLE = np.zeros((2, 256), dtype=bool)
_TABLE[0, [STATE_CODES[s] for s in OCCUPYING]] = True
_TABLE[1, [STATE_CODES[s] for s in COOPERATIVE_OCCUPYING]] = True


class _Worker(Protocol):
    @property
    def traits(self) -> WorkerKind: ...


def occupying_states(traits: WorkerKind) -> tuple[str, ...]:
    """The states in which a task occupies a worker of this kind."""
    return COOPERATIVE_OCCUPYING if traits.cooperative else OCCUPYING


def occupies(cooperative: bool, state: np.ndarray) -> np.ndarray:
    """Which of ``state`` (codes) occupy a worker that is (or is not) cooperative."""
    return _TABLE[int(bool(cooperative))][state]


def _empty(dtype: type) -> np.ndarray:
    return np.zeros(0, dtype=dtype)


@dataclass(frozen=True)
class WorkerTable:
    """A trace's workers as arrays, sorted by id, to apply the rule to many segments at once."""

    ids: np.ndarray = field(default_factory=lambda: _empty(np.int64))
    #: Per worker: occupied only by what runs on it (an event loop)?
    cooperative: np.ndarray = field(default_factory=lambda: _empty(bool))
    #: Per worker: lives for the whole run, so it sits idle until the run ends (a pool's worker, a loop)?
    long_lived: np.ndarray = field(default_factory=lambda: _empty(bool))

    @classmethod
    def of(cls, workers: Mapping[int, _Worker]) -> WorkerTable:
        ids = sorted(workers)
        return cls(
            np.array(ids, dtype=np.int64),
            np.array([workers[w].traits.cooperative for w in ids], dtype=bool),
            np.array([workers[w].traits.long_lived for w in ids], dtype=bool),
        )

    def __len__(self) -> int:
        return len(self.ids)

    def occupied(self, worker: np.ndarray, state: np.ndarray) -> np.ndarray:
        """Which segments (``worker`` ids and ``state`` codes) occupy their worker; False for an unknown worker."""
        if not len(self.ids):
            return np.zeros(len(worker), dtype=bool)
        pos = np.clip(np.searchsorted(self.ids, worker), 0, len(self.ids) - 1)
        return (self.ids[pos] == worker) & _TABLE[self.cooperative[pos].view(np.uint8), state]
