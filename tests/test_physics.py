"""The probe measures real scheduling: ratios and orderings that physics dictates.

Margins are wide on purpose: this runs on shared, noisy 2-core machines,
sometimes beside other CPU-bound jobs.
"""

from __future__ import annotations

import importlib.util

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


# The convoy preset's slow server (1 ms): every reply waits for the cruncher's switch interval.
SLOW_PEER_CONVOY = "[run]\npeer_delay_ms = 1\n" + CRUNCHER + CONVOY


def _running_overlap_share(trace) -> float:
    """Total overlap of the two tasks' ``running`` segments, over the shorter one's running time."""
    seg = trace.segments()
    run = seg.state == STATE_CODES["running"]
    (s0, e0), (s1, e1) = ((seg.start[run & (seg.task == t)], seg.end[run & (seg.task == t)]) for t in (0, 1))
    overlap = sum(
        int(np.clip(np.minimum(e0, b) - np.maximum(s0, a), 0, None).sum()) for a, b in zip(s1, e1, strict=True)
    )
    return overlap / max(1, min(int((e0 - s0).sum()), int((e1 - s1).sum())))


def test_one_thread_holds_the_gil_at_a_time_and_the_crunchers_slices_follow_the_switch_interval():
    def measure():
        trace, m = run(SLOW_PEER_CONVOY, "threads", switch_interval_ms=5)
        # Each reply takes the GIL for microseconds, then the cruncher has it again: its slices
        # end at every round trip, about one switch interval (plus the reply's wait) apart,
        # not one unbroken slice of the whole run.
        s = m.median_running_slice_ms
        assert s is not None and 0.5 < s / 5.0 < 3.0, f"the cruncher's median slice at 5 ms: {s} ms"
        # The two threads never both run Python: their running segments barely overlap.
        share = _running_overlap_share(trace)
        assert share < 0.10, f"running segments overlap for {share:.1%} of the chatty thread's running time"
        return s, share

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


# -- memory, locks and per-operation latency (issue 9) -------------------------

WAITERS = """
[[groups]]
name = "wait"
count = 1000
steps = [{ io = 300 }]
"""


def test_a_thousand_threads_cost_more_memory_than_a_thousand_coroutines():
    def measure():
        _, threads = run(WAITERS, "threads")
        _, coroutines = run(WAITERS, "asyncio")
        added = {m.model: m.peak_rss_mb - m.baseline_rss_mb for m in (threads, coroutines)}
        # About 15 KB per waiting thread (its stack's touched pages, its thread
        # state) against about 3 KB per waiting coroutine on this machine.
        assert added["threads"] > 3 * added["asyncio"], f"memory the tasks added, MB: {added}"
        assert added["asyncio"] > 0, f"a thousand coroutines take some memory: {added}"
        return added

    holds_within_attempts(measure)


LOCKERS = """
[[groups]]
name = "locker"
count = 4
steps = [{ lock = 100 }]
"""


@pytest.mark.parametrize(("model", "pool_size"), [("threads", None), ("process-pool", 4)])
def test_one_lock_serialises_its_holders(model, pool_size):
    def measure():
        _, m = run(LOCKERS, model, pool_size=pool_size)
        # Four holders one after another, even with a process (and a GIL) each...
        assert m.makespan_ms >= 350, f"four lock = 100 steps under {model}: {m.makespan_ms:.0f} ms"
        # ...and the three that waited for it were blocked for about 100 + 200 + 300 ms.
        assert m.state_ms["blocked"] >= 300, f"blocked under {model}: {m.state_ms['blocked']:.0f} ms"
        assert m.groups["locker"].op_latency_ms["lock"].count == 4

    holds_within_attempts(measure)


# A server that answers in 0.2 ms: long enough for the cruncher to wake and take
# the GIL first even on a busy machine, so every reply waits for it.
SMALL_CONVOY = """
[run]
peer_delay_ms = 0.2

[[groups]]
name = "crunch"
count = 1
steps = [{ cpu = 600 }]

[[groups]]
name = "chatty"
count = 1
repeat = 100
steps = [{ net = 1 }]
"""


