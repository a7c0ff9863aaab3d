"""The probe measures real scheduling: ratios and orderings that physics dictates.

Margins are wide on purpose: this runs on shared, noisy 2-core machines,
sometimes beside other CPU-bound jobs.
"""

from __future__ import annotations

import numpy as np
import pytest

from threadloom.wire import STATE_CODES

from .conftest import run

pytestmark = pytest.mark.physics


def holds_within_attempts(measure, attempts: int = 3):
    """Measure up to ``attempts`` times; return the first result whose checks pass.

    A shared machine sometimes starves one run of CPU for a moment, which can
    blur any single measurement. If the effect is real it shows in one of a
    few tries; if it is not there at all, every try fails and so does the test.
    """
    failure = None
    for _ in range(attempts):
        try:
            return measure()
        except AssertionError as exc:
            failure = exc
    raise failure


READY = STATE_CODES["ready"]


def waits(n: int) -> str:
    return f"""
[[groups]]
name = "wait"
count = {n}
steps = [{{ io = 250 }}]
"""


def test_pool_size_sets_how_many_waits_overlap():
    def measure():
        _, pool2 = run(waits(8), "thread-pool", pool_size=2)
        _, pool8 = run(waits(8), "thread-pool", pool_size=8)
        _, loop = run(waits(8), "asyncio")
        ratio = pool2.makespan_ms / pool8.makespan_ms
        assert 2.8 < ratio < 5.5, f"pool of 2 vs 8 on eight waits: {ratio:.2f}x, expected about 4x"
        assert 0.6 < loop.makespan_ms / pool8.makespan_ms < 1.6
        return pool2, pool8

    pool2, pool8 = holds_within_attempts(measure)
    # The six tasks that could not start at once sat in the pool's queue.
    assert pool2.queued_ms > 5 * pool8.queued_ms + 100


CRUNCH = """
[[groups]]
name = "crunch"
count = {n}
steps = [{{ {kind} = 300 }}]
"""


