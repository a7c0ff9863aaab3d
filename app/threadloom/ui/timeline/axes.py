"""The timeline's axes and view box: row labels on the left, time in ms below, the wheel zooming time."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter


class RowAxis(pg.AxisItem):
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

    def boundingRect(self) -> QRectF:
        # Its right edge shares a pixel with the plot beside it, once rounded: every live frame of the
        # plot repainted every row label. The labels end tickTextOffset px before that edge.
        return super().boundingRect().adjusted(0, 0, -1, 0)

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


class TimeAxis(pg.AxisItem):
    """Bottom axis in ms; a click or drag on it scrubs the replay cursor instead of panning."""

    def __init__(self, on_scrub) -> None:
        super().__init__("bottom")
        self._on_scrub = on_scrub
        self.setLabel("time", units="ms")
        self.enableAutoSIPrefix(False)
        # Ticks point out, below the plot: pointing in, they reach into it, and every live frame of
        # the plot would repaint the axis too.
        self.setStyle(tickLength=5)

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


class TimeViewBox(pg.ViewBox):
    """The mouse wheel zooms time only: rows keep their height. A left click on the plot calls
    ``on_click`` with its time (jump there), a double-click ``on_double_click`` (fit the run)."""

    def __init__(self, on_click=None, on_double_click=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self._on_click = on_click
        self._on_double_click = on_double_click

    def wheelEvent(self, ev, axis=None) -> None:
        super().wheelEvent(ev, axis=0)

    def mouseClickEvent(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton or self._on_click is None:
            super().mouseClickEvent(ev)
            return
        ev.accept()
        if ev.double():
            if self._on_double_click is not None:
                self._on_double_click()
        else:
            self._on_click(float(self.mapSceneToView(ev.scenePos()).x()))
