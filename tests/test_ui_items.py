"""Issue 12's defects found by trying the app: lessons per preset, captions that agree live and in
replay, the compare view, and smaller rough edges. Each test was written to fail first."""

from __future__ import annotations

import numpy as np
import pytest

from threadloom.errors import ScenarioError
from threadloom.model import RunMetrics, Trace
from threadloom.scenario import parse_scenario
from threadloom.scenario.presets import list_presets
from threadloom.viewmodel import compare, narrate
from threadloom.viewmodel.instant import live_snapshot, snapshot_at
from threadloom.wire import STATE_CODES, TASK_DONE, WORKER_THREAD

MS = 1_000_000
PID = 4242


def _trace(model, kinds, n, events, lesson=None, end_ms=None):
    trace = Trace()
    header = {
        "type": "header",
        "model": model,
        "scenario": "synthetic",
        "gil_enabled": True,
        "switch_interval_ms": 5.0,
        "cpu_count": 2,
        "pid": PID,
        "t0_ns": 0,
        "groups": {"g": kinds},
        "tasks": [[i, "g", i] for i in range(n)],
    }
    if lesson is not None:
        header["lesson"] = lesson
    trace.apply_record(header)
    for i in range(n):
        trace.apply_record({"type": "worker", "id": i + 1, "kind": WORKER_THREAD, "name": f"g-{i}", "pid": PID})
    if events:
        rows = [(int(t * MS), task, task + 1, TASK_DONE if s == "done" else STATE_CODES[s]) for t, task, s in events]
        trace.add_events(np.array(rows, dtype=np.int64))
    if end_ms is not None:
        trace.close_open_segments()
        trace.apply_record({"type": "trailer", "makespan_ns": int(end_ms * MS)})
    return trace


# -- 5: each preset carries its own lesson ---------------------------------------------------------
def test_each_preset_has_its_own_lesson():
    presets = list_presets()
    lessons = [p.scenario.lesson for p in presets]
    assert all(lessons), [p.key for p in presets if not p.scenario.lesson]
    assert len(set(lessons)) == len(lessons)


def test_each_preset_shows_its_own_lesson_in_the_scheduler_view():
    from threadloom.engine.session import RunRequest

    for preset in list_presets():
        config = RunRequest(preset.scenario, preset.scenario.model or "threads").probe_config()
        assert config["lesson"] == preset.scenario.lesson
        trace = _trace("threads", ["cpu"], 1, [(0, 0, "running")], lesson=config["lesson"])
        assert narrate.lesson(snapshot_at(trace, MS)) == preset.scenario.lesson


def test_a_custom_scenario_without_a_lesson_gets_one_from_what_its_trace_shows():
    from threadloom.probe.models import spec_of

    scenario = parse_scenario("[[groups]]\nsteps = [{ cpu = 1 }]\n")
    assert scenario.lesson == ""
    trace = _trace("threads", ["cpu"], 1, [(0, 0, "running")], lesson="")
    assert narrate.lesson(snapshot_at(trace, MS)) == spec_of("threads").lessons["cpu"]


def test_a_lesson_must_be_text():
    assert parse_scenario('lesson = "Look here."\n[[groups]]\nsteps = [{ cpu = 1 }]\n').lesson == "Look here."
    with pytest.raises(ScenarioError, match="lesson"):
        parse_scenario("lesson = 3\n[[groups]]\nsteps = [{ cpu = 1 }]\n")


# -- 6: live, replay and stopped runs describe the same instant the same way -------------------------
def _cpu_threads(upto_ms: float):
    """Four crunching threads: the probe sees them all running (GIL losses shorter than its gap
    threshold are not stamped); one dropped the GIL at 2 ms and waits for it again."""
    events = [(0, i, "running") for i in range(4)] + [(2, 1, "ready"), (2.5, 2, "ready"), (3, 3, "ready")]
    events += [(4, 0, "ready"), (4.001, 1, "running"), (8, 1, "ready"), (8.001, 0, "running"), (12, 0, "done")]
    return [e for e in events if e[0] <= upto_ms]


@pytest.mark.parametrize("at_ms", [1, 3.5, 6, 9])
def test_live_and_replay_captions_agree_at_the_same_instant(at_ms):
    live = live_snapshot(_trace("threads", ["cpu"], 4, _cpu_threads(at_ms)))
    live.t_ns = int(at_ms * MS)
    full = _trace("threads", ["cpu"], 4, _cpu_threads(100), end_ms=12)
    replay = snapshot_at(full, int(at_ms * MS))
    assert narrate.gil_caption(live) == narrate.gil_caption(replay)
    assert [s.caption for s in narrate.sections(live, history=False)] == [
        s.caption for s in narrate.sections(replay, history=False)
    ]


def test_three_waiting_threads_are_not_called_nobody_wants_it():
    # The probe stamps a lost GIL only after the fact: live, all four still read "running".
    events = [(0.1 * i, i, "running") for i in range(4)]
    live = live_snapshot(_trace("threads", ["cpu"], 4, events))
    caption = narrate.gil_caption(live)
    assert "no other thread wants it" not in caption
    assert "3 threads wait for it" in caption