def _overlap(trace) -> float:
    """Share of the run during which both tasks were on a CPU at once."""
    seg = trace.segments()
    busy = np.isin(seg.state, [STATE_CODES["running"], STATE_CODES["native"]])
    grid = np.zeros((2, trace.end_ns // 100_000 + 1), dtype=bool)  # 0.1 ms cells
    for task, start, end in zip(seg.task[busy], seg.start[busy] // 100_000, seg.end[busy] // 100_000, strict=True):
        grid[task, start:end] = True
    return float((grid[0] & grid[1]).mean())


def test_gil_serialises_pure_python_but_not_native_code():
    holds_within_attempts(_gil_physics)


def _gil_physics():
    _, m1 = run(CRUNCH.format(n=1, kind="cpu"), "threads")
    two_cpu, m2 = run(CRUNCH.format(n=2, kind="cpu"), "threads")
    _, n1 = run(CRUNCH.format(n=1, kind="native"), "threads")
    two_native, n2 = run(CRUNCH.format(n=2, kind="native"), "threads")
    two_procs, p2 = run(CRUNCH.format(n=2, kind="cpu"), "process-pool", pool_size=2)

    # Upper bound generous: on a loaded machine each GIL hand-off also waits for a CPU.
    assert 1.45 < m2.makespan_ms / m1.makespan_ms < 5.0, "two CPU-bound threads take about twice one"
    # The trace tells it directly: pure-Python threads take turns, native
    # threads and processes really are on two CPUs at once...
    cpu_overlap, native_overlap, procs_overlap = _overlap(two_cpu), _overlap(two_native), _overlap(two_procs)
    assert cpu_overlap < 0.02
    assert native_overlap > cpu_overlap
    # ...and whenever the OS actually had two free CPUs for them (it did not
    # if another CPU-bound job shares this 2-core box), that halves the time.
    if native_overlap > 0.5:
        assert n2.makespan_ms / n1.makespan_ms < 1.55, "two native threads take about as long as one"
    if procs_overlap > 0.5:
        assert p2.makespan_ms / m2.makespan_ms < 0.85, "a process pool of two takes about half as long"
    # Side by side, the two threads spent about one run's worth waiting for the GIL.
    assert m2.ready_ms > 0.5 * m1.makespan_ms


CONVOY = """
[[groups]]
name = "chatty"
count = 1
repeat = 200
steps = [{ net = 1 }]
"""
CRUNCHER = """
[[groups]]
name = "crunch"
count = 1
steps = [{ cpu = 1500 }]
"""


def test_convoy_effect_and_the_switch_interval():
    def measure():
        _, alone = run(CONVOY, "threads", switch_interval_ms=5)
        # The cruncher is listed first so that it already holds the GIL when the
        # chatty thread starts its round trips.
        _, slow = run(CRUNCHER + CONVOY, "threads", switch_interval_ms=5)
        _, fast = run(CRUNCHER + CONVOY, "threads", switch_interval_ms=0.5)
        chatty = {k: m.groups["chatty"].latency_ms.p50 for k, m in (("alone", alone), ("slow", slow), ("fast", fast))}
        # Typically 10-40x on an idle machine. When the cruncher itself waits
        # for a CPU (other jobs on the box), the chatty thread slips through
        # more often, hence the margins.
        assert chatty["slow"] > 3 * chatty["alone"], f"round trips beside a cruncher should crawl: {chatty}"
        assert chatty["fast"] < 0.7 * chatty["slow"], f"a smaller switch interval should recover much of it: {chatty}"
        # The lost time is measured as ready: replies waiting for the GIL.
        assert slow.groups["chatty"].ready_ms > 0.5 * slow.groups["chatty"].latency_ms.p50

    holds_within_attempts(measure)


BLOCKING = """
[[groups]]
name = "ticker"
count = 4
repeat = 15
steps = [{ io = 20 }]

[[groups]]
name = "culprit"
count = 1
steps = [{ io = 50 }, { block = 250 }]
"""


def _longest_ready_per_task(trace, group: str) -> list[float]:
    seg = trace.segments()
    out = []
    for task in trace.tasks:
        if task.group != group:
            continue
        mask = (seg.task == task.id) & (seg.state == READY)
        out.append(float((seg.end[mask] - seg.start[mask]).max(initial=0)) / 1e6)
    return out


def test_blocking_call_freezes_the_loop_unless_offloaded():
    def measure():
        stalled, m_loop = run(BLOCKING, "asyncio")
        offloaded, m_off = run(BLOCKING, "asyncio-offload", pool_size=2)
        stalls = _longest_ready_per_task(stalled, "ticker")
        assert min(stalls) > 0.7 * 250, f"every ticker should wait out the 250 ms block: {stalls}"
        assert max(_longest_ready_per_task(offloaded, "ticker")) < 0.3 * 250
        assert m_off.groups["ticker"].latency_ms.p99 < m_loop.groups["ticker"].latency_ms.p50

    holds_within_attempts(measure)


TWO_CRUNCHERS = """
[[groups]]
name = "crunch"
count = 2
steps = [{ cpu = 400 }]
"""


def test_running_slices_follow_the_switch_interval():
    def measure():
        _, at1 = run(TWO_CRUNCHERS, "threads", switch_interval_ms=1)
        _, at10 = run(TWO_CRUNCHERS, "threads", switch_interval_ms=10)
        s1, s10 = at1.median_running_slice_ms, at10.median_running_slice_ms
        # On an oversubscribed machine each hand-off also waits for a CPU,
        # which stretches short slices most: hence the looser bound at 1 ms.
        assert 0.5 < s1 / 1.0 < 5.0, f"median slice at 1 ms: {s1}"
        assert 0.5 < s10 / 10.0 < 2.5, f"median slice at 10 ms: {s10}"
        assert s10 > 1.8 * s1, f"slices should grow with the switch interval: {s1} -> {s10}"
        assert at1.switch_interval_ms == 1.0 and at10.switch_interval_ms == 10.0

    holds_within_attempts(measure)
