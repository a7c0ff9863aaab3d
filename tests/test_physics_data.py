"""What big arguments cost: a ``data`` step is pickled and copied between processes, free between threads.

Ratios and orderings only, as every physics test here: this is a noisy shared 2-core box.
"""

from __future__ import annotations

import numpy as np
import pytest

from threadloom.wire import STATE_CODES

from .conftest import group, run, scenario_text
from .test_physics import holds_within_attempts

pytestmark = pytest.mark.physics

TRANSFER = STATE_CODES["transfer"]
QUEUED = STATE_CODES["queued"]


def _handing(kb: float) -> str:
    return scenario_text(group("hand", count=4, steps=[("data", kb), ("cpu", 20)]), name=f"four tasks, {kb} KB each")


def _transfer(trace, where) -> float:
    """Time in ``transfer`` on no worker (``where="probe"``) or on a worker (``"worker"``), in ms."""
    seg = trace.segments()
    sel = (seg.state == TRANSFER) & ((seg.worker == -1) if where == "probe" else (seg.worker >= 0))
    return float((seg.end[sel] - seg.start[sel]).sum()) / 1e6


def test_a_process_pool_pays_to_hand_over_twenty_megabytes_and_a_thread_pool_does_not():
    def measure():
        trace, m = run(_handing(20_000), "process-pool", pool_size=2)
        # Tens of ms at least: four 20 MB arguments and four 20 MB results, each pickled, piped and unpickled.
        assert m.transfer_ms > 20, m.state_ms
        # Both sides pay: the probe pickles arguments and unpickles results; the workers the reverse.
        assert _transfer(trace, "probe") > 2 and _transfer(trace, "worker") > 2, m.state_ms
        assert all(trace.finished >= 0), "every task finished"
        return m

    holds_within_attempts(measure)
    trace, m = run(_handing(20_000), "thread-pool", pool_size=2)
    assert m.transfer_ms == 0 and not np.any(trace.segments().state == TRANSFER), "threads share the data"
    assert all(trace.finished >= 0)


def test_twenty_megabytes_cost_a_process_pool_far_more_than_one_kilobyte():
    def measure():
        _, small = run(_handing(1), "process-pool", pool_size=2)
        _, big = run(_handing(20_000), "process-pool", pool_size=2)
        assert big.transfer_ms > 3 * small.transfer_ms + 10, (small.transfer_ms, big.transfer_ms)

    holds_within_attempts(measure)


def test_every_task_with_data_ends_after_its_worker_is_done_with_it():
    """The probe records a task done once it has unpickled the result: after every event of its worker."""
    trace, _ = run(_handing(2_000), "process-pool", pool_size=2)
    seg = trace.segments()
    for task in range(len(trace.tasks)):
        mine = seg.task == task
        assert trace.finished[task] >= seg.end[mine].max()
        order = np.argsort(seg.start[mine], kind="stable")
        states, workers = seg.state[mine][order], seg.worker[mine][order]
        first = np.flatnonzero(states != QUEUED)[0]  # it may wait for the pool's feeder before that
        assert states[first] == TRANSFER and workers[first] == -1, "pickled where it was submitted first"
        assert states[-1] == TRANSFER and workers[-1] == -1, "its result travelling back last"
        assert states[-2] == TRANSFER and workers[-2] >= 0, "after its worker pickled the result"
        starts = np.sort(seg.start[mine])
        assert np.all(np.diff(starts) >= 0)
