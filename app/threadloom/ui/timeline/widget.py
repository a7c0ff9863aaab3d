"""``TimelineWidget``: the legend above a plot of every task, worker and the GIL over time.

The rows and layers come from :mod:`threadloom.viewmodel.lanes` (one :class:`~threadloom.viewmodel.lanes.Band`
per trace); this module lays them on screen, scrolls them, keeps live runs up to date a few ms per
turn of the event loop, and turns mouse moves into tooltips (:mod:`threadloom.viewmodel.timeline_text`).
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QCursor, QFont, QFontMetrics
from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollBar, QToolTip, QVBoxLayout, QWidget

from ...model import STATES, Trace
from ...model.gil import GIL_MODE_TEXT, holder_at
from ...viewmodel.lanes import BAND_GAP, NS_PER_MS, ROW_INSET, SHADED, Band, LayerUpdate, Row
from ...viewmodel.live import live_span_ms
from ...viewmodel.timeline_text import band_subtitle, describe_idle, describe_segment
from ..palette import state_colors, theme
from .axes import RowAxis, TimeAxis, TimeViewBox
from .decor import Backdrop, HandoffItem
from .legend import Legend
from .segments import SegmentItem, pack_layer, prepare_level

_RUNNING = STATES.index("running")
#: Extra colour index after the seven states: the alternate shade of ``running`` in the GIL lane,
#: so that a hand-off from one holder to the next shows as a change of shade.
_RUNNING_ALT = len(STATES)
#: The colour of each GIL-lane shade (0, 1).
_SHADE_COLORS = np.array([_RUNNING, _RUNNING_ALT], dtype=np.uint8)

#: A live refresh packs new segments in slices of this many per band, for at most ``_REFRESH_MS`` per
#: turn of the event loop, then goes on in the next turn: the probe may deliver a few hundred thousand
#: at once, and packing them in one go would freeze the window for longer than a frame or two. A time
#: budget rather than a count adapts to a busy machine (the probe itself keeps a core busy).
_REFRESH_SLICE = 4_000
_REFRESH_MS = 6.0
#: While a live catch-up takes several turns, the segments repaint at most this often (ms).
_FRAME_MS = 40.0
#: Pixels kept before a fitted run's start (see TimelineWidget._edge_pad).
_EDGE_PAD_PX = 12.0
#: Complete runs with more segments than this (all bands together) are packed off the GUI thread,
#: with the progress shown over the plot: packing ten million segments takes seconds, and the window
#: must not freeze for them when a big run opens or finishes. Below it, packing takes a few tens of ms.
_BACKGROUND_MIN = 300_000
#: How often the GUI looks whether a background pack is done (ms).
_POLL_MS = 30
#: The layers that only grow while a run is live, drawn through the live raster.
_GROWING = frozenset(("tasks", "workers", "gil"))
#: When a live run is over, up to this many segments drawn through the raster are packed at once on the
#: GUI thread (some 20 ms); more are packed off it.
_FLUSH_SYNC_MAX = 30_000
#: While a finished live run is packed off the GUI thread, its raster serves up to this many levels
#: coarser than the pixels (bins of up to 4 px): fitting the run at its end zooms in by less than 2x.
_PACKING_RASTER_SLACK = 2


class _PackJob:
    """Packs complete bands into segment layers on a thread of its own (numpy does most of the work and
    lets the GUI thread run meanwhile). ``progress`` goes from 0 to 1; :meth:`result` is ``None`` until
    done, then ``(bands, {layer name: layer})``, or raises what packing raised."""

    def __init__(self, bands: list[Band], px_ms: float) -> None:
        self.bands = bands
        self._px_ms = px_ms
        self._total = max(sum(3 * len(b.trace) for b in bands), 1)
        self._done = 0
        self._layers: dict[str, object] = {}
        self._error: BaseException | None = None
        self._finished = threading.Event()
        self._thread = threading.Thread(target=self._run, name="threadloom-pack", daemon=True)
        self._thread.start()

    @property
    def progress(self) -> float:
        return min(self._done / self._total, 0.99) if not self._finished.is_set() else 1.0

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._finished.wait(timeout)

    def _run(self) -> None:
        try:
            for band in self.bands:
                _, updates = band.load(True)
                self._done += len(band.trace)
                for u in updates:
                    values = _SHADE_COLORS[u.values] if u.kind in SHADED else u.values
                    layer = pack_layer(u.rows, u.start, u.end, values, u.payload)
                    prepare_level(layer, self._px_ms)
                    self._layers[band.layer(u.kind)] = layer
                    self._done += len(u.start)
        except BaseException as exc:  # handed to the GUI thread, which raises it there
            self._error = exc
        finally:
            self._finished.set()

    def result(self) -> tuple[list[Band], dict[str, object]] | None:
        if not self._finished.is_set():
            return None
        if self._error is not None:
            raise self._error
        return self.bands, self._layers


_MIN_VISIBLE_ROWS = 15.0
#: Rows get at least this many pixels: the height of a row label, so that every row keeps its label.
#: What does not fit then scrolls, with a scroll bar beside the plot saying so.
_MIN_ROW_PX = 12.0
#: Empty row units above the first row and below the last: room for the first label to be drawn whole.
_TOP_PAD = 0.4
_BOTTOM_PAD = 0.25
#: Scroll bar steps per row unit.
_BAR_STEPS = 100
#: What the empty timeline says, in place of axes that would show a meaningless 0 to 1.
EMPTY_TEXT = (
    "Nothing has run yet.\n\nPick a scenario and its models on the left, then press Run (Ctrl+R): "
    "every task, every worker and the GIL appear here as the run goes."
)


class TimelineWidget(QWidget):
    """Timeline of one run, or of several stacked in bands for comparison.

    Rows, top to bottom in each band: the GIL lane (who holds the GIL; a change of shade and, when
    zoomed in, a small triangle mark each hand-off), one row per worker, then one row per task
    grouped by scenario group. Wheel zooms time, dragging pans it; clicking a row or the time axis,
    or dragging the time axis, scrubs the replay cursor (``cursorMoved``); a double-click fits the
    run. Hovering a segment shows its task, group, worker, state, start and length.

    Signals:
        cursorMoved(float): the user moved the replay cursor to this time (ms).
    """

    cursorMoved = Signal(float)

    def __init__(self, parent: QWidget | None = None, dark: bool = False) -> None:
        super().__init__(parent)
        self._dark = dark
        self._bands: list[Band] = []
        self._rows: list[Row] = []
        self._follow = False
        self._follow_window: float | None = None
        self._live_span = 0.0  # where the time axis ends while following a whole live run
        self._cursor_ms: float | None = None
        self._catch_up = QTimer(self)  # goes on with a live refresh that had more to pack than one turn's budget
        self._catch_up.setSingleShot(True)
        # 1 ms, not 0: a zero timer started while Qt activates timers may fire in the same pass,
        # back to back with the refresh that started it, before the other due timers get their turn.
        self._catch_up.setInterval(1)
        self._catch_up.timeout.connect(self.refresh)
        self._slice = _REFRESH_SLICE  # segments per slice of a live refresh, adapted to what a slice costs
        self._last_shown = 0.0  # perf_counter of the last repaint a live refresh asked for
        self._job: _PackJob | None = None  # complete bands being packed off the GUI thread
        # Whether the runs shown are over (the window showed them again when they ended): their layers
        # are packed for exact drawing then, not kept in the live raster.
        self._settled = False
        self._job_poll = QTimer(self)
        self._job_poll.setInterval(_POLL_MS)
        self._job_poll.timeout.connect(self._poll_job)

        self._legend = Legend(self)
        self._row_axis = RowAxis()
        self._time_axis = TimeAxis(self._scrub)
        self._view = TimeViewBox(self._scrub, self.fit_time, enableMenu=False)
        self._plot = pg.PlotWidget(viewBox=self._view, axisItems={"left": self._row_axis, "bottom": self._time_axis})
        # The view paints its whole background (setBackground): without this, each live frame
        # repaints every widget beneath the plot, up to the main window, first.
        self._plot.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        # Qt pads every repainted rectangle by 2 px for antialiased edges drawn past an item's bounds;
        # none of the timeline's items draws past its bounds, and the padding reaches the axes beside
        # the plot, which then repaint (400 row labels) at every live frame.
        self._plot.setOptimizationFlag(pg.QtWidgets.QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing, True)
        self._plot.setAntialiasing(False)
        self._plot.hideButtons()
        self._plot.setMenuEnabled(False)
        self._view.invertY(True)
        self._view.setMouseEnabled(x=True, y=False)
        self._view.disableAutoRange()
        self._plot.getPlotItem().layout.setContentsMargins(4, 4, 16, 4)

        self._backdrop = Backdrop()
        self._backdrop.setZValue(-10)
        self._plot.addItem(self._backdrop, ignoreBounds=True)
        self._segments = SegmentItem(self._colors())
        self._plot.addItem(self._segments)
        self._handoffs: list[HandoffItem] = []
        self._notes: list[tuple[pg.TextItem, int]] = []  # (item, row it labels)
        self._subtitles: list[tuple[Band, pg.TextItem]] = []  # compare bands: what each ran
        self._note_texts: dict[pg.TextItem, str] = {}  # each note's whole text (it may be shown elided)
        self._cursor = pg.InfiniteLine(angle=90, movable=True)
        self._cursor.setZValue(20)
        self._cursor.hide()
        self._cursor.sigDragged.connect(self._on_cursor_dragged)
        self._plot.addItem(self._cursor, ignoreBounds=True)
        # Until there is a run, a sentence saying what to do stands where the axes would be.
        self._placeholder = QLabel(EMPTY_TEXT, self._plot)
        self._placeholder.setObjectName("timelinePlaceholder")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setWordWrap(True)
        self._placeholder.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        # While a big run is packed off the GUI thread, how far it got, at the plot's top left.
        self._progress = QLabel("", self._plot)
        self._progress.setObjectName("timelineProgress")
        self._progress.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._progress.hide()
        self._plot.installEventFilter(self)
        self._view.sigXRangeChanged.connect(self._place_notes)
        self._plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        # Rows that do not fit scroll: the bar shows that there are more and lets the user get there.
        self._rows_bar = QScrollBar(Qt.Orientation.Vertical, self)
        self._rows_bar.hide()
        self._rows_bar.valueChanged.connect(self._on_rows_scrolled)
        self._view.sigYRangeChanged.connect(self._sync_rows_bar)
        # The view's own height decides how many rows fit: it changes with docks and axes, not only
        # when this widget is resized.
        self._view.sigResized.connect(self._apply_y_range)
        self._view.sigResized.connect(self._place_notes)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self._legend)
        plot_row = QHBoxLayout()
        plot_row.setContentsMargins(0, 0, 0, 0)
        plot_row.setSpacing(0)
        plot_row.addWidget(self._plot, 1)
        plot_row.addWidget(self._rows_bar)
        layout.addLayout(plot_row, 1)
        self.set_dark(dark)
        self._show_empty()

    # -- public API --------------------------------------------------------------------------
    @property
    def plot_widget(self) -> pg.PlotWidget:
        """The underlying ``pg.PlotWidget`` (for exporters: render or grab it)."""
        return self._plot

    @property
    def segment_item(self) -> SegmentItem:
        """The item drawing every segment; ``segment_item.last_paint`` tells what a frame drew."""
        return self._segments

    @property
    def bands(self) -> tuple[Band, ...]:
        """One Qt-free :class:`~threadloom.viewmodel.lanes.Band` per trace shown: its GIL lane, hand-offs, rows."""
        return tuple(self._bands)

    @property
    def rows(self) -> tuple[Row, ...]:
        """Every row, top to bottom, in the plot's coordinates (``top``, ``height``, ``label``)."""
        return tuple(self._rows)

    @property
    def view_box(self) -> TimeViewBox:
        """The plot's view box: its ``viewRange()`` is what is on screen."""
        return self._view

    @property
    def row_axis(self) -> RowAxis:
        """The left axis; ``drawn_labels`` tells which row labels its last paint drew."""
        return self._row_axis

    @property
    def rows_scrollbar(self) -> QScrollBar:
        """The vertical bar shown when the rows do not fit."""
        return self._rows_bar

    def row_span(self) -> tuple[float, float]:
        """The vertical extent of all rows, with the padding above and below."""
        return self._row_span()

    def note_texts(self) -> list[str]:
        """The texts written over the plot: band subtitles and notes such as "no GIL"."""
        return [note.textItem.toPlainText() for note, _ in self._notes]

    def subtitle_items(self) -> list:
        """The text items of the compare bands' subtitles, top to bottom."""
        return [item for _, item in self._subtitles]

    def set_traces(self, traces: list[Trace], labels: list[str] | None = None) -> None:
        """Show these runs: one trace alone, or several in stacked bands titled by ``labels``.

        ``labels`` defaults to each trace's model. Live traces may be passed; call :meth:`refresh`
        when they change. A complete trace is packed at once; a live one, or the same traces again
        (the run just completed), is caught up a few ms at a time over the next turns of the event loop.
        """
        if labels is not None and len(labels) != len(traces):
            raise ValueError(f"set_traces: got {len(traces)} traces but {len(labels)} labels")
        names = [str(n) for n in (labels if labels is not None else [t.model for t in traces])]
        same = len(traces) == len(self._bands) and all(
            b.trace is t and b.label == name for b, t, name in zip(self._bands, traces, names, strict=False)
        )
        if same and traces and not any(b.layout_changed() for b in self._bands):
            # The live runs just finished (the window shows them again, whole): keep what is already
            # packed and add only the rest, over the next turns (or at the caller's refresh()),
            # rather than packing every segment again now.
            self._settled = True
            self._catch_up.start()
        else:
            self._settled = False
            self._bands = [Band(trace, name, i) for i, (trace, name) in enumerate(zip(traces, names, strict=True))]
            self._rebuild()
        self._show_empty()
        self.fit_time()

    def placeholder_text(self) -> str:
        """What the empty timeline says in place of its axes ("" once it shows a run)."""
        return "" if self._placeholder.isHidden() else self._placeholder.text()

    def set_placeholder(self, text: str | None = None) -> None:
        """Say ``text`` while the timeline is empty (``None``: what to do on the first screen)."""
        self._placeholder.setText(EMPTY_TEXT if text is None else text)

    def _show_empty(self) -> None:
        empty = not self._bands
        item = self._plot.getPlotItem()
        for name in ("left", "bottom"):
            item.showAxis(name, not empty)
        self._placeholder.setVisible(empty)
        self._place_placeholder()

    def _place_placeholder(self) -> None:
        r = self._plot.rect()
        width = min(r.width() - 40, 520)
        self._placeholder.setGeometry((r.width() - width) // 2, 0, max(width, 40), r.height())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._plot and event.type() == QEvent.Type.Resize:
            self._place_placeholder()
        return super().eventFilter(watched, event)

    def refresh(self) -> None:
        """Catch up with live traces: cheap when nothing changed, appends only the new tail.

        A big tail is packed over several turns of the event loop (about ``_REFRESH_MS`` of work per
        turn), so that one huge batch from the probe never freezes the window.
        """
        self._catch_up.stop()
        show = True
        if self._job is not None:
            # Complete bands are being packed off the GUI thread; they join when done (see _poll_job).
            pass
        elif any(b.layout_changed() for b in self._bands):
            self._rebuild()
        elif self._repack_in_background():
            pass
        else:
            behind = False
            now = time.perf_counter()
            deadline = now + _REFRESH_MS / 1000.0
            for band in self._bands:
                caught_up = band.trace.generation == band.generation
                while not caught_up:
                    t = time.perf_counter()
                    seen = band.n_seen
                    caught_up = self._load_band(band, full=False, budget=self._slice, notify=False)
                    done = time.perf_counter()
                    self._adapt_slice(band.n_seen - seen, done - t)
                    if done > deadline:
                        break
                behind |= not caught_up
            # A catch-up over several turns repaints once it is done, or every _FRAME_MS meanwhile:
            # a frame costs as much as a turn of packing, and the turns in between show nothing new.
            # Everything else that moves (hand-off marks, idle backdrops, the followed range) waits too:
            # any of them would repaint the whole plot.
            show = not behind or now - self._last_shown >= _FRAME_MS / 1000.0
            if not behind and (self._settled or all(b.trace.complete for b in self._bands)):
                self._finish_live()
            if show:
                self._last_shown = now
                self._segments.notify_changed()
                self._after_data()
                self._update_subtitles()
            if behind:
                # After a turn that drew nothing the next may follow at once; after a frame, let the
                # other due timers run first.
                self._catch_up.start(1 if show else 0)
        if self._follow and show:
            self._apply_follow()

    def _adapt_slice(self, packed: int, seconds: float) -> None:
        """Slices of about a third of a turn's budget: big enough that the fixed cost of a slice (a few
        hundred numpy calls) is spread thin, small enough that a turn ends near its budget."""
        if packed < self._slice // 2 or seconds <= 0:
            return  # a short tail says nothing about the rate
        rate = packed / seconds
        self._slice = int(min(max(rate * _REFRESH_MS / 3000.0, _REFRESH_SLICE // 2), 16 * _REFRESH_SLICE))

    def is_loading(self) -> bool:
        """Whether a big complete run is still being packed off the GUI thread (its progress shows)."""
        return self._job is not None

    def loading_progress(self) -> float | None:
        """How far packing off the GUI thread got, 0 to 1; None when nothing is being packed."""
        return None if self._job is None else self._job.progress

    def wait_loaded(self, timeout: float | None = None) -> bool:
        """Block until a background pack is done and show its result (for tests and pictures)."""
        job = self._job
        if job is not None:
            job.wait(timeout)
            self._poll_job()
        return self._job is None

    def _big(self) -> bool:
        return all(b.trace.complete for b in self._bands) and sum(len(b.trace) for b in self._bands) > _BACKGROUND_MIN

    def _start_job(self, bands: list[Band]) -> None:
        width = self._view.width() if self._view.width() > 50 else max(self.width() - 90, 200)
        px_ms = max(self._end_ms(), 1e-3) * 1.02 / width
        self._job = _PackJob(bands, px_ms)
        self._segments.raster_slack = _PACKING_RASTER_SLACK
        self._show_progress()
        self._job_poll.start()

    def _repack_in_background(self) -> bool:
        """A big complete run whose segments were rewritten (GIL exclusion at its end) is packed again
        off the GUI thread into fresh bands; what is drawn now stays until they are ready."""
        if not self._big() or all(b.trace.rewrites == b.rewrites for b in self._bands):
            return False
        self._pack_afresh()
        return True

    def _show_progress(self) -> None:
        job = self._job
        if job is None:
            self._progress.hide()
            return
        n = sum(len(b.trace) for b in job.bands)
        self._progress.setText(f"Packing {n:,} segments for drawing… {job.progress:.0%}")
        self._progress.adjustSize()
        self._progress.move(8, 6)
        self._progress.show()
        self._progress.raise_()

    def _poll_job(self) -> None:
        job = self._job
        if job is None or not job.done:
            self._show_progress()
            if job is None:
                self._job_poll.stop()
            return
        self._job = None
        self._job_poll.stop()
        self._segments.raster_slack = 0
        self._progress.hide()
        bands, layers = job.result()
        if bands is not self._bands:  # a repack: the fresh bands take the old ones' place
            by_index = {b.index: b for b in bands}
            self._subtitles = [(by_index.get(b.index, b), note) for b, note in self._subtitles]
            self._bands = bands
        for name, layer in layers.items():
            self._segments.install_layer(name, layer)
        self._after_data()
        self._update_subtitles()
        if self._follow:
            self._apply_follow()

    def follow_live(self, enabled: bool, window_ms: float | None = None) -> None:
        """Keep the end of the run in view: the whole run so far, or its last ``window_ms``."""
        self._follow = enabled
        self._follow_window = window_ms
        self._live_span = 0.0
        if enabled:
            self._apply_follow()

    def fit_time(self) -> None:
        """Show every run from its start to the end of the longest one (View > Fit, a double-click)."""
        end = self._end_ms()
        # The limits may still be those of the live run's last refresh, which would cut the range.
        self._set_time_limits(end)
        end = max(end, 1e-3)
        pad = self._edge_pad(end)
        self._view.setXRange(-pad, end + pad, padding=0)

    def _edge_pad(self, span_ms: float) -> float:
        """Room at either end of a fitted or followed range: 1 % of it, and at least enough pixels that
        the axis's 0 label, centred on 0, is not cut (pyqtgraph then drops it: a narrow window had none)."""
        # The plot widget's width less a typical row axis, not the view box's own: that moves with the
        # row labels' width, and a followed range that moved with it would repaint the whole plot.
        width = max(self._plot.width() - 100, 100)
        return span_ms * max(0.01, _EDGE_PAD_PX / width)

    def visible_range_ms(self) -> tuple[float, float]:
        """The time span on screen, in ms."""
        x0, x1 = self._view.viewRange()[0]
        return float(x0), float(x1)

    def set_visible_range_ms(self, start: float, end: float) -> None:
        self._view.setXRange(start, end, padding=0)

    def set_cursor_ms(self, ms: float | None) -> None:
        """Place the replay cursor at ``ms``, or hide it with None. Does not emit ``cursorMoved``."""
        self._cursor_ms = ms
        if ms is None:
            self._cursor.hide()
        else:
            self._cursor.setValue(float(ms))
            self._cursor.show()

    def cursor_ms(self) -> float | None:
        return self._cursor_ms

    def set_dark(self, dark: bool) -> None:
        """Switch between the light and dark palettes."""
        self._dark = dark
        th = theme(dark)
        self._plot.setBackground(th.background)
        for axis in (self._row_axis, self._time_axis):
            axis.setPen(pg.mkPen(th.grid))
            axis.setTextPen(pg.mkPen(th.foreground))
            font = QFont()
            font.setPointSizeF(9.0)
            axis.setTickFont(font)
        self._time_axis.label.setDefaultTextColor(QColor(th.muted))
        self._segments.set_colors(self._colors())
        for item in self._handoffs:
            item.set_color(th.foreground)
        for note, _ in self._notes:
            note.setColor(th.muted)
        pen = pg.mkPen(th.cursor, width=2)
        self._cursor.setPen(pen)
        self._cursor.setHoverPen(pg.mkPen(th.cursor, width=4))
        self._legend.set_dark(dark)
        self._placeholder.setStyleSheet(f"color: {th.muted}; font-size: 11pt; background: transparent;")
        self._progress.setStyleSheet(f"color: {th.muted}; background: {th.background}; padding: 2px 6px;")
        self.setStyleSheet(f"background: {th.background};")
        if self._bands:
            self._apply_layout_decor()

    def is_dark(self) -> bool:
        return self._dark

    def gil_holder_at(self, ms: float, band: int = 0) -> int | None:
        """The task id whose ``running`` segment in the GIL lane of ``band`` covers ``ms``, or None.

        With the GIL off several tasks may run at once; then the one that started last is returned.
        """
        if not self._bands or self._job is not None:
            return None
        b = self._bands[band]
        return holder_at((b.gil, b.gil_open), ms)

    def row_labels(self, band: int | None = None) -> list[str]:
        """Labels of the rows, top to bottom (of one band, or of all)."""
        if band is None:
            return [r.label for r in self._rows]
        b = self._bands[band]
        return [r.label for r in self._rows if b.top <= r.top < b.bottom]

    def describe_at(self, ms: float, y: float, tolerance_ms: float = 0.0) -> str | None:
        """The tooltip text for the segment at time ``ms`` and row coordinate ``y``, or None."""
        row = self._row_at(y)
        if row is None or self._job is not None:
            return None
        hit = self._segments.segment_at(ms, row, tolerance_ms)
        if hit is None:
            return describe_idle(self._bands, ms, row)
        layer, payload = hit
        band_index, kind = layer.split(":")
        return describe_segment(self._bands[int(band_index)], kind, payload)

    # -- building ----------------------------------------------------------------------------
    def _colors(self) -> list[str]:
        colors = state_colors(self._dark)
        alt = QColor(colors["running"])
        alt = alt.lighter(128) if self._dark else alt.darker(135)
        return [colors[s] for s in STATES] + [alt.name()]

    def _rebuild(self) -> None:
        self._catch_up.stop()
        self._job = None  # a pack still running for other bands is dropped when it ends
        self._job_poll.stop()
        self._progress.hide()
        self._segments.clear()
        self._rows = []
        y = 0.0
        compare = len(self._bands) > 1
        for band in self._bands:
            y = band.lay_out(self._rows, y, compare) + BAND_GAP
        self._segments.set_rows(
            np.array([r.top + r.height * ROW_INSET for r in self._rows]),
            np.array([r.height * (1 - 2 * ROW_INSET) for r in self._rows]),
        )
        for item in self._handoffs:
            self._plot.removeItem(item)
        for note, _ in self._notes:
            self._plot.removeItem(note)
        self._handoffs, self._notes, self._subtitles, self._note_texts = [], [], [], {}
        th = theme(self._dark)
        for band in self._bands:
            handoff = HandoffItem()
            handoff.set_color(th.foreground)
            handoff.setZValue(10)
            self._plot.addItem(handoff, ignoreBounds=True)
            self._handoffs.append(handoff)
            if not band.draws_gil:
                self._add_note(band.gil_row, GIL_MODE_TEXT[band.gil_mode], italic=True)
            if compare:
                note = self._add_note(band.gil_row - 1, band_subtitle(band.trace), italic=False)
                self._subtitles.append((band, note))
        behind = False
        if self._big():
            # Seconds of packing for a run of millions of segments: off the GUI thread, with progress shown.
            self._start_job(self._bands)
            self._apply_layout_decor(reset_scroll=True)
            self._set_time_limits(self._end_ms())
            return
        for band in self._bands:
            # A live run's events go in over the next turns: laying out its rows (hundreds, for a run of
            # many tasks) and packing what arrived with the header, both painted before the loop turned,
            # were a flood's longest stall.
            budget = None if band.trace.complete else 0
            behind |= not self._load_band(band, full=True, budget=budget)
        self._apply_layout_decor(reset_scroll=True)
        self._after_data()
        if behind:
            self._catch_up.start()

    def _apply_layout_decor(self, reset_scroll: bool = False) -> None:
        th = theme(self._dark)
        ticks = []
        style = {"title": "title", "gil": "lane", "header": "header", "worker": "row", "task": "row"}
        for r in self._rows:
            ticks.append((r.top + r.height / 2, r.label, style[r.kind]))
        self._row_axis.set_rows(ticks, th.muted)
        fills: list[tuple[float, float, str]] = []
        for band in self._bands:
            if band.index % 2 == 1:
                fills.append((band.top - BAND_GAP / 2, band.bottom - band.top + BAND_GAP, th.band))
            gil = self._rows[band.gil_row]
            fills.append((gil.top + 0.04, gil.height - 0.08, th.grid))
            if band.index > 0:
                fills.append((band.top - BAND_GAP / 2 - 0.015, 0.03, th.muted))
        self._backdrop.set_fills(fills)
        self._update_idle()
        self._apply_y_range(reset_scroll=reset_scroll)

    def _update_idle(self) -> None:
        # While bands are packed off the GUI thread, their figures are not to be read yet.
        spans = [] if self._job is not None else [span for band in self._bands for span in band.idle_spans(self._rows)]
        self._backdrop.set_spans(spans, state_colors(self._dark)["idle"])
        self._place_notes()

    def _row_span(self) -> tuple[float, float]:
        return -_TOP_PAD, self._rows[-1].top + self._rows[-1].height + _BOTTOM_PAD

    def _apply_y_range(self, reset_scroll: bool = False) -> None:
        """Fit the rows to the height: a few rows must not become giant bars, hundreds stay readable.

        Rows get at least _MIN_ROW_PX pixels, enough for their labels; what does not fit scrolls
        (scroll bar, or drag vertically). New traces start scrolled to the top.
        """
        if not self._rows:
            self._rows_bar.hide()
            return
        top, bottom = self._row_span()
        # Before the first layout the view has no height yet: guess from the plot's.
        height_px = self._view.height() if self._view.height() > 50 else max(self._plot.height() * 0.8, 100.0)
        fits = height_px / self._min_row_px()
        shown = min(max(bottom - top, _MIN_VISIBLE_ROWS), fits)
        scrolls = bottom - top > shown + 1e-9
        self._view.setMouseEnabled(x=True, y=scrolls)
        self._view.setLimits(yMin=top, yMax=max(bottom, top + shown), minYRange=shown, maxYRange=shown)
        y0 = self._view.viewRange()[1][0] if scrolls and not reset_scroll else top
        y0 = min(max(y0, top), max(bottom - shown, top))
        self._view.setYRange(y0, y0 + shown, padding=0)
        self._rows_bar.blockSignals(True)
        self._rows_bar.setRange(0, round((bottom - top - shown) * _BAR_STEPS) if scrolls else 0)
        self._rows_bar.setPageStep(max(1, round(shown * _BAR_STEPS)))
        self._rows_bar.setSingleStep(_BAR_STEPS)
        self._rows_bar.setValue(round((y0 - top) * _BAR_STEPS))
        self._rows_bar.blockSignals(False)
        self._rows_bar.setVisible(scrolls)

    def _min_row_px(self) -> float:
        """A line of the row labels' text at least: thinner rows make labels touch, or the axis drops some."""
        font = self._row_axis.style["tickFont"] or QFont()
        return max(_MIN_ROW_PX, float(QFontMetrics(font).height()))

    def _on_rows_scrolled(self, value: int) -> None:
        if not self._rows:
            return
        top, _ = self._row_span()
        y0, y1 = self._view.viewRange()[1]
        start = top + value / _BAR_STEPS
        self._view.setYRange(start, start + (y1 - y0), padding=0)

    def _sync_rows_bar(self, *args) -> None:
        if not self._rows or not self._rows_bar.isVisible():
            return
        top, _ = self._row_span()
        self._rows_bar.blockSignals(True)
        self._rows_bar.setValue(round((self._view.viewRange()[1][0] - top) * _BAR_STEPS))
        self._rows_bar.blockSignals(False)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._apply_y_range()

    def _load_band(self, band: Band, full: bool, budget: int | None = None, notify: bool = True) -> bool:
        """Pack a band's segments (all, or only the new tail: see :meth:`Band.load`) into the segment item.
        Returns whether the band has caught up with its trace."""
        caught_up, updates = band.load(full, budget)
        for update in updates:
            self._put(band, update, notify)
        return caught_up

    def _put(self, band: Band, u: LayerUpdate, notify: bool = True) -> None:
        put = self._segments.set_layer if u.replace else self._segments.append_layer
        values = _SHADE_COLORS[u.values] if u.kind in SHADED else u.values
        # A live run's closed segments only grow: they go to the live raster, unpacked (see append_layer).
        # The open ones are replaced at every refresh and are few: they are drawn exactly.
        live = u.kind in _GROWING and not band.trace.complete and not self._settled
        put(band.layer(u.kind), u.rows, u.start, u.end, values, u.payload, notify=notify, live=live)

    def _finish_live(self) -> None:
        """The runs are over and caught up: pack what the live raster drew, so that it is drawn exactly.
        Many segments are packed off the GUI thread (the raster goes on drawing them meanwhile)."""
        deferred = self._segments.deferred_count()
        if not deferred:
            return
        if deferred <= _FLUSH_SYNC_MAX:
            self._segments.flush_live()
            return
        self._pack_afresh()

    def _pack_afresh(self) -> None:
        """Pack the runs shown into fresh bands off the GUI thread; what is drawn stays until they are ready."""
        fresh = [Band(b.trace, b.label, b.index) for b in self._bands]
        rows: list[Row] = []
        y = 0.0
        for band in fresh:
            y = band.lay_out(rows, y, len(fresh) > 1) + BAND_GAP
        self._start_job(fresh)

    def _after_data(self) -> None:
        if self._job is not None:
            return
        for band, handoff in zip(self._bands, self._handoffs, strict=True):
            gil = self._rows[band.gil_row]
            times = band.handoff_times()
            handoff.set_data(times, gil.top + gil.height * ROW_INSET, gil.height * (1 - 2 * ROW_INSET))
        if self._rows:
            self._update_idle()
        self._set_time_limits(self._end_ms())

    def _set_time_limits(self, end: float) -> None:
        pad = max(2 * self._edge_pad(max(end, 1e-3)), 1.0)  # room for the fitted range's pads, and more
        # While following a live run the axis may reach past its end (live_span_ms).
        right = max(end + pad, self._live_span) if self._follow else end + pad
        self._view.setLimits(xMin=-pad, xMax=right, minXRange=1e-3)
        self._cursor.setBounds([0.0, max(end, 0.0)])

    def _end_ms(self) -> float:
        ends = [b.trace.end_ns / NS_PER_MS for b in self._bands]
        return max(ends, default=0.0)

    def _apply_follow(self) -> None:
        end = self._end_ms()
        if self._follow_window is None:
            span = live_span_ms(end)
            left = -self._edge_pad(span)  # before 0, so the axis shows its 0 as a fitted run does
            x0, x1 = self._view.viewRange()[0]
            if span == self._live_span and x0 == left and x1 == span:
                return  # the run grows into the plot: nothing but its new tail is painted
            self._live_span = span
            self._set_time_limits(end)
            self._view.setXRange(left, span, padding=0)
        else:
            self._view.setXRange(max(0.0, end - self._follow_window), max(end, self._follow_window), padding=0)
        # pyqtgraph moves the items to the new range only when it prepares the next paint, and that move
        # asks for a paint of its own: every live refresh painted the plot twice. Moving them now, in
        # this turn, leaves one paint.
        self._view.updateMatrix()

    def _update_subtitles(self) -> None:
        """A compare band's subtitle says "running" until its run completes, then gives the makespan."""
        for band, note in self._subtitles:
            if band.complete != band.trace.complete:
                band.complete = band.trace.complete
                self._set_note_text(note, band_subtitle(band.trace))

    def _add_note(self, row: int, text: str, italic: bool) -> pg.TextItem:
        note = pg.TextItem(text, color=theme(self._dark).muted, anchor=(0, 0.5))
        font = QFont()
        font.setPointSizeF(9.0)
        font.setItalic(italic)
        note.setFont(font)
        note.setZValue(12)
        self._plot.addItem(note, ignoreBounds=True)
        self._notes.append((note, row))
        self._note_texts[note] = text
        self._place_notes()
        return note

    def _set_note_text(self, note: pg.TextItem, text: str) -> None:
        self._note_texts[note] = text
        self._place_notes()

    def _place_notes(self, *args) -> None:
        """Keep notes at the left edge of the view: they label rows, not moments. A note longer than
        the view is cut with an ellipsis rather than by the view's edge."""
        x0, x1 = self.visible_range_ms()
        room = max(int(self._view.width() * 0.99) - 8, 40)
        for note, row in self._notes:
            r = self._rows[row]
            note.setPos(x0 + (x1 - x0) * 0.004, r.top + r.height / 2)
            full = self._note_texts.get(note, "")
            shown = QFontMetrics(note.textItem.font()).elidedText(full, Qt.TextElideMode.ElideRight, room)
            if shown != note.textItem.toPlainText():
                note.setText(shown)

    # -- interaction -------------------------------------------------------------------------
    def _scrub(self, ms: float) -> None:
        ms = max(0.0, min(ms, self._end_ms()))
        self.set_cursor_ms(ms)
        self.cursorMoved.emit(ms)

    def _on_cursor_dragged(self) -> None:
        ms = max(0.0, min(float(self._cursor.value()), self._end_ms()))
        self._cursor_ms = ms
        self.cursorMoved.emit(ms)

    def _row_at(self, y: float) -> int | None:
        for i, r in enumerate(self._rows):
            if r.top <= y < r.top + r.height:
                return i
        return None

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        if not self._view.sceneBoundingRect().contains(scene_pos):
            QToolTip.hideText()
            return
        pt = self._view.mapSceneToView(scene_pos)
        px = self._view.viewPixelSize()[0]
        text = self.describe_at(pt.x(), pt.y(), tolerance_ms=2 * px)
        if text:
            QToolTip.showText(QCursor.pos(), text, self._plot)
        else:
            QToolTip.hideText()
