"""Issue 12, live animation: the trailer's GIL exclusion never blocks the event loop, and a live timeline
draws through a raster that costs the size of what arrived, while staying true to the trace."""

from __future__ import annotations

import asyncio
import time

import numpy as np

from threadloom.engine.session import ProbeSession
from threadloom.model import Trace
from threadloom.model.gil import reconcile_gil
from threadloom.wire.reader import JsonFrame

from .conftest import load_benchmark
from .test_ui_timeline import _grow, _live_copy, _synthetic
from .test_ui_timeline_live import _settle

_bench_gil = load_benchmark("bench_gil")  # whose convoy these tests reconcile


def _bench_convoy_trace(n_segments: int) -> Trace:
    """A live (no trailer yet) convoy as ``benchmarks/bench_gil.py`` makes it: crunchers in long ``running``
    segments, chatty threads doing round trips (io, ready, a 5-20 us precise ``running``) over them."""
    return _bench_gil.convoy_trace(_bench_gil.convoy_columns(n_segments))


def test_the_trailers_gil_exclusion_runs_off_the_event_loop_and_leaves_the_trace_reconciled():
    # A convoy big enough that reconciling it takes a good part of a second on this machine.
    reference = _bench_convoy_trace(1_500_000)
    t = time.perf_counter()
    reference.apply_record({"type": "trailer", "makespan_ns": int(reference.segments().end.max())})
    sync_s = time.perf_counter() - t

    trace = _bench_convoy_trace(1_500_000)
    session = ProbeSession.__new__(ProbeSession)
    session.trace, session._on_update = trace, None
    trailer = {"type": "trailer", "makespan_ns": int(trace.segments().end.max())}
    gaps: list[float] = []

    async def main() -> None:
        done = False

        async def ticker() -> None:
            last = time.perf_counter()
            while not done:
                await asyncio.sleep(0.002)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        tick = asyncio.ensure_future(ticker())
        await asyncio.sleep(0.01)
        await session._fold([JsonFrame(trailer)])
        done = True
        await tick

    asyncio.run(main())
    # The loop kept turning while the trace was reconciled (wide margin: a quarter of the synchronous time)...
    assert max(gaps) < max(sync_s / 4, 0.05), (max(gaps), sync_s)
    # ...and the result is what the synchronous rule gives: complete, every segment in place.
    assert trace.complete and trace.rewrites == reference.rewrites
    for a, b in zip(trace.segments(), reference.segments(), strict=True):
        assert np.array_equal(a, b)
    assert not reconcile_gil(trace)  # nothing left to cut


def test_apply_record_still_reconciles_synchronously_for_the_cli_and_saved_runs():
    trace = _bench_convoy_trace(60_000)
    before = len(trace)
    trace.apply_record({"type": "trailer", "makespan_ns": int(trace.segments().end.max())})
    assert trace.complete and len(trace) > before
    assert not reconcile_gil(trace)


# -- the live raster ---------------------------------------------------------------------------


def _frame_cells(item) -> np.ndarray:
    _, ncols, *_ = item.last_frame
    nrows = len(item._row_top)
    return np.frombuffer(item._image.bits(), dtype=np.uint32, count=nrows * ncols).reshape(nrows, ncols).copy()


