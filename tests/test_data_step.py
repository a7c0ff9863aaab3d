"""The ``data`` step and its ``transfer`` state: scenarios, the vocabulary, exports, programs.

The physics (a process pool pays, a thread pool does not) is in test_physics_data.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from threadloom.codegen import generate_program
from threadloom.errors import ScenarioError
from threadloom.export import chrome_trace_json, runs_from_bytes, runs_to_bytes, segments_csv
from threadloom.export.caption import STATE_LEGEND
from threadloom.model import compute_metrics
from threadloom.report import format_run_table
from threadloom.scenario import list_presets
from threadloom.viewmodel.text import STATE_DESCRIPTIONS
from threadloom.wire import STATE_CODES, STATE_NAMES

from .conftest import group, run, scenario, scenario_text

HANDING = scenario_text(group("hand", count=2, steps=[("data", 4_000), ("cpu", 5)]), name="handing", pool_size=2)


@pytest.fixture(scope="module")
def handed():
    return run(HANDING, "process-pool", pool_size=2)


def test_transfer_is_a_state_with_a_code_of_its_own_and_words_everywhere():
    assert STATE_CODES["transfer"] == 7 and STATE_NAMES[:7] == (
        "running",
        "native",
        "ready",
        "io",
        "blocked",
        "queued",
        "idle",
    ), "older codes keep their meaning: saved runs and older probes still read"
    assert "pickl" in STATE_DESCRIPTIONS["transfer"] and "transfer" in STATE_LEGEND["transfer"]


@pytest.mark.parametrize(
    ("steps", "needle"),
    [
        ("[{ data = -1 }]", "groups[0].steps[0].data must be a number greater than 0"),
        ("[{ data = 0 }]", "groups[0].steps[0].data must be a number greater than 0"),
        ("[{ data = 2000000 }]", "at most 1,048,576"),
        ('[{ data = "big" }]', "groups[0].steps[0].data must be a number"),
    ],
)
def test_a_bad_data_step_names_the_field_and_what_is_allowed(steps, needle):
    with pytest.raises(ScenarioError, match=r"^t\.toml: ") as info:
        scenario(f'name = "d"\n[[groups]]\nsteps = {steps}\n', source="t.toml")
    assert needle in str(info.value)


def test_more_data_than_memory_holds_is_refused_before_anything_runs():
    text = scenario_text(group("hoard", count=200, steps=[("data", 20_000), ("cpu", 1)]))
    with pytest.raises(ScenarioError, match=r"data steps come to 3\.8 GiB over all tasks .* at most 2 GiB"):
        scenario(text)


def test_compare_with_ticks_models_beside_the_scenarios_own():
    text = 'name = "c"\n[run]\nmodel = "process-pool"\ncompare_with = ["thread-pool", "process-pool"]\n'
    sc = scenario(text + "[[groups]]\nsteps = [{ cpu = 1 }]\n")
    assert sc.compare_with == ("thread-pool",), "the scenario's own model is not repeated"
    with pytest.raises(ScenarioError, match=r"\[run\]\.compare_with must be a list of models, each one of"):
        scenario('name = "c"\n[run]\ncompare_with = ["fibers"]\n[[groups]]\nsteps = [{ cpu = 1 }]\n')


def test_the_pickling_cost_preset_compares_a_process_pool_with_a_thread_pool():
    preset = {p.key: p.scenario for p in list_presets()}["pickling-cost"]
    assert preset.model == "process-pool" and preset.compare_with == ("thread-pool",)
    assert {"data"} <= {kind for g in preset.groups for kind in g.kinds}
    assert "transfer" in preset.lesson


def test_a_run_with_data_reports_its_transfer_time_and_saves_and_exports_it(handed):
    trace, m = handed
    assert m.transfer_ms > 0 and m.state_ms["transfer"] == m.transfer_ms
    assert "moving data between processes" in format_run_table(m)
    reopened = runs_from_bytes(runs_to_bytes([trace], HANDING, ["run"])).traces[0]
    assert np.array_equal(reopened.segments().state, trace.segments().state)
    assert compute_metrics(reopened).transfer_ms == pytest.approx(m.transfer_ms)
    events = json.loads(chrome_trace_json([trace]))["traceEvents"]
    assert any(e.get("name") == "transfer" or e.get("args", {}).get("state") == "transfer" for e in events)
    assert ",transfer," in segments_csv([trace])


def test_threads_and_coroutines_skip_the_data_step():
    for model in ("threads", "asyncio", "sequential"):
        trace, m = run(HANDING, model)
        assert m.transfer_ms == 0 and all(trace.finished >= 0), model


def test_programs_hand_the_data_over_as_the_argument_and_get_it_back():
    sc = scenario(HANDING)
    processes = generate_program(sc, "process-pool")
    assert "def hand(data):" in processes and "    return data\n" in processes
    assert "pool.submit(hand, bytes(4000 * 1024))" in processes
    only_data = scenario('name = "d"\n[[groups]]\nsteps = [{ data = 1 }]\n')
    for model in ("threads", "asyncio-offload", "process-pool"):
        compile(generate_program(only_data, model), model, "exec")  # a body of data alone is `pass`


def test_a_sweep_over_a_data_step_speaks_kilobytes_and_keeps_to_the_size_rule():
    from threadloom.scenario.sweep import parse_param, parse_values

    sc = scenario(HANDING)
    param = parse_param("amount:hand:data", sc)
    assert param.unit == "KB" and param.label == "data of hand, step 0 (KB)"
    assert parse_values("1000..1048576*2", param)[-1] == 1_024_000
    three = scenario(scenario_text(group("hand", count=3, steps=[("data", 1), ("cpu", 1)])))
    with pytest.raises(ScenarioError, match=r"amount:hand:0 = 1000000 is too big: the data steps come to 2\.9 GiB"):
        parse_param("amount:hand:data", three).apply(three, 1_000_000.0)  # three tasks of 1 GB: over 2 GiB in all


def test_a_sweeps_summary_says_which_way_and_how_many_times():
    from threadloom.model.sweep import Sweep  # noqa: F401  (the line is worded from curves alone)
    from threadloom.viewmodel import sweep as sweep_view

    class _Curve:
        def __init__(self, model, x, median):
            self.model, self.x, self.median = model, x, median

    class _Sweep:
        complete = True
        param_label = "data of big, step 0 (KB)"

    rising = [_Curve("process-pool", [100, 40000], [28.2, 4213.0])]
    original = sweep_view.curves
    try:
        sweep_view.curves = lambda sweep, metric: rising
        line = sweep_view.summary_line(_Sweep(), "transfer_ms")
    finally:
        sweep_view.curves = original
    assert "28.2 at 100 -> 4,213 at 40000 (149.4x more)" in line
