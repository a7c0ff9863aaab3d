"""The live path of the timeline: refreshes pack only the new tail and repaint once per catch-up;
big complete runs are packed off the GUI thread while the window goes on; live figures are summed
incrementally."""

from __future__ import annotations

import time

import numpy as np
import pytest

from threadloom.model import STATES
from threadloom.ui.timeline import TimelineWidget
from threadloom.ui.timeline import widget as widget_module
from threadloom.viewmodel.live import live_metrics

from .test_ui_timeline import _copy, _grow, _live_copy, _synthetic

LAYERS = ("tasks", "workers", "gil")


def _settle(widget, qapp, turns: int = 2000) -> None:
    for _ in range(turns):
        if not widget.is_loading() and not widget._catch_up.isActive():
            return
        qapp.processEvents()
        time.sleep(0.001)
    raise AssertionError("the timeline never caught up")


def _counts(widget) -> dict[str, int]:
    return {kind: widget.segment_item.layer_count(f"0:{kind}") for kind in LAYERS}


def test_a_live_refresh_packs_only_the_new_tail(widget, qapp):
    live, cols = _live_copy(_synthetic(20_000))
    n = len(cols[0])
    widget.set_traces([live])
    _grow(live, cols, 0, n // 2)
    widget.refresh()
    _settle(widget, qapp)
    item = widget.segment_item
    layer = item.layer("0:tasks")
    appended: list[tuple[str, int]] = []
    append = item.append_layer

    def spy(name, row, start, *args, **kwargs):
        appended.append((name, len(start)))
        return append(name, row, start, *args, **kwargs)

    item.append_layer = spy
    try:
        _grow(live, cols, n // 2, n // 2 + 300)
        widget.refresh()
        _settle(widget, qapp)
    finally:
        del item.append_layer
    # The closed segments went in as a tail of 300 (the task layer kept, not rebuilt)...
    assert item.layer("0:tasks") is layer
    assert sum(k for name, k in appended if name == "0:tasks") == 300
    assert item.layer_count("0:tasks") == n // 2 + 300


def test_a_catch_up_over_several_turns_repaints_once_not_every_turn(widget, qapp, monkeypatch):
    live, cols = _live_copy(_synthetic(120_000))
    n = len(cols[0])
    widget.set_traces([live])
    # A catch-up that takes many turns, each too short for another frame to be due.
    monkeypatch.setattr(widget_module, "_FRAME_MS", 10_000.0)
    monkeypatch.setattr(widget_module, "_REFRESH_MS", 0.5)
    item = widget.segment_item
    changes: list[int] = []
    changed = item._data_changed

    def spy():
        changes.append(item.layer_count("0:tasks"))
        changed()

    monkeypatch.setattr(item, "_data_changed", spy)
    turns = 0
    refresh = widget.refresh

    def counted():
        nonlocal turns
        turns += 1
        refresh()

    monkeypatch.setattr(widget, "refresh", counted)
    widget._catch_up.timeout.disconnect()
    widget._catch_up.timeout.connect(counted)
    _grow(live, cols, 0, n)
    widget.refresh()
    _settle(widget, qapp)
    assert turns > 3
    assert item.layer_count("0:tasks") == n
    # The first turn shows what it packed; the turns in between draw nothing; the last shows it all.
    assert len([c for c in changes if 0 < c < n]) <= 2, (turns, changes)
    assert changes[-1] == n


def test_a_big_complete_run_is_packed_off_the_gui_thread_with_progress(widget, qapp, monkeypatch):
    big = _synthetic(120_000)
    monkeypatch.setattr(widget_module, "_BACKGROUND_MIN", 1_000)
    t = time.perf_counter()
    widget.set_traces([big])
    took = time.perf_counter() - t
    assert widget.is_loading()
    assert 0.0 <= widget.loading_progress() < 1.0
    assert "Packing" in widget._progress.text() and widget._progress.isVisible()
    assert took < 0.25  # rows and axes only; a synchronous pack of this run takes longer on this machine
    assert widget.describe_at(1.0, widget.rows[-1].top + 0.5) is None  # nothing to read until it is done
    _settle(widget, qapp)
    assert widget.loading_progress() is None and not widget._progress.isVisible()
    monkeypatch.setattr(widget_module, "_BACKGROUND_MIN", 10**12)
    sync = TimelineWidget()
    sync.resize(1200, 700)
    sync.set_traces([big])
    try:
        assert not sync.is_loading()
        assert _counts(widget) == {k: sync.segment_item.layer_count(f"0:{k}") for k in LAYERS}
        for a, b in zip(widget.bands[0].gil, sync.bands[0].gil, strict=True):
            assert np.array_equal(a, b)
        widget.plot_widget.grab()
        assert widget.segment_item.last_paint.primitives > 0
    finally:
        sync.close()
        sync.deleteLater()


def test_a_rewritten_big_run_is_repacked_in_the_background_keeping_what_is_drawn(widget, qapp, monkeypatch):
    big = _synthetic(60_000)
    monkeypatch.setattr(widget_module, "_BACKGROUND_MIN", 1_000)
    widget.set_traces([big])
    _settle(widget, qapp)
    old = widget.segment_item.layer("0:tasks")
    before = _counts(widget)
    big.rewrites += 1  # as GIL exclusion does when a run completes
    big.generation += 1
    widget.refresh()
    assert widget.is_loading()
    assert widget.segment_item.layer("0:tasks") is old  # the old drawing stays meanwhile
    assert widget.wait_loaded(timeout=60)
    assert widget.segment_item.layer("0:tasks") is not old
    assert _counts(widget) == before
    assert widget.bands[0].rewrites == big.rewrites


def test_live_figures_sum_only_the_new_tail_and_match_a_full_sum():
    live, cols = _live_copy(_synthetic(20_000))
    n = len(cols[0])

    def full(trace):
        seg = trace.segments()
        length = seg.end - seg.start
        return (
            float(length[seg.state == STATES.index("ready")].sum()) / 1e6,
            float(length[seg.state == STATES.index("queued")].sum()) / 1e6,
        )

    for hi in (n // 3, n // 2, n):
        _grow(live, cols, len(live), hi)
        m = live_metrics(live, 1.0)
        assert (m.ready_ms, m.queued_ms) == pytest.approx(full(live))
    # A rewrite starts the sums over.
    other = _copy(live, limit=n // 4)
    seg = other.segments()
    live.replace_segments(seg.task, seg.worker, seg.state, seg.start, seg.end)
    m = live_metrics(live, 1.0)
    assert (m.ready_ms, m.queued_ms) == pytest.approx(full(live))


def test_the_gil_lane_grown_in_small_blocks_matches_a_full_load(monkeypatch):
    from threadloom.viewmodel import lanes

    monkeypatch.setattr(lanes, "COLUMN_BLOCK", 64)  # many sealed blocks, so late segments cross them
    big = _synthetic(20_000)
    live, cols = _live_copy(big)
    n = len(cols[0])
    band = lanes.Band(live, "live", 0)
    band.lay_out([], 0.0, False)
    band.load(True)
    for i in range(60):
        _grow(live, cols, n * i // 60, n * (i + 1) // 60)
        band.load(False)
    assert band.gil_cols._sealed  # the lane did grow past many blocks
    whole = lanes.Band(live, "whole", 0)
    whole.lay_out([], 0.0, False)
    whole.load(True)
    # Same segments, same order, same hand-offs (shades may differ where a late segment re-derived them).
    for a, b in zip(band.gil, whole.gil, strict=True):
        assert np.array_equal(a, b)
    assert np.array_equal(band.handoffs, whole.handoffs)


def test_columns_suffix_and_truncate_keep_the_blocks_before(monkeypatch):
    from threadloom.viewmodel import lanes

    monkeypatch.setattr(lanes, "COLUMN_BLOCK", 4)
    cols = lanes.Columns(np.float64, np.int64)
    for lo in range(0, 20, 3):
        values = np.arange(lo, min(lo + 3, 20), dtype=np.float64)
        cols.extend(values, values.astype(np.int64))
    assert cols.n == 20 and len(cols._sealed) > 2
    base, (x, y) = cols.suffix(0, 10.5)
    assert x[0] <= 10.5 and base == int(x[0]) and np.array_equal(x, np.arange(base, 20))
    assert np.array_equal(y, x.astype(np.int64))
    cols.truncate(9)
    assert cols.n == 9 and np.array_equal(cols.view()[0], np.arange(9))
    cols.extend(np.array([9.0, 10.0]), np.array([9, 10]))
    assert np.array_equal(cols.view()[1], np.arange(11))


def test_a_finished_live_run_keeps_its_raster_while_it_is_packed_off_the_gui_thread(widget, qapp, monkeypatch):
    """At the end of a flood the window fits the view to the run, which zooms in a little: the first
    paint then built the live raster again from every chunk at the new zoom, on the GUI thread (60 to
    80 ms for 600,000 segments, beside the thread packing them), for a picture the exact one replaces
    within a second. While that pack runs, a raster up to two levels coarser than the pixels serves."""
    monkeypatch.setattr(widget_module, "_FLUSH_SYNC_MAX", 1_000)
    big = _synthetic(60_000)
    live, cols = _live_copy(big)
    n = len(cols[0])
    widget.follow_live(True)
    widget.set_traces([live])
    _grow(live, cols, 0, n)
    widget.refresh()
    _settle(widget, qapp)
    widget.plot_widget.grab()
    item = widget.segment_item
    assert item.deferred_count() > 1_000  # drawn through the live raster
    built = item.raster_rebuilds
    live.trailer = dict(big.trailer)
    live.generation += 1
    widget.follow_live(False)
    widget.refresh()
    assert widget.is_loading()
    lo, hi = widget.plot_widget.viewRange()[0]
    widget.plot_widget.setXRange(lo, lo + (hi - lo) / 2, padding=0)  # twice as close: pixels a level finer
    widget.plot_widget.grab()
    assert item.raster_rebuilds == built
    assert item.last_paint.primitives > 0
    assert widget.wait_loaded(timeout=60)
    widget.plot_widget.setXRange(lo, lo + (hi - lo) / 40, padding=0)  # packed now: drawn exactly at any zoom
    widget.plot_widget.grab()
    assert item.deferred_count() == 0 and item.raster_rebuilds == built