def test_a_live_frame_draws_every_closed_segment_through_the_raster_in_a_colour_it_has(widget, qapp):
    live, cols = _live_copy(_synthetic(40_000))
    widget.set_traces([live])
    widget.follow_live(True)
    _grow(live, cols, 0, len(cols[0]) // 2)
    widget.refresh()
    _settle(widget, qapp)
    item = widget.segment_item
    widget.plot_widget.grab()
    assert item.deferred_count() > 0 and item.layer("0:tasks").buckets == {}  # nothing packed while live
    cells = _frame_cells(item)
    col0, ncols, tx, sx, _, _ = item.last_frame
    px = 1.0 / sx
    argb = item._argb
    band = widget.bands[0]
    seg = live.segments()
    rows = band.task_row(seg.task.astype(np.int64))
    start, end = seg.start / 1e6, seg.end / 1e6
    # Every segment shows in its row, at the pixel of its middle or one beside it (bins are <= a pixel).
    mid = np.floor((start + end) / 2 * sx + tx).astype(np.int64) - col0
    shown = item._rows_in(item.viewRect())  # rows scrolled out of view are not drawn
    ok = (mid >= 1) & (mid < ncols - 1) & (rows >= 0)
    ok[ok] = shown[rows[ok]]
    assert ok.sum() > len(seg) // 3
    lit = (cells[rows[ok], mid[ok]] != 0) | (cells[rows[ok], mid[ok] - 1] != 0) | (cells[rows[ok], mid[ok] + 1] != 0)
    assert lit.all(), f"{(~lit).sum()} segments not drawn"
    # Every lit pixel of a task row shows the state of a segment in that row within a pixel of it.
    rng = np.random.default_rng(1)
    task_rows = np.unique(rows[(rows >= 0) & shown[np.maximum(rows, 0)]])
    for r in rng.choice(task_rows, 12, replace=False).tolist():
        mine = rows == r
        s_r, e_r, st_r = start[mine], end[mine], seg.state[mine]
        for j in np.flatnonzero(cells[r]).tolist()[::7]:
            left = (col0 + j - tx) * px
            near = (s_r <= left + 2 * px) & (e_r >= left - px)
            assert cells[r, j] in set(argb[st_r[near]].tolist()), (r, j)


def test_a_live_refresh_and_frame_cost_the_new_tail_not_the_run(widget, qapp):
    live, cols = _live_copy(_synthetic(400_000))
    n = len(cols[0])
    widget.set_traces([live])
    widget.follow_live(True)

    def cost(at: int, turns: int = 8, tail: int = 2_000) -> float:
        _grow(live, cols, 0, at) if not len(live) else _grow(live, cols, len(live), at)
        widget.refresh()
        _settle(widget, qapp)
        widget.plot_widget.grab()
        times = []
        for i in range(turns):
            lo = at + i * tail
            _grow(live, cols, lo, lo + tail)
            t = time.perf_counter()
            widget.refresh()
            _settle(widget, qapp)
            widget.plot_widget.grab()
            times.append(time.perf_counter() - t)
        return float(np.median(times))

    small = cost(20_000)
    big = cost(n - 20_000)
    # Twenty times the segments drawn already; the frame costs about the same (wide margin: 3x).
    assert big < 3 * small + 0.004, (small, big)
    assert widget.segment_item.layer("0:tasks").buckets == {}


def test_a_zoomed_frame_of_a_big_run_is_drawn_from_a_tile_made_off_the_gui_thread(widget, qapp, monkeypatch):
    from threadloom.ui.timeline import segments

    monkeypatch.setattr(segments, "_TILE_MIN_SEGMENTS", 10_000)
    monkeypatch.setattr(segments, "_LEVEL_MIN_SEGMENTS", 10**12)  # no level of detail serves any layer
    big = _synthetic(120_000)
    widget.set_traces([big])
    _settle(widget, qapp)
    end = big.end_ns / 1e6
    widget.set_visible_range_ms(end * 0.5, end * 0.51)
    item = widget.segment_item
    widget.plot_widget.grab()
    assert item.last_paint.visible > 0  # the first frame at this zoom takes the segments one by one
    for _ in range(500):
        if item._tile is not None:
            break
        item._tile_thread.join(0.01)
        qapp.processEvents()
    assert item._tile is not None
    widget.plot_widget.grab()
    assert item.last_paint.visible == 0  # the next ones only sample the tile
    tiled = _frame_cells(item)
    monkeypatch.setattr(segments, "_TILE_MIN_SEGMENTS", 10**12)
    item.update()
    widget.plot_widget.grab()
    assert item.last_paint.visible > 0
    direct = _frame_cells(item)
    # Both show the same picture, but for a pixel here and there where segments meet.
    lit = (direct != 0) | (tiled != 0)
    assert lit.sum() > 1000
    assert (direct[lit] == tiled[lit]).mean() > 0.9
    # A change of the data drops the tile.
    item.set_rows(item._row_top, item._row_height)
    assert item._tile is None


def test_a_live_refresh_that_follows_the_run_paints_the_plot_once(widget, qapp):
    live, cols = _live_copy(_synthetic(40_000))
    widget.set_traces([live])
    widget.follow_live(True)
    item = widget.segment_item
    paints = []
    paint = item.paint

    def counted(*args):
        paints.append(1)
        return paint(*args)

    item.paint = counted
    try:
        for i in range(6):
            _grow(live, cols, i * 2_000, (i + 1) * 2_000)
            paints.clear()
            widget.refresh()
            for _ in range(20):
                qapp.processEvents()
                time.sleep(0.002)
            if i:  # the first refresh lays the rows out
                assert len(paints) == 1, (i, len(paints))
    finally:
        del item.paint


def test_tooltips_of_a_live_run_read_the_unpacked_segments_and_agree_with_the_packed_ones(widget, qapp):
    live, cols = _live_copy(_synthetic(20_000))
    widget.set_traces([live])
    _grow(live, cols, 0, len(cols[0]) // 2)
    widget.refresh()
    _settle(widget, qapp)
    item = widget.segment_item
    assert item.deferred_count() > 0
    rng = np.random.default_rng(5)
    end = live.end_ns / 1e6
    probes = [(float(rng.uniform(0, end)), widget.rows[r].top + 0.5) for r in rng.integers(0, len(widget.rows), 60)]
    live_texts = [widget.describe_at(ms, y) for ms, y in probes]
    item.flush_live()
    assert item.deferred_count() == 0
    assert [widget.describe_at(ms, y) for ms, y in probes] == live_texts
    assert sum(t is not None for t in live_texts) > 20
