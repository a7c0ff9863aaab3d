"""Sweeps and unit costs measure real physics: ratios and orderings only, robust on a noisy 2-core box."""

from __future__ import annotations

import json
import resource
import subprocess
import time

import pytest

from threadloom.engine.cost import CostRequest, cost_command, measure_costs_blocking
from threadloom.engine.sweep import SweepPlan, SweepRunner, run_sweep_blocking
from threadloom.scenario.sweep import parse_param

from .conftest import group, scenario, scenario_text
from .test_physics import holds_within_attempts

pytestmark = pytest.mark.physics

EIGHT_WAITS = scenario_text(group("wait", count=8, io=100), name="eight waits")


def test_a_bigger_pool_overlaps_more_waits():
    s = scenario(EIGHT_WAITS)
    plan = SweepPlan(s, parse_param("pool-size", s), (1, 2, 4, 8), ("thread-pool",))

    def measure():
        sweep = run_sweep_blocking(plan)
        makespan = {p.value: p.metrics.makespan_ms for p in sweep.points}
        assert makespan[1] > makespan[2] > makespan[4] > makespan[8], makespan
        assert makespan[1] >= 4 * makespan[8], f"pool 1 vs pool 8: {makespan[1] / makespan[8]:.1f}x, expected 4x+"

    holds_within_attempts(measure)


def _costs(**kw):
    fields = {"thread_counts": (500,), "coroutine_counts": (5000,), "process_counts": (2,), "switch_seconds": 0.1}
    fields.update(kw)
    return measure_costs_blocking(CostRequest(None, **fields))


def test_a_thread_costs_several_times_the_memory_of_a_coroutine():
    def measure():
        report = _costs(process_counts=(), switches=())
        thread, task = report.headline("thread"), report.headline("coroutine")
        ratio = thread.rss_kib_per_unit / task.rss_kib_per_unit
        assert ratio > 4, f"a thread {thread.rss_kib_per_unit:.1f} KiB, a Task {task.rss_kib_per_unit:.2f} KiB"

    holds_within_attempts(measure)


def test_a_thread_switch_costs_more_than_a_coroutine_switch():
    def measure():
        report = _costs(
            thread_counts=(), coroutine_counts=(), process_counts=(), switches=("thread-queue", "coroutine-queue")
        )
        thread, task = report.switches["thread-queue"].us, report.switches["coroutine-queue"].us
        assert thread > 1.3 * task, f"thread hand-off {thread:.1f} us, coroutine hand-off {task:.1f} us"

    holds_within_attempts(measure)


def test_a_process_costs_more_memory_than_a_thread():
    def measure():
        report = _costs(thread_counts=(100,), coroutine_counts=(), switches=())
        proc, thread = report.headline("process"), report.headline("thread")
        assert proc.rss_kib_per_unit > 20 * thread.rss_kib_per_unit, (proc, thread)

    holds_within_attempts(measure)


def test_cancel_stops_at_once_and_keeps_the_measured_points():
    import asyncio

    s = scenario(scenario_text(group("wait", count=2, io=300), name="slow"))
    plan = SweepPlan(s, parse_param("count:wait", s), (1, 2, 3, 4, 5), ("threads",))

    async def main():
        runner = SweepRunner(plan)
        task = asyncio.ensure_future(runner.run())
        while len(runner.sweep.points) < 2 or not runner.pids():
            await asyncio.sleep(0.01)
        started = time.perf_counter()
        runner.stop()
        sweep = await task
        return sweep, time.perf_counter() - started

    sweep, took = asyncio.run(main())
    assert took < 1.0, f"cancel took {took:.2f} s"
    assert sweep.stopped and [p.value for p in sweep.points] == [1, 2]
    assert all(p.trace.complete for p in sweep.points)


def _limit_address_space() -> None:
    # Every thread reserves its stack (8 MiB by default) in the address space: a few hundred MiB
    # leave room for the interpreter and for some threads, not for a thousand.
    resource.setrlimit(resource.RLIMIT_AS, (400 << 20, 400 << 20))


def test_a_refused_thread_is_reported_and_the_run_goes_on():
    argv, env, cwd = cost_command(None)
    env["MALLOC_ARENA_MAX"] = "2"  # else each new thread may reserve a 64 MiB malloc arena as well
    proc = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd,
        preexec_fn=_limit_address_space, start_new_session=True,
    )  # fmt: skip
    config = {"thread_counts": [10, 2000, 4000], "coroutine_counts": [100], "process_counts": [1], "switches": []}
    proc.stdin.write(json.dumps(config).encode() + b"\n")
    proc.stdin.flush()
    try:
        records = [json.loads(line) for line in iter(proc.stdout.readline, b"")]
    finally:
        proc.stdin.close()
        proc.wait(10)
    assert proc.returncode == 0, proc.stderr.read().decode()
    threads = [r for r in records if r.get("type") == "point" and r["unit"] == "thread"]
    assert threads[0]["started"] == 10 and not threads[0]["refused"]
    refused = threads[1]
    assert 10 < refused["started"] < 2000 and "refused" in refused["refused"], refused
    assert len(threads) == 2, "after a refusal, bigger N are not tried"
    # The run went on to the other units.
    assert any(r.get("type") == "point" and r["unit"] == "coroutine" and r["started"] == 100 for r in records)
    assert records[-1]["type"] == "done"
