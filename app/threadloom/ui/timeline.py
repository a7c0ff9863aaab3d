"""The timeline: every task, worker and the GIL over time, fast enough for a million segments.

Public API (used by the main window and the exporters; keep it stable):

- ``TimelineWidget(parent=None, dark=False)``: a legend of states above a ``pg.PlotWidget``.

  - ``set_traces(traces, labels=None)``: one trace shows a single run; several are stacked in
    bands on one shared time axis (compare), each band titled with its label. Passing the traces
    already shown (a live run that just completed) keeps what is packed and adds only the rest.
  - ``refresh()``: cheap, for live runs: re-reads only traces whose ``generation`` changed and
    appends just the new tail of their segments, a few ms of work per turn of the event loop (a
    bigger tail goes on in the following turns).
  - ``follow_live(enabled, window_ms=None)``: keep the end of the run in view while it grows.
  - ``set_cursor_ms(ms | None)``: show or hide the vertical replay cursor.
  - ``cursorMoved(float)``: emitted (ms) when the user clicks or drags on the time axis or the cursor.
  - ``visible_range_ms() -> (start, end)``, ``set_visible_range_ms(start, end)``.
  - ``gil_holder_at(ms, band=0) -> task id | None``: who holds the GIL in the GIL lane at ``ms``.
  - ``set_dark(bool)``, ``plot_widget`` (for exporters), ``segment_item``.

- ``SegmentItem`` (from :mod:`.segment_item`): the ``pg.GraphicsObject`` drawing rows of coloured
  segments with level of detail.

Rows get at least ``_MIN_ROW_PX`` pixels so that every label fits; what does not fit scrolls, with
a scroll bar beside the plot.

Time is in milliseconds since the run's start on the x axis; rows go down the y axis.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QCursor, QFont, QFontMetrics, QPainter, QPixmap, QPolygonF
from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollBar, QToolTip, QVBoxLayout, QWidget

from threadloom.model import STATES, Trace, worker_labels

from .palette import STATE_DESCRIPTIONS, state_colors, state_legend_items, theme
from .segment_item import PaintStats, SegmentItem

__all__ = ["PaintStats", "SegmentItem", "TimelineWidget", "format_ms", "worker_labels"]

_NS_PER_MS = 1e6
_RUNNING = STATES.index("running")
#: Extra colour index after the seven states: the alternate shade of ``running`` in the GIL lane,
#: so that a hand-off from one holder to the next shows as a change of shade.
_RUNNING_ALT = len(STATES)
#: Which states occupy their worker, as ``Trace.worker_lanes`` counts it: ``_OCCUPYING[is_loop, state]``
#: (an event loop is occupied only by what runs on it; a thread also by its task's waits).
_OCCUPYING = np.zeros((2, 256), dtype=bool)
_OCCUPYING[0, [STATES.index(s) for s in ("running", "native", "ready", "io", "blocked")]] = True
_OCCUPYING[1, [STATES.index(s) for s in ("running", "native", "blocked")]] = True

#: Fraction of a row's height left empty above and below its segments: thin gaps between rows.
_ROW_INSET = 0.12
#: Hand-off markers are drawn only when they are at least this many pixels apart on average.
_HANDOFF_MIN_SPACING_PX = 10.0
#: A live refresh packs new segments in slices of this many per band, for at most ``_REFRESH_MS`` per
#: turn of the event loop, then goes on in the next turn: the probe may deliver a few hundred thousand
#: at once, and packing them in one go would freeze the window for longer than a frame or two. A time
#: budget rather than a count adapts to a busy machine (the probe itself keeps a core busy).
_REFRESH_SLICE = 4_000
_REFRESH_MS = 6.0


# --------------------------------------------------------------------------------------------
# Items drawn with the segments
# --------------------------------------------------------------------------------------------


class HandoffItem(pg.GraphicsObject):
    """Small triangles at each GIL hand-off, drawn only when zoomed in enough to be read.

    ``times`` (ms; blocks of sorted arrays, so that a live lane is not joined into one array at every
    refresh) mark where the GIL passes from one task to the next; the markers sit on
    the top edge of the GIL lane between ``top`` and ``top + height`` (item units). When they would
    be closer than ``_HANDOFF_MIN_SPACING_PX`` on average, none is drawn: the change of shade in
    the lane already shows the hand-offs, and a carpet of triangles would hide it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._times: list[np.ndarray] = []
        self._span = (0.0, 0.0)
        self._top = 0.0
        self._height = 1.0
        self._color = QColor("#1F2328")
        self.last_drawn = 0

    def set_data(self, times: list[np.ndarray], top: float, height: float) -> None:
        self.prepareGeometryChange()
        self._times = [np.asarray(t, dtype=np.float64) for t in times if len(t)]
        if self._times:
            self._span = (min(float(t[0]) for t in self._times), max(float(t[-1]) for t in self._times))
        self._top, self._height = float(top), float(height)
        self.update()

    def set_color(self, color: str) -> None:
        self._color = QColor(color)
        self.update()

    def boundingRect(self) -> QRectF:
        if not self._times:
            return QRectF()
        x0, x1 = self._span
        return QRectF(x0, self._top, max(x1 - x0, 1e-9), self._height)

    def paint(self, p: QPainter, *args) -> None:
        self.last_drawn = 0
        view = self.viewRect()
        if view is None or not self._times:
            return
        t = p.transform()
        sx, tx, sy, ty = t.m11(), t.dx(), t.m22(), t.dy()
        ranges = [
            (
                times,
                int(np.searchsorted(times, view.left(), "left")),
                int(np.searchsorted(times, view.right(), "right")),
            )
            for times in self._times
        ]
        n = sum(hi - lo for _, lo, hi in ranges)
        width_px = view.width() * sx
        if not n or n * _HANDOFF_MIN_SPACING_PX > width_px:
            return
        y = min(self._top * sy + ty, (self._top + self._height) * sy + ty)
        size = max(3.0, min(6.0, abs(self._height * sy) * 0.35))
        p.save()
        p.resetTransform()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self._color)
        xs = np.sort(np.concatenate([times[lo:hi] for times, lo, hi in ranges])) * sx + tx
        # Level of detail: at most one marker per marker width.
        _, first = np.unique(np.floor(xs / (2 * size)), return_index=True)
        for x in xs[first].tolist():
            p.drawConvexPolygon(QPolygonF([QPointF(x - size, y), QPointF(x + size, y), QPointF(x, y + size * 1.3)]))
        p.restore()
        self.last_drawn = n


