"""The legend above the timeline: a swatch per state and the hand-off marker; hovering one explains it."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap, QPolygonF
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLayout, QSizePolicy, QWidget

from ..palette import state_legend_items, theme


class FlowLayout(QLayout):
    """Items left to right, wrapped onto the next line when the width runs out."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 14, line_spacing: int = 2) -> None:
        super().__init__(parent)
        self._items = []
        self._spacing, self._line_spacing = spacing, line_spacing

    def addItem(self, item) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int):
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int):
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        m = self.contentsMargins()
        width = sum(i.sizeHint().width() for i in self._items) + self._spacing * max(len(self._items) - 1, 0)
        height = max((i.sizeHint().height() for i in self._items), default=0)
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:
        m = self.contentsMargins()
        width = max((i.minimumSize().width() for i in self._items), default=0)
        height = max((i.minimumSize().height() for i in self._items), default=0)
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def _arrange(self, rect: QRect, move: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, line = area.x(), area.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x > area.x() and x + hint.width() > area.right() + 1:
                x, y, line = area.x(), y + line + self._line_spacing, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line = max(line, hint.height())
        return y + line - rect.y() + m.bottom()


class Legend(QWidget):
    """A row of state swatches, wrapped onto two in a narrow window; hovering one explains the state."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = FlowLayout(self)
        self._layout.setContentsMargins(8, 4, 8, 0)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def set_dark(self, dark: bool) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item.widget() is not None:
                item.widget().hide()  # gone now, not at the next turn of the loop
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
