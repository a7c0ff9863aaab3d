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


def wrap_lines(text: str, fm: QFontMetricsF | Metrics, width: float, sep: str = " ") -> list[str]:
    """``text`` broken into lines no wider than ``width`` where it has ``sep`` (and at its newlines); a
    piece wider than a line is left whole on a line of its own."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for piece in paragraph.split(sep):
            candidate = f"{line}{sep}{piece}" if line else piece
            if line and fm.horizontalAdvance(candidate) > width:
                lines.append(line)
                line = piece
            else:
                line = candidate
        lines.append(line)
    return lines


class Metrics:
    """A font's measures, remembered: a live view measures the same texts twenty times a second.

    What the scheduler view asks of ``QFontMetricsF``, each answer computed once per font.
    """

    _MAX = 4096  # entries per table before it starts afresh: live texts come and go

    def __init__(self, font: QFont) -> None:
        self._fm = QFontMetricsF(font)
        self._advances: dict = {}
        self._elided: dict = {}
        self._height = self._fm.height()
        self._ascent = self._fm.ascent()

    def height(self) -> float:
        return self._height

    def ascent(self) -> float:
        return self._ascent

    def horizontalAdvance(self, text: str) -> float:
        found = self._advances.get(text)
        if found is None:
            if len(self._advances) > self._MAX:
                self._advances.clear()
            found = self._advances[text] = self._fm.horizontalAdvance(text)
        return found

    def elidedText(self, text: str, mode: Qt.TextElideMode, width: float) -> str:
        key = (text, mode, width)
        found = self._elided.get(key)
        if found is None:
            if len(self._elided) > self._MAX:
                self._elided.clear()
            found = self._elided[key] = self._fm.elidedText(text, mode, width)
        return found

    def boundingRect(self, rect: QRectF, flags: int, text: str) -> QRectF:
        return self._fm.boundingRect(rect, flags, text)


#: Fonts and their measures by (the widget font's key, size, bold): made once, not at every paint.
_FONTS: dict = {}


def _font_and_metrics(base: QFont, base_key: str, size: float, bold: bool) -> tuple[QFont, Metrics]:
    key = (base_key, size, bold)
    found = _FONTS.get(key)
    if found is None:
        if len(_FONTS) > 256:
            _FONTS.clear()
        font = QFont(base)
        font.setPointSizeF(size)
        font.setBold(bold)
        found = _FONTS[key] = (font, Metrics(font))
    return found


def _tint(color: QColor, under: QColor, alpha: float) -> QColor:
    """``color`` at ``alpha`` over the opaque ``under``, as one opaque colour."""
    mix = [round(alpha * a + (1 - alpha) * b) for a, b in zip(color.getRgb()[:3], under.getRgb()[:3], strict=True)]
    return QColor(*mix)


#: A card's coloured left edge, by card size: the part of its rounded rectangle left of x = 5.
_STRIPES: dict[tuple[float, float], QPainterPath] = {}


def _stripe(width: float, height: float) -> QPainterPath:
    key = (round(width, 1), round(height, 1))
    found = _STRIPES.get(key)
    if found is None:
        if len(_STRIPES) > 256:
            _STRIPES.clear()
        whole, edge = QPainterPath(), QPainterPath()
        whole.addRoundedRect(QRectF(0, 0, width, height), 7, 7)
        edge.addRect(QRectF(0, 0, 5, height))
        found = _STRIPES[key] = whole.intersected(edge)
    return found


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
        self._base_key = base_font.key()
        self.token_anchor = token_anchor
        #: Texts this pass had to cut to their room, with where they are: the view shows them whole as tooltips.
        self.cut: list[tuple[QRectF, str]] = []

    @property
    def theme(self):
        return theme(self.dark)

    def font(self, size: float, bold: bool = False) -> QFont:
        """The widget's font at ``size`` points; shared between paints, so copy it before changing it."""
        return _font_and_metrics(self.base_font, self._base_key, size, bold)[0]

    def metrics(self, font: QFont | float, bold: bool = False) -> Metrics:
        """The measures of ``font``, or of :meth:`font` ``(size, bold)`` given a size; remembered."""
        if not isinstance(font, QFont):
            return _font_and_metrics(self.base_font, self._base_key, font, bold)[1]
        key = ("key", font.key())
        found = _FONTS.get(key)
        if found is None:
            found = _FONTS[key] = (font, Metrics(font))
        return found[1]

    def color(self, state: str) -> QColor:
        return state_color(state, self.dark)

    # text that fits -------------------------------------------------------
    def fitted_text(
        self, rect: QRectF, flags: Qt.AlignmentFlag, text: str, size: float, bold: bool = False, min_size: float = 0
    ) -> None:
        """One line in ``rect``: the font shrinks (down to ``min_size``) until the text fits, else it is
        elided; a cut text is noted in :attr:`cut`, for its tooltip. The painter's pen is kept."""
        font, fm = self.font(size, bold), self.metrics(size, bold)
        while fm.horizontalAdvance(text) > rect.width() and size - 0.5 >= min_size > 0:
            size -= 0.5
            font, fm = self.font(size, bold), self.metrics(size, bold)
        # A pixel of slack: an advance that just fits may still ink a fraction past the edge.
        shown = fm.elidedText(text, Qt.TextElideMode.ElideRight, max(rect.width() - 1, 1))
        if shown != text:
            self.cut.append((QRectF(rect), text))
        self.p.setFont(font)
        self.p.drawText(rect, flags, shown)

    def wrapped_text(self, rect: QRectF, text: str, font: QFont, sep: str = " ", max_lines: int = 0) -> float:
        """``text`` wrapped at ``sep`` into ``rect``'s width, as many lines as its height (and ``max_lines``)
        holds; the last line drawn ends in "…" when more did not fit (noted in :attr:`cut`). Returns the
        height used. The painter's pen is kept."""
        fm = self.metrics(font)
        lines = wrap_lines(text, fm, rect.width() - 1, sep)
        line_h = fm.height()
        room = int((rect.height() + 0.5) // line_h)
        if max_lines:
            room = min(room, max_lines)
        if len(lines) > room:
            if room <= 0:
                self.cut.append((QRectF(rect), text))
                return 0.0
            rest = sep.join(lines[room - 1 :])
            lines = [*lines[: room - 1], fm.elidedText(rest, Qt.TextElideMode.ElideRight, max(rect.width() - 1, 1))]
            self.cut.append((QRectF(rect), text))
        whole = [fm.elidedText(line, Qt.TextElideMode.ElideRight, max(rect.width() - 1, 1)) for line in lines]
        if whole != lines and (not self.cut or self.cut[-1][1] != text):
            self.cut.append((QRectF(rect), text))  # a word wider than the line
        lines = whole
        self.p.setFont(font)
        y = rect.top()
        for line in lines:
            self.p.drawText(QRectF(rect.left(), y, rect.width(), line_h), Qt.AlignmentFlag.AlignLeft, line)
            y += line_h
        return y - rect.top()

    def wrapped_height(self, text: str, font: QFont, width: float, sep: str = " ", max_lines: int = 0) -> float:
        """The height :meth:`wrapped_text` needs for ``text`` at ``width``."""
        fm = self.metrics(font)
        n = len(wrap_lines(text, fm, width - 1, sep))
        return fm.height() * (min(n, max_lines) if max_lines else n)

    # cards ---------------------------------------------------------------
    def card(self, card: Card, highlight_ready: bool = True) -> None:
        p, th = self.p, self.theme
        color = self.color(card.state)
        p.setPen(Qt.PenStyle.NoPen)
        # The state's colour, faint, over the band's: mixed once, painted once (a live view paints
        # dozens of cards twenty times a second).
        p.setBrush(_tint(color, QColor(th.band), 60 / 255 if self.dark else 38 / 255))
        p.drawRoundedRect(card.rect, 7, 7)
        p.fillPath(_stripe(card.rect.width(), card.rect.height()).translated(card.rect.topLeft()), color)
        if card.state == "ready" and highlight_ready:
            pen = QPen(color, 1.6, Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(card.rect.adjusted(0.8, 0.8, -0.8, -0.8), 7, 7)
        text_r = card.rect.adjusted(12, 4, -30, -4)
        p.setPen(QColor(th.foreground))
        p.setFont(self.font(9.5, True))
        fm = self.metrics(9.5, True)
        p.drawText(
            QRectF(text_r.left(), text_r.top(), text_r.width(), text_r.height() / 2),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(card.title, Qt.TextElideMode.ElideRight, text_r.width()),
        )
        p.setFont(self.font(8.5))
        p.setPen(QColor(th.muted) if card.state in ("idle", "io") else QColor(th.foreground))
        fm = self.metrics(8.5)
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
        fm = self.metrics(8.5)
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