class _Backdrop(pg.GraphicsObject):
    """Behind the segments: band backgrounds, the GIL lane's trough, band separators (full width) and
    each worker's idle stretch (``spans``), so worker rows only need their busy segments on top."""

    _SPAN = 1e12  # ms either side: wider than any run, so full-width fills never end on screen

    def __init__(self) -> None:
        super().__init__()
        self._fills: list[tuple[float, float, QColor]] = []  # (top, height, colour)
        self._spans: list[tuple[float, float, float, float]] = []  # (top, height, x0, x1)
        self._span_color = QColor("#D5D9DF")
        self._rect = QRectF()

    def set_fills(self, fills: list[tuple[float, float, str]]) -> None:
        self.prepareGeometryChange()
        self._fills = [(top, h, QColor(c)) for top, h, c in fills]
        if fills:
            y0 = min(f[0] for f in fills)
            y1 = max(f[0] + f[1] for f in fills)
            self._rect = QRectF(-self._SPAN, y0, 2 * self._SPAN, y1 - y0)
        else:
            self._rect = QRectF()
        self.update()

    def set_spans(self, spans: list[tuple[float, float, float, float]], color: str) -> None:
        """Spans lie inside the fills' rows, so the bounding rect does not change."""
        self._spans = spans
        self._span_color = QColor(color)
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(self._rect)

    def paint(self, p: QPainter, *args) -> None:
        view = self.viewRect()
        if view is None:
            return
        t = p.transform()
        sx, tx, sy, ty = t.m11(), t.dx(), t.m22(), t.dy()
        left, right = view.left() * sx + tx, view.right() * sx + tx

        def device(top: float, h: float, x0: float, x1: float) -> QRectF:
            # Whole pixels, rounded as SegmentItem rounds its rows, so that edges line up.
            ya, yb = round(top * sy + ty), round((top + h) * sy + ty)
            return QRectF(x0, min(ya, yb), x1 - x0, max(abs(yb - ya), 1))

        p.save()
        p.resetTransform()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for top, h, color in self._fills:
            p.fillRect(device(top, h, left, right), color)
        for top, h, x0, x1 in self._spans:
            a, b = max(round(x0 * sx + tx), left - 2), min(round(x1 * sx + tx), right + 2)
            if b > a:
                p.fillRect(device(top, h, a, b), self._span_color)
        p.restore()


# --------------------------------------------------------------------------------------------
# Axes
# --------------------------------------------------------------------------------------------


class _RowAxis(pg.AxisItem):
    """Left axis: one label per row, with bold titles and group headers."""

    def __init__(self) -> None:
        super().__init__("left")
        self._styles: dict[str, str] = {}
        self._muted = QColor("#5B636E")
        self.drawn_labels: list[str] = []  # labels the last paint drew (tests check that none is dropped)
        self.setStyle(tickLength=0, autoExpandTextSpace=False, tickTextOffset=10, hideOverlappingLabels=True)

    def set_rows(self, ticks: list[tuple[float, str, str]], muted: str) -> None:
        """``ticks``: (y centre, label, style) with style in {'title', 'header', 'lane', 'row'}."""
        self._styles = {label: style for _, label, style in ticks}
        self._muted = QColor(muted)
        # Size the axis to the widest label up front: pyqtgraph drops any label that does not fit
        # and only widens the axis after a paint, which leaves labels missing in a first render.
        bold = QFont(self.style["tickFont"] or QFont())
        bold.setBold(True)
        widest = max((QFontMetrics(bold).horizontalAdvance(label) for _, label, _ in ticks), default=20)
        self.setWidth(int(widest * 1.1) + 2 * self.style["tickTextOffset"][0] + 6)
        self.setTicks([[(y, label) for y, label, _ in ticks], []])

    def drawPicture(self, p: QPainter, axisSpec, tickSpecs, textSpecs) -> None:
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        base = self.style["tickFont"] or QFont()
        bold = QFont(base)
        bold.setBold(True)
        pen = self.textPen()
        p.setClipRect(self.boundingRect().toAlignedRect())
        # Titles, lanes and group headers first; then row labels where they do not overlap
        # (rows thinner than a line of text keep every other label, or fewer).
        taken: list[QRectF] = []
        self.drawn_labels = []
        for important in (True, False):
            for rect, flags, text in textSpecs:
                style = self._styles.get(text, "row")
                if (style != "row") != important:
                    continue
                if not important and any(rect.intersects(t) for t in taken):
                    continue
                taken.append(rect.adjusted(0, 1, 0, -1))
                self.drawn_labels.append(text)
                p.setFont(bold if important else base)
                p.setPen(self._muted if style == "header" else pen.color())
                p.drawText(rect, int(flags), text)


