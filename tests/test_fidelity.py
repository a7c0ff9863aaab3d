"""Issue 9's plumbing: the probe's own memory, per-operation latency, the lock step and the machine's disturbance.

The physics (that the figures are right) is in test_physics.py; this checks that
each figure travels from the probe to the trailer, the metrics, the JSON, the
CLI table, the compare table and the caption, typed as documented.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from threadloom.errors import ScenarioError
from threadloom.export.caption import caption_for
from threadloom.model import DISTURBED_AT, compute_metrics
from threadloom.probe.gauges import MemoryGauge, cpu_snapshot, other_cpu_utilization
from threadloom.probe.models import specs
from threadloom.probe.workload import latency_summary
from threadloom.report import format_run_table
from threadloom.scenario import STEP_KINDS, find_preset, load_scenario
from threadloom.viewmodel.compare import ROW_NAMES, compare_runs

from .conftest import run, scenario
from .test_viewmodel_replay_compare import run_for, synthetic

SMALL = """
[[groups]]
name = "locker"
count = 2
steps = [{ lock = 5 }, { io = 2 }]

[[groups]]
name = "chatty"
count = 1
repeat = 3
steps = [{ net = 2 }]
"""


@pytest.fixture(scope="module", params=["threads", "asyncio-offload", "process-pool"])
def small_run(request):
    return run(SMALL, request.param, pool_size=2 if request.param != "threads" else None)


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def test_the_trailer_carries_the_new_figures_typed(small_run):
    trace, _ = small_run
    t = trace.trailer
    assert _is_count(t["baseline_rss_bytes"]) and _is_count(t["peak_rss_bytes"])
    assert t["peak_rss_bytes"] >= t["baseline_rss_bytes"] > 1 << 20  # an interpreter is megabytes
    assert t["rss_source"] in ("vmhwm", "statm", "ru_maxrss")
    assert 0.0 <= t["other_cpu_utilization"] <= 1.0
    ops = t["op_latency_ns"]
    assert set(ops) == {"locker", "chatty"}
    assert set(ops["locker"]) == {"lock", "io"} and set(ops["chatty"]) == {"net"}
    for kinds in ops.values():
        for figures in kinds.values():
            assert set(figures) == {"count", "p50", "p95", "p99", "max"}
            assert all(_is_count(v) for v in figures.values())
            assert figures["p50"] <= figures["p95"] <= figures["p99"] <= figures["max"]
    assert ops["chatty"]["net"]["count"] == 6, "each round trip is one operation"
    assert ops["locker"]["lock"]["count"] == 2
    assert ops["locker"]["lock"]["p50"] >= 5e6, "a lock step holds the lock for its 5 ms of work"
    if trace.model == "process-pool":
        procs = t["processes"]
        assert 1 <= len(procs) <= 2
        for p in procs:
            assert _is_count(p["pid"]) and _is_count(p["baseline_rss_bytes"]) and _is_count(p["peak_rss_bytes"])
        assert {p["pid"] for p in procs} <= {w.pid for w in trace.workers.values()}
    else:
        assert "processes" not in t


def test_metrics_json_and_table_show_them(small_run):
    _, m = small_run
    data = json.loads(json.dumps(m.to_json()))
    assert isinstance(data["baseline_rss_mb"], float) and isinstance(data["peak_rss_mb"], float)
    assert 0.0 <= data["other_cpu_utilization"] <= 1.0
    net = data["groups"]["chatty"]["op_latency_ms"]["net"]
    assert set(net) == {"count", "p50", "p95", "p99", "max"} and net["count"] == 6
    assert isinstance(data["processes"], list)
    if m.model == "process-pool":
        assert set(data["processes"][0]) == {"pid", "baseline_rss_mb", "peak_rss_mb"}
    assert m.added_rss_mb is not None and m.added_rss_mb >= 0
    table = format_run_table(m)
    assert "memory (the probe's own)" in table and "by the tasks" in table
    assert "other programs' CPU use" in table
    assert "each operation" in table and "chatty" in table.split("each operation")[1]
    if m.model == "process-pool":
        assert "memory of the pool's processes" in table


def test_latency_summary_matches_numpy():
    values = [7, 1, 5, 3, 100, 42, 8, 9, 11]
    summary = latency_summary(values)
    expected = np.percentile(values, [50, 95, 99])
    assert summary["count"] == 9 and summary["max"] == 100
    assert [summary["p50"], summary["p95"], summary["p99"]] == [round(v) for v in expected]
    assert latency_summary([4]) == {"count": 1, "p50": 4, "p95": 4, "p99": 4, "max": 4}


def test_gauges_read_this_process():
    gauge = MemoryGauge()
    gauge.start()
    hog = bytearray(32 << 20)
    hog[::4096] = b"x" * len(hog[::4096])  # touch every page
    figures = gauge.figures()
    del hog
    if figures["rss_source"] == "ru_maxrss":
        pytest.skip("no /proc here")
    assert figures["peak_rss_bytes"] - figures["baseline_rss_bytes"] >= 30 << 20
    before, after = cpu_snapshot(), cpu_snapshot()
    assert before is not None and after[1] >= before[1]
    assert other_cpu_utilization(before, after, 0.0, 2) is None
    assert other_cpu_utilization((10.0, 1.0), (11.0, 1.5), 1.0, 2) == 0.25
    assert other_cpu_utilization((10.0, 1.0), (10.0, 2.0), 1.0, 2) == 0.0, "never below 0"


def test_the_lock_step_is_validated():
    ok = scenario("[[groups]]\nsteps = [{ lock = 2.5 }]")
    assert ok.groups[0].steps == (("lock", 2.5),)
    assert "lock" in STEP_KINDS
    for bad in ("0", '"long"', "-1", "true", "700000"):
        with pytest.raises(ScenarioError, match=r"groups\[0\]\.steps\[0\]\.lock"):
            scenario(f"[[groups]]\nsteps = [{{ lock = {bad} }}]")


def test_every_model_says_where_every_step_kind_runs():
    for spec in specs():
        assert set(STEP_KINDS) <= set(spec.step_places), f"{spec.name} has no place for some step kinds"


def test_the_lock_contention_preset_loads_and_says_what_to_look_at():
    preset = load_scenario(find_preset("lock-contention"))
    assert any("lock" in g.kinds for g in preset.groups)
    assert "blocked" in preset.description


def test_old_and_malformed_trailers_leave_the_new_figures_empty():
    old = run_for(100, peak_rss_bytes=50 * 2**20)  # a run saved before issue 9
    assert old.baseline_rss_mb is None and old.added_rss_mb is None and old.other_cpu_utilization is None
    assert old.groups["work"].op_latency_ms == {} and old.main_op() is None
    bad = run_for(
        100,
        op_latency_ns={"work": {"cpu": {"count": "many"}, "io": [1]}, "x": 5},
        processes=[{"pid": "one"}, 7],
        other_cpu_utilization="high",
        baseline_rss_bytes=-4,
    )
    assert bad.groups["work"].op_latency_ms == {} and bad.processes == []
    assert bad.other_cpu_utilization is None and bad.baseline_rss_mb is None
    json.dumps(bad.to_json())


def _busy(share: float):
    return synthetic([[("running", 100)]], other_cpu_utilization=share)


def test_the_caption_warns_about_a_busy_machine():
    busy = caption_for([_busy(0.6)], when="2026-01-01T00:00:00Z")
    assert busy.warning.startswith("busy machine") and "60%" in busy.warning
    assert busy.warning in busy.details
    calm = caption_for([_busy(DISTURBED_AT / 2)], when="2026-01-01T00:00:00Z")
    assert calm.warning == "" and "busy" not in calm.details
    both = caption_for([_busy(0.01), _busy(0.4)], ["calm", "loaded"], when="2026-01-01T00:00:00Z")
    assert "40%" in both.warning and "(loaded)" in both.warning
    assert compute_metrics(_busy(0.6)).disturbed and not compute_metrics(_busy(0.01)).disturbed


def test_compare_rows_for_memory_ops_and_disturbance():
    def with_ops(p50_ms: float, added_mb: float, share: float):
        return run_for(
            100,
            baseline_rss_bytes=20 * 2**20,
            peak_rss_bytes=int((20 + added_mb) * 2**20),
            other_cpu_utilization=share,
            op_latency_ns={
                "work": {"net": {"count": 200, "p50": p50_ms * 1e6, "p95": 1, "p99": p50_ms * 2e6, "max": 1}}
            },
        )

    slow, fast = with_ops(5.0, 15.0, 0.5), with_ops(0.6, 3.0, 0.0)
    table = compare_runs([slow, fast], ["5 ms", "0.5 ms"])
    for name in ("op latency p50", "op latency p99", "memory added", "other programs' CPU"):
        assert name in ROW_NAMES
    assert table.row("op latency p50").best() == 1 and table.row("op latency p50").worst() == 0
    assert [c.text for c in table.row("memory added").cells][1] == "3.0 MB"
    assert table.row("other programs' CPU").worst() == 0


def test_summary_shows_baseline_plus_added_and_the_warning(qapp):
    from threadloom.ui.summary import SummaryStrip

    strip = SummaryStrip()
    m = run_for(
        100,
        baseline_rss_bytes=20 * 2**20,
        peak_rss_bytes=35 * 2**20,
        peak_threads=1003,
        other_cpu_utilization=0.4,
        op_latency_ns={"work": {"net": {"count": 200, "p50": 5_000_000, "p95": 1, "p99": 9_000_000, "max": 1}}},
    )
    strip.show_metrics(m)
    assert strip.memory.value.text() == "+15.0 MB" and "on 20.0 MB" in strip.memory.detail.text()
    assert strip.ops.value.text() == "5.0 ms" and strip.ops.detail.text() == "net · p99 9.0 ms"
    assert "work net ×200" in strip.ops.toolTip()
    assert "others 40%" in strip.cpu.detail.text() and "busy machine" in strip.cpu.toolTip().lower()
    strip.show_metrics(run_for(100, other_cpu_utilization=0.01))
    assert "⚠" not in strip.cpu.detail.text() and strip.ops.value.text() == "-"