def test_a_stopped_run_at_its_end_says_what_was_running():
    stopped = _trace("threads", ["cpu"], 4, _cpu_threads(6))
    stopped.close_open_segments()  # the user pressed Stop
    snap = snapshot_at(stopped, stopped.end_ns)
    captions = " ".join(s.caption for s in narrate.sections(snap))
    assert "No task has been submitted yet" not in captions
    assert "g-1 holds the GIL" in captions


# -- 9: the compare view -------------------------------------------------------------------------
def _metrics(cpu: float, makespan: float) -> RunMetrics:
    from threadloom.model import compute_metrics

    trace = _trace("threads", ["cpu"], 1, [(0, 0, "running"), (makespan, 0, "done")], end_ms=makespan)
    from dataclasses import replace

    return replace(compute_metrics(trace), cpu_utilization=cpu)


def test_cpu_utilization_is_not_ranked_best_or_worst():
    table = compare.compare_runs([_metrics(0.9, 10), _metrics(0.3, 20)], ["a", "b"])
    row = table.row("CPU utilization")
    assert row.best() is None and row.worst() is None
    assert table.row("makespan").best() == 0


def test_the_switch_interval_variant_is_skipped_where_it_cannot_change_anything():
    assert compare.switch_interval_matters("threads")
    assert compare.switch_interval_matters("thread-pool")
    assert compare.switch_interval_matters("asyncio-offload")
    assert not compare.switch_interval_matters("asyncio")
    assert not compare.switch_interval_matters("process-pool")
    assert not compare.switch_interval_matters("sequential")


def test_the_controls_do_not_repeat_asyncio_at_another_switch_interval(qapp):
    from threadloom.ui.controls import ControlPanel

    controls = ControlPanel()
    controls.set_models(["threads", "asyncio"])
    controls.variant.setChecked(True)
    controls.variant_switch.set_value(0.5)
    models = [p.request.model for p in controls.plan()]
    assert models.count("threads") == 2 and models.count("asyncio") == 1
    assert "asyncio" in controls.variant_note.text()


def test_compare_table_rows_fit_their_labels_and_start_at_the_top(qapp):
    from PySide6.QtGui import QFontMetrics

    from threadloom.ui.summary import CompareTable

    table = CompareTable()
    table.resize(700, 200)
    table.show()
    runs = [_metrics(0.5, 10 + i) for i in range(6)]
    table.set_runs(runs, [f"run {i}" for i in range(6)])
    qapp.processEvents()
    table.verticalScrollBar().setValue(table.verticalScrollBar().maximum())
    table.set_runs(runs[:2], ["a", "b"])
    qapp.processEvents()
    assert table.verticalScrollBar().value() == 0
    header = table.verticalHeader()
    font = header.font()
    font.setBold(True)
    fm = QFontMetrics(font)
    assert header.sectionSize(0) >= fm.height() + 4
    assert header.width() >= max(fm.horizontalAdvance(name) for name in compare.ROW_NAMES)


# -- 10: smaller rough edges ---------------------------------------------------------------------
def test_the_export_dialog_shows_sizes_only_for_custom_and_keeps_the_draw_choice(qapp):
    from PySide6.QtCore import QSize
    from PySide6.QtWidgets import QWidget

    from threadloom.ui.file_actions import PictureDialog

    parent = QWidget()
    shown = {v: QSize(800, 600) for v in ("window", "timeline", "scheduler")}
    dialog = PictureDialog(parent, shown)
    dialog.show()
    qapp.processEvents()
    assert dialog.size.currentData() is None  # "As shown"
    assert not dialog.width_box.isVisibleTo(dialog) and not dialog.height_box.isVisibleTo(dialog)
    dialog.size.setCurrentIndex(dialog.size.count() - 1)  # "Custom"
    assert dialog.width_box.isVisibleTo(dialog)
    dialog.view.setCurrentIndex(1)  # the timeline
    assert dialog.size.currentData() == "custom"  # changing what to draw keeps the size
    again = PictureDialog(parent, shown, dialog.choice()[0], dialog.size_choice(), "svg")
    assert again.choice()[0] == "timeline" and again.choice()[2] == "svg"
    assert again.size.currentData() == "custom" and again.width_box.isVisibleTo(again)
    dialog.close()
    again.close()


def test_the_preset_picker_has_the_panels_width_for_whole_names(qapp):
    from PySide6.QtGui import QFontMetrics

    from threadloom.ui.controls import ControlPanel

    panel = ControlPanel()
    panel.resize(340, 700)
    panel.show()
    qapp.processEvents()
    box = panel.scenario_box
    assert box.width() >= panel.width() - 60
    fm = QFontMetrics(box.font())
    longest = max(len(p.scenario.name) for p in list_presets())
    assert longest < 45 and box.width() >= fm.averageCharWidth() * 30
    panel.close()