class _TimeAxis(pg.AxisItem):
    """Bottom axis in ms; a click or drag on it scrubs the replay cursor instead of panning."""

    def __init__(self, on_scrub) -> None:
        super().__init__("bottom")
        self._on_scrub = on_scrub
        self.setLabel("time", units="ms")
        self.enableAutoSIPrefix(False)

    def _scrub(self, ev) -> None:
        view = self.linkedView()
        if view is None or ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        self._on_scrub(float(view.mapSceneToView(ev.scenePos()).x()))

    def mouseClickEvent(self, ev) -> None:
        self._scrub(ev)

    def mouseDragEvent(self, ev) -> None:
        self._scrub(ev)


class _TimeViewBox(pg.ViewBox):
    """The mouse wheel zooms time only: rows keep their height."""

    def wheelEvent(self, ev, axis=None) -> None:
        super().wheelEvent(ev, axis=0)


# --------------------------------------------------------------------------------------------
# Layout of rows
# --------------------------------------------------------------------------------------------

_ROW = 1.0
_MIN_VISIBLE_ROWS = 15.0
#: Rows get at least this many pixels: the height of a row label, so that every row keeps its label.
#: What does not fit then scrolls, with a scroll bar beside the plot saying so.
_MIN_ROW_PX = 12.0
#: Empty row units above the first row and below the last: room for the first label to be drawn whole.
_TOP_PAD = 0.4
_BOTTOM_PAD = 0.25
#: Scroll bar steps per row unit.
_BAR_STEPS = 100
_HEADER = 0.85
_SECTION_GAP = 0.35
_BAND_GAP = 0.9


@dataclass
class _Row:
    kind: str  # title, gil, header, worker, task
    label: str
    top: float
    height: float


_EMPTY_GIL = (np.zeros(0), np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64))


#: Rows per block of ``_Columns``: appending copies at most one block.
_COLUMN_BLOCK = 1 << 17


class _Columns:
    """Parallel arrays appended to in blocks, so that a live tail costs its own size: a full block is
    sealed and a new one started, rather than the whole store being copied to grow it."""

    def __init__(self, *dtypes: type) -> None:
        self._dtypes = dtypes
        self._sealed: list[tuple[np.ndarray, ...]] = []
        self._sealed_n = 0
        self._tail = [np.empty(64, dtype=d) for d in dtypes]
        self._tail_n = 0
        self._view: tuple[np.ndarray, ...] | None = None

    @property
    def n(self) -> int:
        return self._sealed_n + self._tail_n

    def view(self) -> tuple[np.ndarray, ...]:
        """Every row, as one array per column (joined on demand and cached until the next change)."""
        if self._view is None:
            tail = tuple(c[: self._tail_n] for c in self._tail)
            self._view = (
                tail
                if not self._sealed
                else tuple(np.concatenate([block[i] for block in self._sealed] + [tail[i]]) for i in range(len(tail)))
            )
        return self._view

    def tail(self) -> tuple[int, tuple[np.ndarray, ...]]:
        """The rows of the open block and the index of its first row."""
        return self._sealed_n, tuple(c[: self._tail_n] for c in self._tail)

    def last(self) -> tuple[np.ndarray, ...]:
        """The last row (empty arrays when there is none)."""
        if self._tail_n or not self._sealed:
            return tuple(c[max(self._tail_n - 1, 0) : self._tail_n] for c in self._tail)
        return tuple(c[-1:] for c in self._sealed[-1])

    def blocks(self, column: int) -> list[np.ndarray]:
        """One column as its blocks, without joining them."""
        return [block[column] for block in self._sealed] + [self._tail[column][: self._tail_n]]

    def truncate(self, n: int) -> None:
        if n >= self.n:
            return
        self._view = None
        if n >= self._sealed_n:
            self._tail_n = n - self._sealed_n
            return
        # Into a sealed block: rare (a segment older than a whole block closed late); start over.
        keep = tuple(c[:n].copy() for c in self.view())
        self.__init__(*self._dtypes)
        self.extend(*keep)

    def extend(self, *arrays: np.ndarray) -> None:
        k = len(arrays[0])
        if not k:
            return
        self._view = None
        if self._tail_n + k > _COLUMN_BLOCK and self._tail_n:
            self._sealed.append(tuple(c[: self._tail_n] for c in self._tail))
            self._sealed_n += self._tail_n
            self._tail = [np.empty(min(max(k, 64), _COLUMN_BLOCK), dtype=d) for d in self._dtypes]
            self._tail_n = 0
        if self._tail_n + k > len(self._tail[0]):
            capacity = max(self._tail_n + k, min(2 * len(self._tail[0]), _COLUMN_BLOCK))
            grown = []
            for c in self._tail:
                g = np.empty(capacity, dtype=c.dtype)
                g[: self._tail_n] = c[: self._tail_n]
                grown.append(g)
            self._tail = grown
        for c, a in zip(self._tail, arrays, strict=True):
            c[self._tail_n : self._tail_n + k] = a
        self._tail_n += k


def _gil_columns() -> _Columns:
    # start ms, end ms, task, worker, colour, index of the segment in the trace
    return _Columns(np.float64, np.float64, np.int64, np.int64, np.uint8, np.int64)


