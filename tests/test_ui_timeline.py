"""The timeline widget on a real run (offscreen): rows, colours, level of detail, GIL lane, live tail."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest

from threadloom.engine import RunRequest, run_blocking
from threadloom.model import STATES, Trace
from threadloom.scenario import parse_scenario
from threadloom.ui.palette import STATE_COLORS_DARK, STATE_COLORS_LIGHT, theme
from threadloom.ui.timeline import TimelineWidget, worker_labels

from .conftest import group, scenario_text

pytestmark = pytest.mark.gui

SHORT_CONVOY = scenario_text(
    group("crunch", count=2, cpu=250),
    group("chatty", repeat=25, steps=[("net", 1), ("io", 2)]),
    name="short convoy",
    model="threads",
    switch_interval_ms=5,
)

RUNNING = STATES.index("running")


@pytest.fixture(scope="module")
def convoy() -> Trace:
    return run_blocking(RunRequest(parse_scenario(SHORT_CONVOY, "short-convoy.toml"), "threads"))


def _copy(trace: Trace, header_changes: dict | None = None, limit: int | None = None) -> Trace:
    seg = trace.segments()
    n = len(seg) if limit is None else limit
    cols = {k: getattr(seg, k)[:n].copy() for k in ("task", "worker", "state", "start", "end")}
    header = {**trace.header, **(header_changes or {})}
    return Trace.from_arrays(header, trace.trailer, trace.worker_records(), cols, trace.submitted, trace.finished)


def _synthetic(n_segments: int, n_tasks: int = 64) -> Trace:
    rng = np.random.default_rng(3)
    per = n_segments // n_tasks
    lengths = rng.exponential(2e5, size=(n_tasks, per)).astype(np.int64) + 1
    ends = np.cumsum(lengths, axis=1)
    cols = {
        "task": np.repeat(np.arange(n_tasks, dtype=np.int32), per),
        "worker": np.repeat(np.arange(n_tasks, dtype=np.int64) % 8, per),
        "state": rng.integers(0, 5, size=n_tasks * per).astype(np.uint8),
        "start": (ends - lengths).ravel(),
        "end": ends.ravel(),
    }
    header = {
        "model": "threads",
        "gil_enabled": True,
        "t0_ns": 0,
        "tasks": [[i, "g", i] for i in range(n_tasks)],
        "groups": {"g": ["cpu"]},
    }
    workers = [{"id": w, "kind": "thread", "name": f"t{w}", "pid": 1} for w in range(8)]
    return Trace.from_arrays(header, {"makespan_ns": int(ends.max())}, workers, cols, ends[:, 0] * 0, ends[:, -1])


def _plot_colors(w: TimelineWidget, qapp) -> set[str]:
    qapp.processEvents()
    image = w.plot_widget.grab().toImage()
    view = w.plot_widget.getPlotItem().getViewBox().sceneBoundingRect().toRect()
    pixels = np.array(
        [
            image.pixel(x, y) & 0xFFFFFF
            for x in range(view.left() + 2, view.right() - 2, 3)
            for y in range(view.top() + 2, view.bottom() - 2, 3)
        ],
        dtype=np.int64,
    )
    return {f"#{v:06x}" for v in np.unique(pixels).tolist()}


def test_rows_exist_for_every_task_and_worker(widget, convoy):
    widget.set_traces([convoy])
    labels = widget.row_labels()
    assert labels[0] == "GIL"
    for task in convoy.tasks:
        assert task.label in labels
    names = worker_labels(convoy)
    assert len(convoy.workers) >= 3
    for wid in convoy.workers:
        assert names[wid] in labels
    assert len(set(names.values())) == len(names), "two workers share a label"
    for name in convoy.groups():
        assert name in labels


def test_plot_draws_several_state_colours(widget, convoy, qapp):
    widget.set_traces([convoy])
    colors = _plot_colors(widget, qapp)
    drawn = {state for state, c in STATE_COLORS_LIGHT.items() if c.lower() in colors}
    assert {"running", "ready", "io"} <= drawn, drawn
    widget.set_dark(True)
    dark = _plot_colors(widget, qapp)
    assert theme(True).background.lower() in dark
    assert STATE_COLORS_DARK["running"].lower() in dark
    assert STATE_COLORS_LIGHT["running"].lower() not in dark


def test_level_of_detail_bounds_the_work_of_a_frame(widget, qapp):
    big = _synthetic(200_000)
    widget.set_traces([big])
    qapp.processEvents()
    widget.plot_widget.grab()
    full = widget.segment_item.last_paint
    assert full.lod_cells > 0
    # Far away, a frame draws a few primitives per row, not one per segment.
    assert full.primitives < len(big) / 50, full
    x0, x1 = widget.visible_range_ms()
    widget.set_visible_range_ms(x0 + (x1 - x0) * 0.5, x0 + (x1 - x0) * 0.505)
    widget.plot_widget.grab()
    zoomed = widget.segment_item.last_paint
    assert 0 < zoomed.visible < len(big) / 20, zoomed
    # Zoomed in, the visible segments are taken one by one into the frame's pixel columns, drawn as
    # one image strip per row once there are more than a few runs (not one rectangle per segment).
    assert 0 < zoomed.primitives <= len(widget.rows), zoomed


def test_gil_lane_reports_the_trace_holder(widget, convoy):
    widget.set_traces([convoy])
    seg = convoy.segments()
    run = seg.state == RUNNING
    start, end, task = seg.start[run] / 1e6, seg.end[run] / 1e6, seg.task[run]
    checked = 0
    for t in np.linspace(0, convoy.end_ns / 1e6, 400):
        holders = set(task[(start <= t) & (end > t)].tolist())
        got = widget.gil_holder_at(float(t))
        if not holders:
            assert got is None
        else:
            assert got in holders
            checked += 1
    assert checked > 50
    # The GIL passed between the two crunchers, so the lane marks hand-offs.
    assert len(widget.bands[0].handoffs) > 5
    # Hovering the lane names the holder.
    gil = widget.rows[widget.bands[0].gil_row]
    i = int(np.argmax((end - start) * (task == task[0])))
    text = widget.describe_at(float(start[i] + end[i]) / 2, gil.top + gil.height / 2)
    assert text is not None and text.startswith(f"GIL held by {convoy.tasks[int(task[i])].label}"), text


def test_tooltip_names_task_state_and_worker(widget, convoy):
    widget.set_traces([convoy])
    seg = convoy.segments()
    i = int(np.argmax((seg.end - seg.start) * (seg.state == RUNNING)))
    label = convoy.tasks[int(seg.task[i])].label
    row = widget.row_labels().index(label)
    y = widget.rows[row].top + widget.rows[row].height / 2
    text = widget.describe_at((seg.start[i] + seg.end[i]) / 2e6, y)
    assert text is not None
    assert label in text and "running" in text and worker_labels(convoy)[int(seg.worker[i])] in text


def test_refresh_appends_only_the_new_tail(widget, convoy):
    n = len(convoy)
    live = _copy(convoy, limit=n // 2)
    widget.set_traces([live])
    item = widget.segment_item
    assert item.layer_count("0:tasks") == n // 2
    generation = live.generation
    widget.refresh()  # nothing changed: nothing reloaded
    assert item.layer_count("0:tasks") == n // 2
    seg = convoy.segments()
    tail = slice(n // 2, n)
    live.extend_segments(seg.task[tail], seg.worker[tail], seg.state[tail], seg.start[tail], seg.end[tail])
    assert live.generation != generation
    widget.refresh()
    assert item.layer_count("0:tasks") == n


def test_compare_stacks_titled_bands(widget, convoy):
    other = _copy(convoy)
    widget.set_traces([convoy, other], ["threads", "again"])
    labels = widget.row_labels()
    assert labels[0] == "threads" and "again" in labels
    assert labels.count("GIL") == 2
    assert widget.row_labels(band=1)[0] == "again"
    assert widget.gil_holder_at(100.0, band=1) == widget.gil_holder_at(100.0, band=0)


def test_without_gil_the_lane_says_so(widget, convoy):
    widget.set_traces([_copy(convoy, {"gil_enabled": False})])
    assert widget.row_labels()[0] == "GIL (none)"
    assert widget.segment_item.layer_count("0:gil") == 0
    assert any("no GIL" in text for text in widget.note_texts())


def test_clicking_the_time_axis_scrubs_the_cursor(widget, convoy, qapp):
    widget.set_traces([convoy])
    moved: list[float] = []
    widget.cursorMoved.connect(moved.append)
    axis = widget.plot_widget.getPlotItem().getAxis("bottom")
    view = widget.plot_widget.getPlotItem().getViewBox()
    x0, x1 = widget.visible_range_ms()
    target = x0 + (x1 - x0) * 0.4
    scene_x = view.mapViewToScene(QPointF(target, 0)).x()
    scene_y = axis.sceneBoundingRect().center().y()
    pos = widget.plot_widget.mapFromScene(QPointF(scene_x, scene_y))
    QTest.mouseClick(widget.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(pos.x(), pos.y()))
    qapp.processEvents()
    assert moved, "no cursorMoved after a click on the time axis"
    assert abs(moved[-1] - target) < (x1 - x0) * 0.01
    assert widget.cursor_ms() == pytest.approx(moved[-1])
    widget.set_cursor_ms(None)
    assert widget.cursor_ms() is None


def test_follow_live_keeps_the_end_in_view(widget, convoy):
    widget.set_traces([convoy])
    end = convoy.end_ns / 1e6
    widget.follow_live(True, window_ms=50.0)
    x0, x1 = widget.visible_range_ms()
    assert x1 == pytest.approx(end, rel=0.01) and x1 - x0 == pytest.approx(50.0, rel=0.05)
    widget.follow_live(False)
    widget.fit_time()
    x0, x1 = widget.visible_range_ms()
    assert x0 <= 0.0 and x1 >= end


def test_state_colors_are_distinct(qapp):
    for colors in (STATE_COLORS_LIGHT, STATE_COLORS_DARK):
        assert len({QColor(c).name() for c in colors.values()}) == len(STATES)


def test_worker_rows_agree_with_the_model_worker_lanes(widget, convoy):
    widget.set_traces([convoy])
    lanes = convoy.worker_lanes()
    names = worker_labels(convoy)
    labels = widget.row_labels()
    rng = np.random.default_rng(5)
    compared = 0
    for wid in convoy.workers:
        row = labels.index(names[wid])
        y = widget.rows[row].top + widget.rows[row].height / 2
        mine = lanes.worker == wid
        start, end, state = lanes.start[mine] / 1e6, lanes.end[mine] / 1e6, lanes.state[mine]
        for t in rng.uniform(0, convoy.end_ns / 1e6, 150):
            expected = {STATES[s] for s in state[(start <= t) & (end > t)].tolist()}
            text = widget.describe_at(float(t), y)
            if not expected:
                assert text is None, (t, text)
                continue
            assert text is not None, (names[wid], t, expected)
            shown = text.split("state: ", 1)[1].split(":", 1)[0]
            assert shown in expected, (names[wid], t, expected, text)
            compared += 1
    assert compared > 100


def _live_copy(trace: Trace) -> tuple[Trace, list[np.ndarray]]:
    """An empty live (no trailer) copy of ``trace`` and its segment columns in closing order, to append."""
    live = _copy(trace, limit=0)
    live.trailer = None
    seg = trace.segments()
    order = np.argsort(seg.end, kind="stable")
    return live, [getattr(seg, k)[order] for k in ("task", "worker", "state", "start", "end")]


def _grow(live: Trace, cols: list[np.ndarray], lo: int, hi: int) -> None:
    live.extend_segments(*(c[lo:hi] for c in cols))


def test_a_big_live_tail_is_packed_over_several_turns_then_matches_a_full_load(widget, qapp):
    big = _synthetic(200_000)
    live, cols = _live_copy(big)
    n = len(big)
    widget.set_traces([live])
    _grow(live, cols, 0, n // 4)
    widget.refresh()
    for _ in range(200):
        qapp.processEvents()
    item = widget.segment_item
    assert item.layer_count("0:tasks") == n // 4
    # One huge batch: a refresh packs part of it and leaves the rest to the next turns of the event loop.
    _grow(live, cols, n // 4, n)
    widget.refresh()
    assert n // 4 < item.layer_count("0:tasks") < n
    for _ in range(500):
        if item.layer_count("0:tasks") == n:
            break
        qapp.processEvents()
    assert item.layer_count("0:tasks") == n
    # The run completes and the window shows it again: what the live raster drew stays on screen while
    # the segments are packed for exact drawing off the GUI thread (too many to pack in one turn).
    tasks_layer = item.layer("0:tasks")
    live.trailer = big.trailer
    live.generation += 1
    widget.set_traces([live])
    for _ in range(3):
        qapp.processEvents()
    assert widget.is_loading() and item.layer("0:tasks") is tasks_layer
    assert widget.wait_loaded(timeout=60)
    assert item.layer("0:tasks") is not tasks_layer and item.deferred_count() == 0
    assert widget.bands[0].generation == live.generation
    fresh = TimelineWidget()
    fresh.resize(1200, 700)
    fresh.set_traces([live])
    try:
        for kind in ("tasks", "workers", "gil", "open"):
            assert item.layer_count(f"0:{kind}") == fresh.segment_item.layer_count(f"0:{kind}"), kind
        mine, theirs = widget.bands[0], fresh.bands[0]
        for a, b in zip(mine.gil, theirs.gil, strict=True):
            assert np.array_equal(a, b)
        assert np.array_equal(mine.handoffs, theirs.handoffs)
        for t in np.linspace(0, live.end_ns / 1e6, 50):
            assert widget.gil_holder_at(float(t)) == fresh.gil_holder_at(float(t))
    finally:
        fresh.close()
        fresh.deleteLater()


def test_rows_that_do_not_fit_scroll_with_a_bar_and_fit_again_when_taller(widget, convoy, qapp):
    many = [convoy] + [_copy(convoy) for _ in range(7)]
    widget.resize(900, 400)
    widget.set_traces(many, [f"run {i}" for i in range(len(many))])
    qapp.processEvents()
    bar = widget.rows_scrollbar
    assert bar.isVisible()
    y0, y1 = widget.view_box.viewRange()[1]
    assert y0 == pytest.approx(widget.row_span()[0]), "new traces start scrolled to the top"
    assert widget.view_box.height() / (y1 - y0) >= 11.5, "rows stay tall enough for their labels"
    bar.setValue(bar.maximum())
    last = widget.rows[-1]
    assert widget.view_box.viewRange()[1][1] >= last.top + last.height
    widget.set_traces([convoy])
    widget.resize(900, 700)
    qapp.processEvents()
    assert not bar.isVisible()
    y0, y1 = widget.view_box.viewRange()[1]
    assert y0 <= widget.rows[0].top and y1 >= widget.rows[-1].top + widget.rows[-1].height


def test_compare_draws_every_row_label_and_whole_band_titles(widget, convoy, qapp):
    widget.set_traces([convoy, _copy(convoy)], ["threads", "again"])
    qapp.processEvents()
    widget.plot_widget.grab()
    y0, y1 = widget.view_box.viewRange()[1]
    axis = widget.row_axis
    on_screen = [r.label for r in widget.rows if y0 <= r.top and r.top + r.height <= y1]
    assert "threads" in on_screen
    missing = [label for label in on_screen if label not in axis.drawn_labels]
    assert not missing, missing
    # A subtitle too long for the plot is cut with an ellipsis, not by the edge of the plot.
    wordy = _copy(convoy, {"scenario": "a scenario with a very long name " * 8})
    widget.set_traces([wordy, convoy], ["wordy", "threads"])
    qapp.processEvents()
    note = widget.subtitle_items()[0]
    text = note.textItem.toPlainText()
    assert text.endswith("\u2026")
    assert note.mapRectToScene(note.boundingRect()).right() <= widget.view_box.sceneBoundingRect().right() + 2
