"""Sweeps and unit costs without timing claims: parsing, errors, the CSV's columns, saved sweeps, the report's shape."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import pytest

from threadloom.cli import main
from threadloom.engine.cost import CostRequest, measure_costs_blocking
from threadloom.engine.sweep import SweepPlan, run_sweep_blocking
from threadloom.errors import SavedRunError, ScenarioError
from threadloom.export.savefile import runs_from_bytes
from threadloom.export.sweep_export import sweep_csv, sweep_from_saved, sweep_json, sweep_to_bytes
from threadloom.model.cost import CostReport
from threadloom.model.sweep import flatten_metrics
from threadloom.scenario.sweep import parse_param, parse_values
from threadloom.viewmodel.cost import cost_lines
from threadloom.viewmodel.sweep import curves, log_x, metric_choices, progress

from .conftest import group, scenario, scenario_text

WAITS = scenario_text(group("wait", count=4, io=5), group("mix", count=1, steps=[("io", 2), ("cpu", 1)]), name="waits")


@pytest.fixture(scope="module")
def small_sweep():
    s = scenario(WAITS)
    param = parse_param("pool-size", s)
    plan = SweepPlan(s, param, (1, 4), ("thread-pool", "asyncio"), repeat=2)
    return run_sweep_blocking(plan)


# -- parameters and values ------------------------------------------------------------------------------------
def test_parameters_name_run_settings_groups_and_steps():
    s = scenario(WAITS)
    assert parse_param("pool-size", s).kind == "pool-size"
    assert parse_param("switch-interval", s).unit == "ms"
    assert parse_param("count:wait", s).group == "wait"
    assert parse_param("amount:mix:cpu", s).step == 1
    assert parse_param("amount:mix:0", s).step_kind == "io"
    for bad, says in [
        ("pool", "expected switch-interval"),
        ("count:nope", "no group 'nope'"),
        ("amount:mix:9", "no step 9"),
        ("amount:mix:net", "no 'net' step"),
    ]:
        with pytest.raises(ScenarioError, match=says):
            parse_param(bad, s)


def test_values_are_lists_and_ranges_checked_against_the_parameter():
    s = scenario(WAITS)
    pool = parse_param("pool-size", s)
    assert parse_values("1,2,4,8", pool) == [1, 2, 4, 8]
    assert parse_values("1..4", pool) == [1, 2, 3, 4]
    assert parse_values("1..64*2", pool) == [1, 2, 4, 8, 16, 32, 64]
    assert parse_values("2,1,2", pool) == [2, 1]
    switch = parse_param("switch-interval", s)
    assert parse_values("0.5..2:0.5", switch) == [0.5, 1.0, 1.5, 2.0]
    for bad, says in [
        ("", "no values"),
        ("0", "from 1"),
        ("1.5", "whole numbers"),
        ("x", "not a number or a range"),
        ("8..1", "backwards"),
        ("1..9*1", "factor greater than 1"),
    ]:
        with pytest.raises(ScenarioError, match=says):
            parse_values(bad, pool)
    with pytest.raises(ScenarioError, match="greater than 0"):
        parse_values("0,1", switch)
    with pytest.raises(ScenarioError, match="a step"):
        parse_values("1..5", switch)


def test_a_count_sweep_changes_the_group_and_keeps_the_limits():
    s = scenario(WAITS)
    param = parse_param("count:wait", s)
    assert param.apply(s, 7).task_count == 8
    with pytest.raises(ScenarioError, match="at most"):
        param.apply(s, 20_000)


@pytest.mark.parametrize(
    "args, says",
    [
        (["--param", "bogus", "--values", "1"], "--param: sweep parameter 'bogus'"),
        (["--param", "pool-size", "--values", "0"], "--values:"),
        (["--param", "pool-size", "--values", "1", "--repeat", "0"], "--repeat:"),
        (["--param", "pool-size", "--values", "1", "--model", "nope"], "--model: unknown model"),
        (["--param", "pool-size", "--values", "1", "--pool-size", "2"], "--pool-size: the sweep varies it"),
        (["--param", "pool-size", "--values", "1", "--plot", "out.gif"], "--plot:"),
        (["--param", "pool-size", "--values", "1", "--save", "out.zip"], "--save:"),
        (["--param", "pool-size", "--values", "1", "--size", "800x600"], "--size: only applies to --plot"),
    ],
)
def test_bad_sweep_flags_get_one_line_and_exit_2(args, says, tmp_toml, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    path = tmp_toml(WAITS)
    assert main(["sweep", str(path), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and says in err, err


# -- what a sweep keeps and writes ------------------------------------------------------------------------------
def test_the_csv_has_one_row_per_run_and_every_metric_flattened(small_sweep):
    sweep = small_sweep
    assert len(sweep.points) == 8 and sweep.complete
    assert all(p.trace.complete and len(p.trace) for p in sweep.points)
    rows = list(csv.DictReader(io.StringIO(sweep_csv(sweep))))
    assert len(rows) == 8
    columns = list(rows[0])
    assert columns[:4] == ["param", "value", "model", "repeat"]
    for needed in (
        "makespan_ms",
        "latency_p95_ms",
        "ready_ms",
        "queued_ms",
        "peak_rss_mb",
        "group_wait_latency_p50_ms",
    ):
        assert needed in columns
    # Whatever the run summary has appears, so a new metric needs no edit here.
    flat = flatten_metrics(sweep.points[0].metrics.to_json())
    assert set(flat) <= set(columns)
    assert {(r["value"], r["model"], r["repeat"]) for r in rows} == {
        (v, m, r) for v in ("1", "4") for m in ("thread-pool", "asyncio") for r in ("1", "2")
    }
    doc = json.loads(sweep_json(sweep))
    assert doc["param"] == "pool-size" and len(doc["runs"]) == 8 and "makespan_ms" in doc["runs"][0]["metrics"]


def test_curves_take_the_median_and_band_over_repeats(small_sweep):
    found = curves(small_sweep, "makespan_ms")
    assert [c.model for c in found] == ["thread-pool", "asyncio"]
    for c in found:
        assert list(c.x) == [1, 4] and (c.low <= c.median).all() and (c.median <= c.high).all()
        assert all(len(r) == 2 for r in c.runs)
    assert metric_choices(small_sweep)[0] == "makespan_ms"
    assert not log_x(small_sweep)


def test_progress_names_the_point_and_estimates_the_time_left(small_sweep):
    plan = SweepPlan(scenario(WAITS), parse_param("pool-size", scenario(WAITS)), (1, 4), ("thread-pool", "asyncio"), 2)
    planned = plan.points()
    empty = plan.empty_sweep()
    first = progress(empty, planned, planned[0])
    assert "thread-pool · pool-size = 1 · run 1" in first.text and first.seconds_left is None
    for p in small_sweep.points:
        p.wall_s = 1.0
    empty.points = small_sweep.points[:4]
    later = progress(empty, planned, planned[4], 0.25)
    assert later.seconds_left == pytest.approx(3.75) and "left" in later.text


def test_a_saved_sweep_reopens_with_every_point(small_sweep):
    data = sweep_to_bytes(small_sweep)
    saved = runs_from_bytes(data, "sweep.tlrun")
    assert saved.format_version == 2 and saved.sweep is not None
    again = sweep_from_saved(saved)
    assert again.param == "pool-size" and again.models == ["thread-pool", "asyncio"] and again.repeat == 2
    assert [(p.value, p.model, p.repeat) for p in again.points] == [
        (p.value, p.model, p.repeat) for p in small_sweep.points
    ]
    assert sweep_csv(again) == sweep_csv(small_sweep)


def _rewrite_header(data: bytes, edit) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "header.json":
                doc = json.loads(body)
                edit(doc)
                body = json.dumps(doc).encode()
                header = body
            if info.filename != "header.sha256":
                dst.writestr(info.filename, body)
        dst.writestr("header.sha256", hashlib.sha256(header).hexdigest() + "\n")
    return out.getvalue()


def test_version_1_files_still_load_and_a_bad_sweep_is_refused(small_sweep, mixed_run):
    from threadloom.export.savefile import runs_to_bytes

    plain = runs_to_bytes([mixed_run[0]])
    old = runs_from_bytes(_rewrite_header(plain, lambda d: d.update(format_version=1)), "old.tlrun")
    assert old.format_version == 1 and old.sweep is None and len(old.traces) == 1
    data = sweep_to_bytes(small_sweep)
    with pytest.raises(SavedRunError, match="one point per run"):
        runs_from_bytes(_rewrite_header(data, lambda d: d["sweep"]["points"].pop()), "bad.tlrun")
    with pytest.raises(SavedRunError, match=r"points\[0\]"):
        runs_from_bytes(_rewrite_header(data, lambda d: d["sweep"]["points"][0].update(run=5)), "bad.tlrun")


def test_the_sweep_command_writes_csv_json_and_a_saved_sweep(tmp_toml, tmp_path, capsys):
    path = tmp_toml(scenario_text(group("wait", count=2, io=3), name="tiny"))
    out = tmp_path / "s.csv"
    code = main(
        ["sweep", str(path), "-p", "count:wait", "-v", "1,2", "-m", "threads", "--csv", str(out),
         "--json", str(tmp_path / "s.json"), "--save", str(tmp_path / "s.tlrun")]
    )  # fmt: skip
    assert code == 0
    assert out.read_text().startswith("param,value,model,repeat,")
    assert "count:wait" in capsys.readouterr().out
    assert sweep_from_saved(runs_from_bytes((tmp_path / "s.tlrun").read_bytes())).values == [1, 2]


# -- what a unit costs -----------------------------------------------------------------------------------------
TINY_COST = CostRequest(None, (1, 20), (1, 50), (1,), 0.02, ("thread-queue", "coroutine-queue"))


def test_the_cost_report_has_the_documented_shape():
    report = measure_costs_blocking(TINY_COST)
    doc = report.to_json()
    assert report.complete and doc["interpreter"]["version"]
    assert set(doc["units"]) == {"thread", "coroutine", "process"}
    for unit in doc["units"].values():
        assert {"rss_kib_per_unit", "start_us_per_unit", "points"} <= set(unit)
        assert unit["points"] and unit["rss_kib_per_unit"] is not None
    assert set(doc["switch_us"]) == {"thread-queue", "coroutine-queue"}
    assert all(v > 0 for v in doc["switch_us"].values())
    again = CostReport.from_json(json.loads(json.dumps(doc)))
    assert again.to_json() == doc
    assert any("asyncio Task" in line for line in cost_lines(report))


def test_a_refused_point_is_reported_and_the_rest_goes_on():
    report = CostReport()
    for record in [
        {"type": "hello", "interpreter": {"version": "3.11"}},
        {"type": "point", "unit": "thread", "n": 10, "started": 10, "rss_kib_per_unit": 16.0, "start_us_per_unit": 100},
        {"type": "point", "unit": "thread", "n": 100, "started": 37, "rss_kib_per_unit": 16.5, "refused": "no"},
        {"type": "point", "unit": "coroutine", "n": 100, "started": 100, "rss_kib_per_unit": 1.0},
        {"type": "done", "seconds": 1.0},
    ]:
        report.add(record)
    assert [p.n for p in report.refusals()] == [100]
    assert report.headline("thread").started == 37
    assert "refused" in json.dumps(report.to_json()) or report.to_json()["units"]["thread"]["points"][1]["refused"]