def test_round_trip_latency_follows_the_switch_interval():
    def measure():
        _, slow = run(SMALL_CONVOY, "threads", switch_interval_ms=5)
        _, fast = run(SMALL_CONVOY, "threads", switch_interval_ms=0.5)
        trips = {m.switch_interval_ms: m.groups["chatty"].op_latency_ms["net"] for m in (slow, fast)}
        assert trips[5.0].count == trips[0.5].count == 100, "one operation per round trip"
        # Each reply waits for the cruncher's switch interval: about 5.5 ms against 0.9 ms here.
        ratio = trips[5.0].p50 / trips[0.5].p50
        assert ratio > 3, f"round trip p50 at 5 ms vs 0.5 ms: {trips[5.0].p50:.2f} / {trips[0.5].p50:.2f} ms"
        return ratio

    holds_within_attempts(measure)


# -- green threads (issue 11) ----------------------------------------------------

needs_gevent = pytest.mark.skipif(
    importlib.util.find_spec("gevent") is None,
    reason="gevent is not installed for this interpreter (pip install gevent; make test and CI install it)",
)

ONE_CRUNCHER = """
[[groups]]
name = "crunch"
count = 1
steps = [{ cpu = 200 }]
"""


@needs_gevent
def test_gevent_yields_on_a_blocking_call_but_not_while_computing():
    def measure():
        green, m_green = run(BLOCKING, "gevent")
        loop, m_loop = run(BLOCKING, "asyncio")
        green_stall = max(_longest_ready_per_task(green, "ticker"))
        loop_stall = min(_longest_ready_per_task(loop, "ticker"))
        # The patched time.sleep hands the hub on; asyncio's loop sits out the whole 250 ms.
        stalls = f"longest ticker stall: gevent {green_stall:.1f} ms, asyncio {loop_stall:.1f} ms"
        assert green_stall < 0.2 * loop_stall, stalls
        assert m_green.groups["ticker"].latency_ms.p99 < m_loop.groups["ticker"].latency_ms.p50
        assert m_green.state_ms["blocked"] > 0.8 * 250, "the block step is still recorded as blocked"
        # Greenlets are never preempted: two crunchers take about twice one. The fastest of three
        # runs stands for each, as in the probe's calibration: the least disturbed by the machine.
        one = min(run(ONE_CRUNCHER, "gevent")[1].makespan_ms for _ in range(3))
        two = min(run(TWO_CRUNCHERS.replace("400", "200"), "gevent")[1].makespan_ms for _ in range(3))
        ratio = two / one
        assert 1.6 < ratio < 2.8, f"two gevent crunchers vs one: {ratio:.2f}x, expected about 2x"
        return green_stall, loop_stall, ratio

    green_stall, loop_stall, ratio = holds_within_attempts(measure)
    print(f"gevent stall {green_stall:.2f} ms, asyncio stall {loop_stall:.1f} ms, two/one crunchers {ratio:.2f}x")


needs_uvloop = pytest.mark.skipif(
    importlib.util.find_spec("uvloop") is None,
    reason="uvloop is not installed for this interpreter (pip install uvloop; make test and CI install it)",
)


@needs_uvloop
def test_uvloop_is_a_faster_loop_with_the_same_rules():
    def measure():
        stalled, _ = run(BLOCKING, "asyncio-uvloop")
        stalls = _longest_ready_per_task(stalled, "ticker")
        assert min(stalls) > 0.7 * 250, f"every ticker should wait out the 250 ms block on uvloop too: {stalls}"
        _, overlapped = run(waits(4), "asyncio-uvloop")
        assert overlapped.makespan_ms < 1.5 * 250, f"four 250 ms waits on uvloop: {overlapped.makespan_ms:.0f} ms"
        return min(stalls), overlapped.makespan_ms

    stall, makespan = holds_within_attempts(measure)
    print(f"uvloop: shortest ticker stall {stall:.1f} ms, four 250 ms waits in {makespan:.0f} ms")