@dataclass
class _Band:
    """One trace's rows and the arrays behind its layers (kept for tooltips and the GIL lane)."""

    trace: Trace
    label: str
    index: int
    top: float = 0.0
    bottom: float = 0.0
    gil_row: int = -1
    task_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    worker_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # sorted
    worker_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    worker_labels: dict[int, str] = field(default_factory=dict)
    gil_mode: str = "gil"  # gil, nogil, processes
    generation: int = -1
    n_seen: int = 0
    n_tasks: int = 0
    n_workers: int = 0
    worker_loop: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # per worker_ids: an event loop?
    worker_pool: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # idle until the run ends?
    busy_from: np.ndarray = field(default_factory=lambda: np.zeros(0))  # ms, per worker_ids: first occupation
    busy_to: np.ndarray = field(default_factory=lambda: np.zeros(0))  # ms, per worker_ids: last occupation end
    open_seg: tuple[np.ndarray, ...] = ()  # the live run's open segments (task, worker, state, start, end)
    gil_cols: _Columns = field(default_factory=_gil_columns)  # closed running segments, by start
    gil_open: tuple[np.ndarray, ...] = _EMPTY_GIL  # open running segments: start ms, end ms, task, worker
    handoff_cols: _Columns = field(default_factory=lambda: _Columns(np.float64))  # hand-off times, sorted
    open_handoffs: np.ndarray = field(default_factory=lambda: np.zeros(0))
    complete: bool = False  # whether the trace was complete when its subtitle was written

    @property
    def gil(self) -> tuple[np.ndarray, ...]:
        """Closed running segments: start ms, end ms, task, worker; sorted by start."""
        return self.gil_cols.view()[:4]

    @property
    def handoffs(self) -> np.ndarray:
        return self.handoff_cols.view()[0]

    def layer(self, kind: str) -> str:
        return f"{self.index}:{kind}"


def _gil_mode(trace: Trace) -> str:
    if trace.model == "process-pool":
        return "processes"
    return "gil" if trace.header.get("gil_enabled", True) else "nogil"


_GIL_MODE_TEXT = {
    "nogil": "no GIL: threads run in parallel",
    "processes": "one GIL per process: processes run in parallel",
}


def _band_subtitle(trace: Trace) -> str:
    """What a compare band ran, for the text beside its title."""
    h = trace.header
    parts = [str(h.get("scenario", "")) or None, f"model {trace.model}"]
    if h.get("pool_size"):
        parts.append(f"pool {h['pool_size']}")
    if h.get("switch_interval_ms") is not None:
        parts.append(f"switch interval {h['switch_interval_ms']:g} ms")
    parts.append(f"makespan {format_ms(trace.end_ns / _NS_PER_MS)}" if trace.complete else "running\u2026")
    return "   ".join(p for p in parts if p)


def format_ms(ms: float) -> str:
    """A duration or time for people: 1.234 s, 12.35 ms, 87.5 us."""
    if abs(ms) >= 1000:
        return f"{ms / 1000:.3f} s"
    if abs(ms) >= 1:
        return f"{ms:.2f} ms"
    return f"{ms * 1000:.1f} \u00b5s"


def _gil_runs(
    start: np.ndarray, end: np.ndarray, task: np.ndarray, worker: np.ndarray, prev_task: int, prev_shade: int
) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray, int]:
    """GIL lane segments from running segments (ms): sorted by start, a colour whose shade flips at each
    hand-off (continuing after ``prev_task`` drawn in ``prev_shade``), the hand-off times, the last shade."""
    order = np.argsort(start, kind="stable")
    start, end, task, worker = start[order], end[order], task[order], worker[order]
    prev = np.empty_like(task)
    prev[:1] = prev_task
    prev[1:] = task[:-1]
    change = task != prev
    shade = (prev_shade + np.cumsum(change)) % 2
    color = np.where(shade == 0, _RUNNING, _RUNNING_ALT).astype(np.uint8)
    handoffs = start[change & (prev >= 0)]
    last = int(shade[-1]) if len(shade) else prev_shade
    return (start, end, task, worker), color, handoffs, last


# --------------------------------------------------------------------------------------------
# The widget
# --------------------------------------------------------------------------------------------


