"""A one-line label that cuts a text too long for it with an ellipsis, never widening its window."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """Shows as much of its text as fits, ending in "…"; :meth:`text` is the whole text, as is the tooltip.

    ``always_tooltip=False`` sets the tooltip only while the text is cut, so that a parent's tooltip
    (what a summary tile means, say) shows through while the whole text is on screen.
    """

    def __init__(self, parent: QWidget | None = None, *, always_tooltip: bool = True) -> None:
        super().__init__(parent)
        self._full = ""
        self._always_tooltip = always_tooltip
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:
        if text == self._full:
            return  # a live view sets the same texts twenty times a second: no elision, no tooltip, no relayout
        self._full = text
        if self._always_tooltip:
            self.setToolTip(text)
        self._elide()

    def text(self) -> str:
        return self._full

    def is_elided(self) -> bool:
        """Whether the text on screen is cut short."""
        return super().text() != self._full

    def minimumSizeHint(self) -> QSize:
        return QSize(1, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, max(self.width(), 1))
        if shown != super().text():
            super().setText(shown)
        if not self._always_tooltip:
            tip = self._full if shown != self._full else ""
            if tip != self.toolTip():
                self.setToolTip(tip)


__all__ = ["ElidedLabel"]
