"""Issue 12, what a live frame costs the GUI: only what changed is repainted.

Under a flood the GUI shares a 2-CPU machine with the probe, and every millisecond a frame costs
is one the pipe waits to be read. Each test here holds one of the savings: the time axis stands
still while the run grows into it, a live frame of the plot leaves the 400 row labels beside it
alone, a new figure in a label runs no layout, and a repaint of the scheduler or the plot paints
nothing of the window beneath it.
"""

from __future__ import annotations

import math
import time

import pytest
from PySide6.QtCore import QEvent, QObject, QSettings
from PySide6.QtWidgets import QVBoxLayout, QWidget

from threadloom.ui.elided import ElidedLabel
from threadloom.ui.timeline.axes import RowAxis
from threadloom.viewmodel.live import live_span_ms

from .conftest import load_benchmark
from .test_ui_timeline import _grow, _live_copy, _synthetic
from .test_ui_timeline_live import _settle


def test_the_live_time_span_is_a_round_number_a_little_past_the_end_and_grows_in_steps():
    spans = []
    end = 0.05
    while end < 100_000:
        span = live_span_ms(end)
        assert span >= end * 1.02 or end <= 0.1, (end, span)
        assert span <= max(end * 1.02 * 1.5 + 1e-9, 0.1), (end, span)  # the run fills two thirds or more
        spans.append(span)
        end *= 1.01
    distinct = sorted(set(spans))
    assert distinct == sorted(distinct) and spans == sorted(spans), "it only grows"
    # Over six decades, about seven steps a decade rather than a new range at every frame.
    assert len(distinct) <= 8 * 6 + 2, distinct