class _Legend(QWidget):
    """A row of state swatches; hovering one explains the state."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(8, 4, 8, 0)
        self._layout.setSpacing(14)

    def set_dark(self, dark: bool) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        fg = theme(dark).foreground
        for entry in state_legend_items(dark):
            self._layout.addWidget(
                self._entry(QColor(entry.color), entry.state, f"{entry.state}: {entry.description}", fg, square=True)
            )
        self._layout.addWidget(
            self._entry(
                QColor(fg),
                "GIL hand-off",
                "GIL lane: the GIL passes from one task to the next (shown when zoomed in)",
                fg,
                square=False,
            )
        )
        self._layout.addStretch(1)

    @staticmethod
    def _entry(color: QColor, text: str, tip: str, fg: str, square: bool) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(5)
        pix = QPixmap(QSize(12, 12))
        pix.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pix)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        if square:
            painter.drawRoundedRect(QRectF(0.5, 0.5, 11, 11), 2.5, 2.5)
        else:
            painter.drawConvexPolygon(QPolygonF([QPointF(1, 2), QPointF(11, 2), QPointF(6, 10)]))
        painter.end()
        swatch = QLabel()
        swatch.setPixmap(pix)
        label = QLabel(text)
        label.setStyleSheet(f"color: {fg};")
        row.addWidget(swatch)
        row.addWidget(label)
        box.setToolTip(tip)
        return box


class TimelineWidget(QWidget):
    """Timeline of one run, or of several stacked in bands for comparison.

    Rows, top to bottom in each band: the GIL lane (who holds the GIL; a change of shade and, when
    zoomed in, a small triangle mark each hand-off), one row per worker, then one row per task
    grouped by scenario group. Wheel zooms time, dragging pans it; clicking or dragging the time
    axis scrubs the replay cursor (``cursorMoved``). Hovering a segment shows its task, group,
    worker, state, start and length.

    Signals:
        cursorMoved(float): the user moved the replay cursor to this time (ms).
    """

    cursorMoved = Signal(float)

    def __init__(self, parent: QWidget | None = None, dark: bool = False) -> None:
        super().__init__(parent)
        self._dark = dark
        self._bands: list[_Band] = []
        self._rows: list[_Row] = []
        self._follow = False
        self._follow_window: float | None = None
        self._cursor_ms: float | None = None
        self._catch_up = QTimer(self)  # goes on with a live refresh that had more to pack than one turn's budget
        self._catch_up.setSingleShot(True)
        # 1 ms, not 0: a zero timer started while Qt activates timers may fire in the same pass,
        # back to back with the refresh that started it, before the other due timers get their turn.
        self._catch_up.setInterval(1)
        self._catch_up.timeout.connect(self.refresh)

        self._legend = _Legend(self)
        self._row_axis = _RowAxis()
        self._time_axis = _TimeAxis(self._scrub)
        self._view = _TimeViewBox(enableMenu=False)
        self._plot = pg.PlotWidget(viewBox=self._view, axisItems={"left": self._row_axis, "bottom": self._time_axis})
        self._plot.setAntialiasing(False)
        self._plot.hideButtons()
        self._plot.setMenuEnabled(False)
        self._view.invertY(True)
        self._view.setMouseEnabled(x=True, y=False)
        self._view.disableAutoRange()
        self._plot.getPlotItem().layout.setContentsMargins(4, 4, 16, 4)

        self._backdrop = _Backdrop()
        self._backdrop.setZValue(-10)
        self._plot.addItem(self._backdrop, ignoreBounds=True)
        self._segments = SegmentItem(self._colors())
        self._plot.addItem(self._segments)
        self._handoffs: list[HandoffItem] = []
        self._notes: list[tuple[pg.TextItem, int]] = []  # (item, row it labels)
        self._subtitles: list[tuple[_Band, pg.TextItem]] = []  # compare bands: what each ran
        self._note_texts: dict[pg.TextItem, str] = {}  # each note's whole text (it may be shown elided)
        self._cursor = pg.InfiniteLine(angle=90, movable=True)
        self._cursor.setZValue(20)
        self._cursor.hide()
        self._cursor.sigDragged.connect(self._on_cursor_dragged)
        self._plot.addItem(self._cursor, ignoreBounds=True)
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

    # -- public API --------------------------------------------------------------------------
    @property
    def plot_widget(self) -> pg.PlotWidget:
        """The underlying ``pg.PlotWidget`` (for exporters: render or grab it)."""
        return self._plot

    @property
    def segment_item(self) -> SegmentItem:
        """The item drawing every segment; ``segment_item.last_paint`` tells what a frame drew."""
        return self._segments

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
        if same and traces and not any(self._layout_changed(b) for b in self._bands):
            # The live runs just finished (the window shows them again, whole): keep what is already
            # packed and add only the rest, over the next turns (or at the caller's refresh()),
            # rather than packing every segment again now.
            self._catch_up.start()
        else:
            self._bands = [_Band(trace, name, i) for i, (trace, name) in enumerate(zip(traces, names, strict=True))]
            self._rebuild()
        self.fit_time()

    def refresh(self) -> None:
        """Catch up with live traces: cheap when nothing changed, appends only the new tail.

        A big tail is packed over several turns of the event loop (about ``_REFRESH_MS`` of work per
        turn), so that one huge batch from the probe never freezes the window.
        """
        self._catch_up.stop()
        if any(self._layout_changed(b) for b in self._bands):
            self._rebuild()
        else:
            behind = False
            deadline = time.perf_counter() + _REFRESH_MS / 1000.0
            for band in self._bands:
                caught_up = band.trace.generation == band.generation
                while not caught_up:
                    caught_up = self._load_band(band, full=False, budget=_REFRESH_SLICE)
                    if time.perf_counter() > deadline:
                        break
                behind |= not caught_up
            self._after_data()
            self._update_subtitles()
            if behind:
                self._catch_up.start()
        if self._follow:
            self._apply_follow()

    def follow_live(self, enabled: bool, window_ms: float | None = None) -> None:
        """Keep the end of the run in view: the whole run so far, or its last ``window_ms``."""
        self._follow = enabled
        self._follow_window = window_ms
        if enabled:
            self._apply_follow()

    def fit_time(self) -> None:
        """Show every run from its start to the end of the longest one."""
        end = self._end_ms()
        self._view.setXRange(0.0, max(end, 1e-3), padding=0.01)

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
        self.setStyleSheet(f"background: {th.background};")
        if self._bands:
            self._apply_layout_decor()

    def is_dark(self) -> bool:
        return self._dark

    def gil_holder_at(self, ms: float, band: int = 0) -> int | None:
        """The task id whose ``running`` segment in the GIL lane of ``band`` covers ``ms``, or None.

        With the GIL off several tasks may run at once; then the one that started last is returned.
        """
        if not self._bands:
            return None
        b = self._bands[band]
        best: tuple[float, int] | None = None
        for start, end, task, _ in (b.gil, b.gil_open):
            hi = int(np.searchsorted(start, ms, "right"))
            cover = np.flatnonzero(end[:hi] > ms)
            if len(cover) and (best is None or start[cover[-1]] >= best[0]):
                best = (float(start[cover[-1]]), int(task[cover[-1]]))
        return None if best is None else best[1]

    def row_labels(self, band: int | None = None) -> list[str]:
        """Labels of the rows, top to bottom (of one band, or of all)."""
        if band is None:
            return [r.label for r in self._rows]
        b = self._bands[band]
        return [r.label for r in self._rows if b.top <= r.top < b.bottom]

    def describe_at(self, ms: float, y: float, tolerance_ms: float = 0.0) -> str | None:
        """The tooltip text for the segment at time ``ms`` and row coordinate ``y``, or None."""
        row = self._row_at(y)
        if row is None:
            return None
        hit = self._segments.segment_at(ms, row, tolerance_ms)
        if hit is None:
            return self._describe_idle(ms, row)
        layer, payload = hit
        band_index, kind = layer.split(":")
        return self._describe(self._bands[int(band_index)], kind, payload)

    def _describe_idle(self, ms: float, row: int) -> str | None:
        for band in self._bands:
            hits = np.flatnonzero(band.worker_rows == row)
            if len(hits):
                i = int(hits[0])
                pool = band.worker_pool[i] or (band.open_seg and int(band.worker_ids[i]) in band.open_seg[1])
                x1 = max(band.busy_to[i], band.trace.end_ns / _NS_PER_MS) if pool else band.busy_to[i]
                if band.busy_from[i] <= ms <= x1:
                    name = band.worker_labels.get(int(band.worker_ids[i]), "worker")
                    return f"{name}: idle\nstate: idle: {STATE_DESCRIPTIONS['idle']}"
        return None

    # -- building ----------------------------------------------------------------------------
    def _colors(self) -> list[str]:
        colors = state_colors(self._dark)
        alt = QColor(colors["running"])
        alt = alt.lighter(128) if self._dark else alt.darker(135)
        return [colors[s] for s in STATES] + [alt.name()]

    @staticmethod
    def _layout_changed(band: _Band) -> bool:
        t = band.trace
        return len(t.tasks) != band.n_tasks or len(t.workers) != band.n_workers or _gil_mode(t) != band.gil_mode

    def _rebuild(self) -> None:
        self._catch_up.stop()
        self._segments.clear()
        self._rows = []
        y = 0.0
        compare = len(self._bands) > 1
        for band in self._bands:
            y = self._layout_band(band, y, compare) + _BAND_GAP
        self._segments.set_rows(
            np.array([r.top + r.height * _ROW_INSET for r in self._rows]),
            np.array([r.height * (1 - 2 * _ROW_INSET) for r in self._rows]),
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
            if band.gil_mode != "gil":
                self._add_note(band.gil_row, _GIL_MODE_TEXT[band.gil_mode], italic=True)
            if compare:
                note = self._add_note(band.gil_row - 1, _band_subtitle(band.trace), italic=False)
                self._subtitles.append((band, note))
        behind = False
        for band in self._bands:
            # A live run joins with whatever it has so far; a big backlog is packed over the next turns.
            budget = None if band.trace.complete else _REFRESH_SLICE
            behind |= not self._load_band(band, full=True, budget=budget)
        self._apply_layout_decor(reset_scroll=True)
        self._after_data()
        if behind:
            self._catch_up.start()

    def _add_row(self, kind: str, label: str, y: float, height: float) -> int:
        self._rows.append(_Row(kind, label, y, height))
        return len(self._rows) - 1

    def _layout_band(self, band: _Band, y: float, compare: bool) -> float:
        trace = band.trace
        band.top = y
        band.n_tasks, band.n_workers = len(trace.tasks), len(trace.workers)
        band.complete = trace.complete
        band.gil_mode = _gil_mode(trace)
        if compare:
            self._add_row("title", band.label, y, _ROW)
            y += _ROW
        band.gil_row = self._add_row("gil", "GIL" if band.gil_mode == "gil" else "GIL (none)", y, _ROW)
        y += _ROW + _SECTION_GAP
        band.worker_labels = worker_labels(trace)
        ids = sorted(trace.workers)
        if ids:
            self._add_row("header", "workers", y, _HEADER)
            y += _HEADER
        rows = []
        for wid in ids:
            rows.append(self._add_row("worker", band.worker_labels[wid], y, _ROW))
            y += _ROW
        band.worker_ids = np.array(ids, dtype=np.int64)
        band.worker_rows = np.array(rows, dtype=np.int64)
        band.worker_loop = np.array([trace.workers[w].kind == "loop" for w in ids], dtype=bool)
        band.worker_pool = np.array(
            [trace.workers[w].kind in ("pool-thread", "process", "loop") for w in ids], dtype=bool
        )
        n_ids = max((t.id for t in trace.tasks), default=-1) + 1
        band.task_rows = np.full(n_ids, -1, dtype=np.int64)
        for group in trace.groups():
            members = [t for t in trace.tasks if t.group == group]
            y += _SECTION_GAP
            self._add_row("header", group, y, _HEADER)
            y += _HEADER
            for t in members:
                band.task_rows[t.id] = self._add_row("task", t.label, y, _ROW)
                y += _ROW
        band.bottom = y
        band.generation = -1
        band.n_seen = 0
        return y

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
                fills.append((band.top - _BAND_GAP / 2, band.bottom - band.top + _BAND_GAP, th.band))
            gil = self._rows[band.gil_row]
            fills.append((gil.top + 0.04, gil.height - 0.08, th.grid))
            if band.index > 0:
                fills.append((band.top - _BAND_GAP / 2 - 0.015, 0.03, th.muted))
        self._backdrop.set_fills(fills)
        self._update_idle()
        self._apply_y_range(reset_scroll=reset_scroll)

    def _update_idle(self) -> None:
        spans = [span for band in self._bands for span in self._idle_spans(band)]
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
        fits = height_px / _MIN_ROW_PX
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

    def _worker_row(self, band: _Band, worker: np.ndarray) -> np.ndarray:
        if not len(band.worker_ids):
            return np.full(len(worker), -1, dtype=np.int64)
        pos = np.clip(np.searchsorted(band.worker_ids, worker), 0, len(band.worker_ids) - 1)
        return np.where(band.worker_ids[pos] == worker, band.worker_rows[pos], -1)

    def _task_row(self, band: _Band, task: np.ndarray) -> np.ndarray:
        valid = (task >= 0) & (task < len(band.task_rows))
        return (
            np.where(valid, band.task_rows[np.clip(task, 0, max(len(band.task_rows) - 1, 0))], -1)
            if len(band.task_rows)
            else np.full(len(task), -1, dtype=np.int64)
        )

    def _occupies(self, band: _Band, worker: np.ndarray, state: np.ndarray) -> np.ndarray:
        """Which segments occupy their worker, as ``Trace.worker_lanes`` counts it."""
        if not len(band.worker_ids):
            return np.zeros(len(worker), dtype=bool)
        pos = np.clip(np.searchsorted(band.worker_ids, worker), 0, len(band.worker_ids) - 1)
        return (band.worker_ids[pos] == worker) & _OCCUPYING[band.worker_loop[pos].view(np.uint8), state]

    def _load_band(self, band: _Band, full: bool, budget: int | None = None) -> bool:
        """Load a band's segments: all of them, or (``full=False``) only those added since last time,
        at most ``budget`` of them. Returns whether the band has caught up with its trace.

        Closed segments only ever get appended to a trace, so a live refresh packs just the new tail
        into the task rows, worker rows and GIL lane; the few open segments are redrawn each time.
        """
        trace = band.trace
        seg = trace.segments()
        total = len(seg)
        item = self._segments
        first = 0 if full or total < band.n_seen else band.n_seen
        n = total if budget is None else min(total, first + budget)
        if first == 0:
            band.busy_from = np.full(len(band.worker_ids), np.inf)
            band.busy_to = np.full(len(band.worker_ids), -np.inf)
        put = item.set_layer if first == 0 else item.append_layer
        tail = slice(first, n)
        task = seg.task[tail].astype(np.int64)
        worker, state = seg.worker[tail], seg.state[tail]
        start, end = seg.start[tail] / _NS_PER_MS, seg.end[tail] / _NS_PER_MS
        index = np.arange(first, n, dtype=np.int64)

        rows = self._task_row(band, task)
        ok = rows >= 0
        put(band.layer("tasks"), rows[ok], start[ok], end[ok], state[ok], index[ok])

        occ = self._occupies(band, worker, state)
        wrows = self._worker_row(band, worker[occ])
        put(band.layer("workers"), wrows, start[occ], end[occ], state[occ], index[occ])
        self._note_busy(band, worker[occ], start[occ], end[occ])

        run = state == _RUNNING
        self._append_gil(band, start[run], end[run], task[run], worker[run].astype(np.int64), index[run], first == 0)
        band.n_seen = n
        if n < total:
            # Still behind: the open segments wait until the closed ones before them are in.
            return False

        live = trace.open_segments() if not trace.complete else None
        if live is None or not len(live):
            band.open_seg, band.gil_open, band.open_handoffs = (), _EMPTY_GIL, np.zeros(0)
            for kind in ("open", "workers_open", "gil_open"):
                item.set_layer(band.layer(kind), *_empty_layer())
        else:
            self._load_open(band, live)
        band.generation = trace.generation
        return True

    def _note_busy(self, band: _Band, worker: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
        if not len(worker):
            return
        pos = np.searchsorted(band.worker_ids, worker)
        np.minimum.at(band.busy_from, pos, start)
        np.maximum.at(band.busy_to, pos, end)

    def _append_gil(
        self,
        band: _Band,
        start: np.ndarray,
        end: np.ndarray,
        task: np.ndarray,
        worker: np.ndarray,
        index: np.ndarray,
        reset: bool,
    ) -> None:
        """Add closed running segments (``index``: their place in the trace) to the GIL lane, sorted by start.

        A segment that closed late may start before the lane's end; then only the lane from that
        point on is re-derived (shades and hand-offs), never the whole lane. Segments already drawn
        keep their shade, so the alternation may repeat a shade once there: drawing stays append-only.
        """
        lane, handoffs = band.gil_cols, band.handoff_cols
        if reset:
            lane.truncate(0)
            handoffs.truncate(0)
        fresh = np.ones(len(start), dtype=bool)
        base, old = lane.tail()
        first = lane.n
        if len(start) and lane.n and float(start.min()) < float(old[0][-1] if len(old[0]) else -math.inf):
            if float(start.min()) < float(old[0][0]):
                base, old = 0, lane.view()
            first = base + int(np.searchsorted(old[0], float(start.min()), "right"))
            k = first - base
            start, end = np.concatenate([old[0][k:], start]), np.concatenate([old[1][k:], end])
            task, worker = np.concatenate([old[2][k:], task]), np.concatenate([old[3][k:], worker])
            index = np.concatenate([old[5][k:], index])
            fresh = np.concatenate([np.zeros(lane.n - first, dtype=bool), fresh])
        elif len(old[0]) == 0 and lane.n:
            base, old = 0, lane.view()
        k = first - base
        prev_task = int(old[2][k - 1]) if k > 0 else -1
        prev_shade = int(old[4][k - 1] == _RUNNING_ALT) if k > 0 else 0
        order = np.argsort(start, kind="stable")
        cols, color, times, _ = _gil_runs(start, end, task, worker, prev_task, prev_shade)
        fresh, index = fresh[order], index[order]
        if len(cols[0]):
            base, (times_tail,) = handoffs.tail()
            if not len(times_tail) or float(cols[0][0]) < float(times_tail[0]):
                base, (times_tail,) = 0, handoffs.view()
            handoffs.truncate(base + int(np.searchsorted(times_tail, float(cols[0][0]), "left")))
        lane.truncate(first)
        lane.extend(*cols, color, index)
        handoffs.extend(times)
        if band.gil_mode != "gil":
            fresh[:] = False
        put = self._segments.set_layer if reset else self._segments.append_layer
        put(
            band.layer("gil"),
            np.full(int(fresh.sum()), band.gil_row, np.int64),
            cols[0][fresh],
            cols[1][fresh],
            color[fresh],
            index[fresh],
        )

    def _load_open(self, band: _Band, live) -> None:
        item = self._segments
        band.open_seg = tuple(np.asarray(a) for a in live)
        task = live.task.astype(np.int64)
        start, end = live.start / _NS_PER_MS, live.end / _NS_PER_MS
        rows = self._task_row(band, task)
        ok = rows >= 0
        item.set_layer(band.layer("open"), rows[ok], start[ok], end[ok], live.state[ok], np.flatnonzero(ok))
        occ = self._occupies(band, live.worker, live.state)
        item.set_layer(
            band.layer("workers_open"),
            self._worker_row(band, live.worker[occ]),
            start[occ],
            end[occ],
            live.state[occ],
            np.flatnonzero(occ),
        )
        run = live.state == _RUNNING
        _, _, last_task, _, last_color, _ = band.gil_cols.last()
        prev_task = int(last_task[0]) if len(last_task) else -1
        prev_shade = int(last_color[0] == _RUNNING_ALT) if len(last_color) else 0
        cols, color, handoffs, _ = _gil_runs(
            start[run], end[run], task[run], live.worker[run].astype(np.int64), prev_task, prev_shade
        )
        band.gil_open, band.open_handoffs = cols, handoffs
        if band.gil_mode != "gil":
            cols, color = tuple(c[:0] for c in cols), color[:0]
        item.set_layer(
            band.layer("gil_open"),
            np.full(len(cols[0]), band.gil_row, np.int64),
            cols[0],
            cols[1],
            color,
            np.flatnonzero(run)[np.argsort(start[run], kind="stable")],
        )

    def _idle_spans(self, band: _Band) -> list[tuple[float, float, float, float]]:
        """(top, height, x0, x1) of each worker's idle backdrop: from its first occupation to its last,
        or to the end of the run for pool threads, processes and event loops."""
        spans = []
        end_ms = band.trace.end_ns / _NS_PER_MS
        live_end = dict.fromkeys(band.open_seg[1].tolist(), end_ms) if band.open_seg else {}
        for i, (wid, row) in enumerate(zip(band.worker_ids.tolist(), band.worker_rows.tolist(), strict=True)):
            x0, x1 = float(band.busy_from[i]), float(band.busy_to[i])
            if band.worker_pool[i] or wid in live_end:
                x1 = max(x1, end_ms)
            if math.isfinite(x0) and x1 > x0:
                r = self._rows[row]
                spans.append((r.top + r.height * _ROW_INSET, r.height * (1 - 2 * _ROW_INSET), x0, x1))
        return spans

    def _after_data(self) -> None:
        for band, handoff in zip(self._bands, self._handoffs, strict=True):
            gil = self._rows[band.gil_row]
            times = [*band.handoff_cols.blocks(0), band.open_handoffs] if band.gil_mode == "gil" else []
            handoff.set_data(times, gil.top + gil.height * _ROW_INSET, gil.height * (1 - 2 * _ROW_INSET))
        if self._rows:
            self._update_idle()
        end = self._end_ms()
        pad = max(end * 0.02, 1.0)
        self._view.setLimits(xMin=-pad, xMax=end + pad, minXRange=1e-3)
        self._cursor.setBounds([0.0, max(end, 0.0)])

    def _end_ms(self) -> float:
        ends = [b.trace.end_ns / _NS_PER_MS for b in self._bands]
        return max(ends, default=0.0)

    def _apply_follow(self) -> None:
        end = self._end_ms()
        if self._follow_window is None:
            self._view.setXRange(0.0, max(end, 1e-3), padding=0.01)
        else:
            self._view.setXRange(max(0.0, end - self._follow_window), max(end, self._follow_window), padding=0)

    def _update_subtitles(self) -> None:
        """A compare band's subtitle says "running" until its run completes, then gives the makespan."""
        for band, note in self._subtitles:
            if band.complete != band.trace.complete:
                band.complete = band.trace.complete
                self._set_note_text(note, _band_subtitle(band.trace))

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

    def _describe(self, band: _Band, kind: str, i: int) -> str:
        trace = band.trace
        if kind in ("tasks", "workers"):
            seg = trace.segments()
            task, worker, state, start, end = (
                int(seg.task[i]),
                int(seg.worker[i]),
                int(seg.state[i]),
                int(seg.start[i]),
                int(seg.end[i]),
            )
        elif kind in ("open", "workers_open"):
            task, worker, state, start, end = (int(a[i]) for a in band.open_seg)
        else:
            # GIL lane payloads point at the running segment: in the trace, or among the open ones.
            if kind == "gil":
                seg = trace.segments()
                t, w, s, e = int(seg.task[i]), int(seg.worker[i]), int(seg.start[i]), int(seg.end[i])
            else:
                t, w, _, s, e = (int(a[i]) for a in band.open_seg)
            ms0, ms1 = s / _NS_PER_MS, e / _NS_PER_MS
            info = trace.tasks[t] if 0 <= t < len(trace.tasks) else None
            who = info.label if info else f"task {t}"
            return (
                f"GIL held by {who} on {band.worker_labels.get(w, 'worker ?')}\n"
                f"from {format_ms(ms0)} for {format_ms(ms1 - ms0)}"
            )
        name = STATES[state] if 0 <= state < len(STATES) else "?"
        ms0, ms1 = start / _NS_PER_MS, end / _NS_PER_MS
        worker_text = band.worker_labels.get(worker, "none yet" if worker < 0 else f"worker {worker}")
        when = f"start {format_ms(ms0)}, length {format_ms(ms1 - ms0)}"
        if task < 0:
            return f"{worker_text}: idle\n{when}"
        info = trace.tasks[task] if task < len(trace.tasks) else None
        label = info.label if info else f"task {task}"
        group = info.group if info else "?"
        head = f"{worker_text} running {label}" if kind.startswith("workers") else f"{label} (group {group})"
        return f"{head}\nstate: {name}: {STATE_DESCRIPTIONS.get(name, '')}\nworker: {worker_text}\n{when}"


def _empty_layer() -> tuple[np.ndarray, ...]:
    z = np.zeros(0)
    return z.astype(np.int64), z, z, z.astype(np.uint8)
