"""The legend above the timeline: a swatch per state and the hand-off marker; hovering one explains it."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap, QPolygonF
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from ..palette import state_legend_items, theme


class Legend(QWidget):
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
