"""The scheduler view's drawing primitives: cards, chips and the gold GIL coin."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen

from ...viewmodel import narrate
from ..palette import state_color, theme

GIL_GOLD = QColor("#F2C230")
_GIL_RIM = QColor("#7A5C00")
_GIL_INK = QColor("#2B2100")
#: States whose chips are dark enough for white text.
_LIGHT_TEXT = ("ready", "queued", "running", "native", "blocked")


@dataclass
class Card:
    rect: QRectF
    title: str
    detail: str
    state: str
    task_id: int | None
    worker_id: int | None = None

    @classmethod
    def of(cls, rect: QRectF, text: narrate.CardText) -> Card:
        return cls(rect, text.title, text.detail, text.state, text.task_id, text.worker_id)


class Canvas:
    """One paint pass: the painter, the theme, the widget's font, and where each task's card holds the token."""

    def __init__(self, p: QPainter, dark: bool, base_font: QFont, token_anchor: dict[int, QPointF]) -> None:
        self.p = p
        self.dark = dark
        self.base_font = base_font
        self.token_anchor = token_anchor

    @property
    def theme(self):
        return theme(self.dark)

    def font(self, size: float, bold: bool = False) -> QFont:
        f = QFont(self.base_font)
        f.setPointSizeF(size)
        f.setBold(bold)
        return f

    def color(self, state: str) -> QColor:
        return state_color(state, self.dark)

    # cards ---------------------------------------------------------------
    def card(self, card: Card, highlight_ready: bool = True) -> None:
        p, th = self.p, self.theme
        color = self.color(card.state)
        fill = QColor(color)
        fill.setAlpha(60 if self.dark else 38)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(th.band))
        p.drawRoundedRect(card.rect, 7, 7)
        p.setBrush(fill)
        p.drawRoundedRect(card.rect, 7, 7)
        stripe = QRectF(card.rect.left(), card.rect.top(), 5, card.rect.height())
        path = QPainterPath()
        path.addRoundedRect(card.rect, 7, 7)
        p.save()
        p.setClipPath(path)
        p.fillRect(stripe, color)
        p.restore()
        if card.state == "ready" and highlight_ready:
            pen = QPen(color, 1.6, Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(card.rect.adjusted(0.8, 0.8, -0.8, -0.8), 7, 7)
        text_r = card.rect.adjusted(12, 4, -30, -4)
        p.setPen(QColor(th.foreground))
        p.setFont(self.font(9.5, True))
        fm = QFontMetricsF(p.font())
        p.drawText(
            QRectF(text_r.left(), text_r.top(), text_r.width(), text_r.height() / 2),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(card.title, Qt.TextElideMode.ElideRight, text_r.width()),
        )
        p.setFont(self.font(8.5))
        p.setPen(QColor(th.muted) if card.state in ("idle", "io") else QColor(th.foreground))
        fm = QFontMetricsF(p.font())
        p.drawText(
            QRectF(text_r.left(), text_r.center().y(), text_r.width(), text_r.height() / 2),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(card.detail, Qt.TextElideMode.ElideRight, text_r.width()),
        )
        if card.task_id is not None:
            self.token_anchor[card.task_id] = QPointF(card.rect.right() - 16, card.rect.center().y())

    # chips ---------------------------------------------------------------
    def chips(self, r: QRectF, labels: list[str], state: str, max_rows: int, frozen: bool = False) -> float:
        """Labels as small rounded chips, flowing left to right; the overflow becomes ``+N``."""
        p, th = self.p, self.theme
        p.setFont(self.font(8.5))
        fm = QFontMetricsF(p.font())
        h, gap = 20.0, 5.0
        x, y, row = r.left(), r.top(), 0
        color = self.color(state)
        for i, text in enumerate(labels):
            w = fm.horizontalAdvance(text) + 14
            rest = len(labels) - i
            more = f"+{rest}"
            more_w = fm.horizontalAdvance(more) + 14
            if x + w > r.right() or (row == max_rows - 1 and rest > 1 and x + w + gap + more_w > r.right()):
                if row == max_rows - 1:
                    self.chip(QRectF(x, y, more_w, h), more, QColor(th.grid), QColor(th.foreground))
                    return y + h - r.top()
                row += 1
                x, y = r.left(), y + h + gap
            fill = QColor(color)
            light_text = state in _LIGHT_TEXT and not frozen
            if frozen:
                fill.setAlpha(110)  # faded: these cannot move while what runs them is blocked
            fg = QColor("#FFFFFF") if light_text else QColor(th.foreground if frozen else "#10222E")
            self.chip(QRectF(x, y, w, h), text, fill, fg)
            x += w + gap
        return (y + h - r.top()) if labels else 0.0

    def chip(self, rect: QRectF, text: str, fill: QColor, fg: QColor) -> None:
        p = self.p
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(fill)
        p.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
        p.setPen(fg)
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def none(self, r: QRectF) -> float:
        """The word "none" where a list of chips is empty."""
        p = self.p
        p.setPen(QColor(self.theme.muted))
        p.setFont(self.font(8.5))
        p.drawText(r, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, narrate.NONE_TEXT)
        return r.height()

    # the GIL -------------------------------------------------------------
    def gil_coin(self, centre: QPointF, radius: float, rim: float, text_size: float | None) -> None:
        """The gold token; ``text_size`` None draws it without its "GIL" label (the legend's)."""
        p = self.p
        p.setPen(QPen(_GIL_RIM, rim))
        p.setBrush(GIL_GOLD)
        p.drawEllipse(centre, radius, radius)
        if text_size is None:
            return
        p.setPen(_GIL_INK)
        p.setFont(self.font(text_size, True))
        p.drawText(
            QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius),
            Qt.AlignmentFlag.AlignCenter,
            narrate.GIL_TOKEN,
        )
