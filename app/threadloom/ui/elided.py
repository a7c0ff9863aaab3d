"""A one-line label that cuts a text too long for it with an ellipsis, never widening its window."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

#: What QLabel itself holds: one line's height, and never a size that follows the text.
_BLANK = " "


class ElidedLabel(QLabel):
    """Shows as much of its text as fits, ending in "…"; :meth:`text` is the whole text, as is the tooltip.

    ``always_tooltip=False`` sets the tooltip only while the text is cut, so that a parent's tooltip
    (what a summary tile means, say) shows through while the whole text is on screen.

    It paints its text itself: ``QLabel.setText`` asks every layout above it to run again (a live
    view sets texts twenty times a second), and this label's size never depends on its text.
    """

    def __init__(self, parent: QWidget | None = None, *, always_tooltip: bool = True) -> None:
        super().__init__(parent)
        self._full = ""
        self._shown = ""
        self._always_tooltip = always_tooltip
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        super().setText(_BLANK)

    def setText(self, text: str) -> None:
        if text == self._full:
            return  # a live view sets the same texts twenty times a second: no elision, no tooltip, no repaint
        self._full = text
        self.setAccessibleName(text)
        if self._always_tooltip:
            self.setToolTip(text)
        self._elide()

    def text(self) -> str:
        return self._full

    def shown_text(self) -> str:
        """The text on screen: the whole text, or as much as fits and "…"."""
        return self._shown

    def is_elided(self) -> bool:
        """Whether the text on screen is cut short."""
        return self._shown != self._full

    def minimumSizeHint(self) -> QSize:
        return QSize(1, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def paintEvent(self, event) -> None:
        super().paintEvent(event)  # the frame and the style sheet's background; its own text is blank
        if not self._shown:
            return
        p = QPainter(self)
        m = self.margin()
        self.style().drawItemText(
            p,
            self.contentsRect().adjusted(m, m, -m, -m),
            int(self.alignment()),
            self.palette(),
            self.isEnabled(),
            self._shown,
            self.foregroundRole(),
        )
        p.end()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, max(self._room(), 1))
        if shown != self._shown:
            self._shown = shown
            self.update()
        if not self._always_tooltip:
            tip = self._full if shown != self._full else ""
            if tip != self.toolTip():
                self.setToolTip(tip)

    def _room(self) -> int:
        m = self.margin()
        return self.contentsRect().width() - 2 * m


__all__ = ["ElidedLabel"]
