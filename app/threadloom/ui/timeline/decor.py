"""Items drawn with the segments: the GIL hand-off markers and the backdrop behind every row."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPolygonF

#: Hand-off markers are drawn only when they are at least this many pixels apart on average.
HANDOFF_MIN_SPACING_PX = 10.0


class HandoffItem(pg.GraphicsObject):
    """Small triangles at each GIL hand-off, drawn only when zoomed in enough to be read.

    ``times`` (ms; blocks of sorted arrays, so that a live lane is not joined into one array at every
    refresh) mark where the GIL passes from one task to the next; the markers sit on
    the top edge of the GIL lane between ``top`` and ``top + height`` (item units). When they would
    be closer than ``HANDOFF_MIN_SPACING_PX`` on average, none is drawn: the change of shade in
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
        if not n or n * HANDOFF_MIN_SPACING_PX > width_px:
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


class Backdrop(pg.GraphicsObject):
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