def test_a_followed_live_run_grows_into_a_time_axis_that_stands_still(widget, qapp):
    live, cols = _live_copy(_synthetic(40_000))
    n = len(cols[0])
    widget.set_traces([live])
    widget.follow_live(True)
    ranges, ends = [], []
    for i in range(40):
        _grow(live, cols, i * n // 80, (i + 1) * n // 80)
        widget.refresh()
        _settle(widget, qapp)
        ranges.append(widget.visible_range_ms())
        ends.append(live.end_ns / 1e6)
    for (x0, x1), end in zip(ranges, ends, strict=True):
        assert x0 <= 0.0 and x1 >= end, "the whole run so far is in view"
    # Forty refreshes over a run that grew fortyfold (1.6 decades): about seven ranges a decade.
    decades = math.log10(ends[-1] / ends[0])
    assert len(set(ranges)) <= 8 * decades + 1 < len(ranges) / 2, ranges


class _Counter(QObject):
    """Counts events of ``kind`` that reach the objects it filters."""

    def __init__(self, kind: QEvent.Type) -> None:
        super().__init__()
        self.kind, self.count = kind, 0

    def eventFilter(self, watched, event) -> bool:
        if event.type() == self.kind:
            self.count += 1
        return False


def test_a_live_frame_of_the_plot_does_not_repaint_the_row_labels_beside_it(widget, qapp, monkeypatch):
    paints = []
    paint = RowAxis.paint
    monkeypatch.setattr(RowAxis, "paint", lambda self, *args: (paints.append(1), paint(self, *args)))
    live, cols = _live_copy(_synthetic(40_000))
    n = len(cols[0])
    widget.set_traces([live])
    widget.follow_live(True)
    _grow(live, cols, 0, n // 2)
    widget.refresh()
    _settle(widget, qapp)
    widget.plot_widget.grab()
    _grow(live, cols, n // 2, n // 2 + 10)  # the first frame after a grab repaints the whole plot once
    widget.refresh()
    _settle(widget, qapp)
    for _ in range(5):
        qapp.processEvents()
    span = widget.visible_range_ms()
    frames = 0
    paints.clear()
    for i in range(8):
        lo = n // 2 + 10 + i * 200
        _grow(live, cols, lo, lo + 200)
        widget.refresh()
        _settle(widget, qapp)
        for _ in range(5):
            qapp.processEvents()
            time.sleep(0.002)
        frames += 1
    assert widget.visible_range_ms() == span, "the run grew within the span: the axis stood still"
    assert widget.segment_item.deferred_count() > 0, "the frames drew new segments"
    assert paints == [], f"the row labels were repainted {len(paints)} times in {frames} live frames"


def test_a_new_text_in_an_elided_label_runs_no_layout_and_is_drawn(qapp):
    parent = QWidget()
    layout = QVBoxLayout(parent)
    label = ElidedLabel(parent)
    layout.addWidget(label)
    parent.resize(120, 40)
    parent.show()
    for _ in range(5):
        qapp.processEvents()
    requests = _Counter(QEvent.Type.LayoutRequest)
    parent.installEventFilter(requests)
    try:
        for i in range(10):
            label.setText(f"{i * 1.5:.1f} ms")
            qapp.processEvents()
        assert requests.count == 0, "each new text asked the layouts above it to run again"
        assert label.text() == "13.5 ms" and label.shown_text() == "13.5 ms" and not label.is_elided()
        label.setText("a text far too long to fit in a hundred and twenty pixels")
        assert label.is_elided() and label.shown_text().endswith("…")
        image = label.grab().toImage()
        background = image.pixelColor(0, 0)
        assert any(image.pixelColor(x, y) != background for x in range(image.width()) for y in range(image.height())), (
            "the text is painted"
        )
    finally:
        parent.removeEventFilter(requests)
        parent.close()
        parent.deleteLater()


@pytest.fixture
def main_window(qapp, tmp_path):
    from threadloom.ui.window import MainWindow

    w = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    w.resize(1600, 900)
    w.show()
    for _ in range(10):
        qapp.processEvents()
    yield w
    w.close()
    w.deleteLater()


@pytest.mark.parametrize("part", ["scheduler", "plot", "summary"])
def test_a_live_repaint_of_a_view_paints_nothing_of_the_window_beneath_it(main_window, qapp, part):
    views = {
        "scheduler": main_window.scheduler,
        "plot": main_window.timeline.plot_widget.viewport(),
        "summary": main_window.summary,
    }
    paints = _Counter(QEvent.Type.Paint)
    main_window.installEventFilter(paints)
    try:
        for _ in range(5):
            views[part].update()
            qapp.processEvents()
        assert paints.count == 0, f"a repaint of the {part} repainted the main window {paints.count} times"
    finally:
        main_window.removeEventFilter(paints)


# -- the run's clock moves while nothing changes state -------------------------------------------


def test_a_live_trace_follows_the_probes_clock_while_every_task_waits():
    """Three tasks wait 300 ms: no event for 300 ms, yet the live run's end keeps up with the clock."""
    import asyncio

    from threadloom.engine.session import ProbeSession, RunRequest

    from .conftest import group, scenario, scenario_text

    seen: list[tuple[int, int]] = []

    def update(trace) -> None:
        if trace.header and not trace.complete:
            seen.append((time.monotonic_ns() - trace.t0_ns, trace.end_ns))

    async def main():
        text = scenario_text(group("wait", count=3, steps=[("io", 300)]))
        return await ProbeSession(RunRequest(scenario(text), "threads"), on_update=update).run()

    result = asyncio.run(main())
    assert result.trace.complete
    during = [(now, end) for now, end in seen if 20e6 < now < 280e6]
    # Before clock records the end stayed at the tasks' first events (about 0 ms) for the whole wait.
    assert len({end for _, end in during}) >= 3, during
    assert max(end for _, end in during) > 150e6, during
    assert all(end <= now for now, end in during), "never ahead of the probe's clock"


def test_a_clock_record_moves_a_live_trace_and_nothing_else():
    from threadloom.errors import WireFormatError
    from threadloom.model import Trace

    trace = Trace()
    trace.apply_record({"type": "clock", "t_ns": 5_000_000})  # before the header: no clock to move yet
    assert trace.end_ns == 0
    trace.apply_record({"type": "header", "t0_ns": 1_000_000, "tasks": [[0, "g", 0]]})
    trace.apply_record({"type": "clock", "t_ns": 41_000_000})
    assert trace.end_ns == 40_000_000 and len(trace) == 0
    trace.apply_record({"type": "clock", "t_ns": 21_000_000})  # an older one never moves it back
    assert trace.end_ns == 40_000_000
    with pytest.raises(WireFormatError, match="t_ns must be a whole number"):
        trace.apply_record({"type": "clock", "t_ns": "soon"})
    trace.apply_record({"type": "trailer", "makespan_ns": 50_000_000})
    trace.apply_record({"type": "clock", "t_ns": 99_000_000})
    assert trace.end_ns == 50_000_000, "a complete run ends at its makespan"


#: Runs the app's window through a live run in a fresh interpreter and prints the modules first imported
#: while the run was live (from its first view refresh to its end), one per line.
_IMPORTS_WHILE_LIVE = """
import asyncio, os, sys, tempfile
from PySide6.QtCore import QSettings
import qasync
from threadloom.ui.app import make_app
from threadloom.ui.window import MainWindow
from threadloom.scenario.presets import resolve_scenario

make_app([])
async def main():
    window = MainWindow(settings=QSettings(os.path.join(tempfile.mkdtemp(), "s.ini"), QSettings.Format.IniFormat))
    window.show()
    scenario = resolve_scenario("mixed")
    window.select_scenario(scenario)
    window.set_models([scenario.model])
    seen = {}
    def first_update():
        seen.setdefault("before", set(sys.modules))
    window.runner.liveUpdate.connect(first_update)
    def finished(_):
        seen["after"] = set(sys.modules)
    window.runner.finished.connect(finished)
    await window.run_current()
    print("\\n".join(sorted(seen["after"] - seen["before"])))
    window.close()
qasync.run(main())
"""


def test_a_live_run_imports_nothing_while_it_is_live():
    """A module imported mid-run stalls the live view: PySide's import hook reads its source (numpy.ma,
    which numpy imports on the first ``np.unique``, cost the first live frame over 100 ms)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTS_WHILE_LIVE], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    imported = [line for line in done.stdout.splitlines() if line.strip()]
    assert imported == [], f"imported while live: {imported}"


@pytest.mark.parametrize("follow", [False, True])
def test_a_narrow_timeline_still_labels_time_zero(widget, qapp, follow):
    """pyqtgraph drops a tick label that would stick out of its axis, and 1 % of a narrow plot was less
    than half of the label "0": a 1024 px window's timeline started at 100 ms, fitted or live."""
    from PySide6.QtGui import QImage, QPainter

    widget.resize(360, 400)
    live, cols = _live_copy(_synthetic(4_000))
    widget.set_traces([live])
    _grow(live, cols, 0, len(cols[0]))
    widget.follow_live(follow)
    widget.refresh()
    _settle(widget, qapp)
    if not follow:
        widget.fit_time()
    for _ in range(5):
        qapp.processEvents()
    axis = widget.plot_widget.getPlotItem().getAxis("bottom")
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _, _, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    assert "0" in [text for _, _, text in texts], [text for _, _, text in texts]


def test_the_ingest_benchmark_counts_no_lag_once_the_run_is_over():
    """``bench_gui_ingest.py`` sampled "now minus what was drawn" until the window had the whole trace:
    while the probe shut down and the trailer was folded, some 100 ms after the run's last event, the
    lag grew with the clock although nothing of the run was missing, and those samples were the top
    5 % of every flood. After the run's end a sample counts only what of the run was still undrawn."""
    bench = load_benchmark("bench_gui_ingest")
    ms = 1_000_000
    samples = [(100 * ms, 60 * ms, 90 * ms), (300 * ms, 190 * ms, 200 * ms), (400 * ms, 200 * ms, 200 * ms)]
    drawn, received = bench.trailing_ms(samples, end_ns=200 * ms)
    assert drawn == [40.0, 10.0, 0.0]
    assert received == [10.0, 0.0, 0.0]


def test_a_new_runs_band_is_laid_out_in_one_turn_and_its_events_go_in_at_the_next(main_window, qapp, monkeypatch):
    """The first live update of a run laid out its band (rows, labels, axes: 11 to 23 ms for 400
    tasks) and packed what had arrived in the same turn, and Qt painted both before the loop turned:
    a flood's longest stall, 40 to 66 ms. The layout goes first; the events follow a turn later."""
    live, cols = _live_copy(_synthetic(4_000))
    _grow(live, cols, 0, len(cols[0]))
    runner = main_window.runner
    monkeypatch.setattr(runner, "traces", lambda: [live])
    monkeypatch.setattr(runner, "labels", lambda: ["threads"])
    monkeypatch.setattr(runner, "live_trace", lambda: live)
    packed = main_window.timeline.segment_item.layer_count
    main_window._on_live_update()
    assert len(main_window.timeline.bands) == 1
    assert packed("0:tasks") == 0, "the band's events were packed in the turn that laid it out"
    deadline = time.monotonic() + 5
    while packed("0:tasks") == 0 and time.monotonic() < deadline:
        qapp.processEvents()
        time.sleep(0.002)
    assert packed("0:tasks") > 0, "the events never went in"
    assert main_window.scheduler.snapshot() is not None
