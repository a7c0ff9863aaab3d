"""The scheduler view's bands: GIL cards, the pool's queue, the event loop's ring, the cores, recent history.

Each painter draws one :data:`threadloom.viewmodel.narrate.SECTION_* <threadloom.viewmodel.narrate>`
band into a rectangle and returns the height it used; the words come from
:mod:`threadloom.viewmodel.narrate`, the facts from the snapshot.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen

from ...model import STATES
from ...viewmodel import narrate
from ...viewmodel.instant import Snapshot, TraceIndex, history_rows, history_tick_ns, history_window_ns
from ..palette import state_color
from .paint import Canvas, Card


def _grid(r: QRectF, n: int, min_w: float, h: float, gap: float = 8) -> tuple[int, int, float]:
    cols = max(1, min(n, int((r.width() + gap) // (min_w + gap))))
    rows_fit = max(1, int((r.height() + gap) // (h + gap)))
    width = (r.width() - gap * (cols - 1)) / cols
    return cols, rows_fit, width


def paint_gil(cv: Canvas, snap: Snapshot, r: QRectF) -> float:
    """One card per worker that shares the GIL; ready ones point at the holder's card."""
    p = cv.p
    workers = snap.gil_sharing_workers()
    h = 50.0 if len(workers) <= 4 else 44.0
    cols, rows_fit, width = _grid(r, len(workers), 150, h)
    # Room for one card only (a narrow, short panel): the card a person should look at, with a narrow
    # "+N" box beside it, rather than a "+N more" box where the card would be.
    single = cols * rows_fit == 1 and len(workers) > 1
    # Too many to draw: keep the ones a person should look at.
    if single:
        shown, hidden = [narrate.most_important(workers)], len(workers) - 1
    else:
        shown, hidden = narrate.crowded(workers, cols * rows_fit)
    holder = snap.gil_holder
    cards = []
    for i, w in enumerate(shown):
        row, col = divmod(i, cols)
        rect = QRectF(r.left() + col * (width + 8), r.top() + row * (h + 8), width, h)
        if single:
            rect.setWidth(r.width() - 80)
        cards.append(Card.of(rect, narrate.gil_card(snap, w, holder)))
    for card in cards:
        cv.card(card)
    used = 0.0
    if cards:
        used = cards[-1].rect.bottom() - r.top()
    if hidden:
        i = len(shown)
        row, col = divmod(i, cols)
        rect = QRectF(r.left() + col * (width + 8), r.top() + row * (h + 8), width, h)
        text = narrate.more_cards(hidden)
        if single:
            rect = QRectF(r.right() - 72, r.top(), 72, h)
            text = f"+{hidden} more"
        th = cv.theme
        p.setPen(QPen(QColor(th.grid), 1, Qt.PenStyle.DashLine))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(rect, 7, 7)
        p.setPen(QColor(th.muted))
        cv.fitted_text(rect.adjusted(4, 0, -4, 0), Qt.AlignmentFlag.AlignCenter, text, 9, False, 7.5)
        used = max(used, rect.bottom() - r.top())
    _paint_ready_arrows(cv, snap, cards)
    return used


def _paint_ready_arrows(cv: Canvas, snap: Snapshot, cards: list[Card]) -> None:
    """Thin dashed lines from each waiting card to the token: they all want it."""
    holder = snap.gil_holder
    if holder is None or holder.id not in cv.token_anchor:
        return
    target = cv.token_anchor[holder.id]
    pen = QPen(cv.color("ready"), 1.2, Qt.PenStyle.DotLine)
    cv.p.setPen(pen)
    for card in cards[:24]:
        if card.state != "ready":
            continue
        if card.rect.top() <= target.y() <= card.rect.bottom():
            # Same row: from the card's near edge, so the line does not cross its text.
            x = card.rect.left() if card.rect.left() > target.x() else card.rect.right()
            start = QPointF(x, card.rect.center().y())
        else:
            start = QPointF(
                card.rect.center().x(), card.rect.top() if card.rect.top() > target.y() else card.rect.bottom()
            )
        cv.p.drawLine(start, target)


def paint_queue(cv: Canvas, snap: Snapshot, r: QRectF) -> float:
    """The pool's queue as a pipe of chips, with an arrow to the workers."""
    p, th = cv.p, cv.theme
    queued = snap.in_state("queued")
    pipe = QRectF(r.left(), r.top(), r.width(), min(r.height(), 58 if len(queued) > 8 else 34))
    p.setPen(QPen(QColor(th.grid), 1.2))
    p.setBrush(QColor(th.band))
    p.drawRoundedRect(pipe, 8, 8)
    inner = pipe.adjusted(8, 7, -40, -7)
    if queued:
        rows = max(1, int((inner.height() + 5) // 25))
        cv.chips(inner, [t.label for t in queued], "queued", rows)
    else:
        p.setPen(QColor(th.muted))
        cv.fitted_text(inner, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, narrate.QUEUE_EMPTY, 9)
    # The arrow says where queued tasks go: to the first free worker.
    p.setPen(QPen(QColor(th.muted), 2))
    ax = pipe.right() - 22
    p.drawLine(QPointF(ax - 8, pipe.center().y()), QPointF(ax + 8, pipe.center().y()))
    p.drawLine(QPointF(ax + 8, pipe.center().y()), QPointF(ax + 2, pipe.center().y() - 5))
    p.drawLine(QPointF(ax + 8, pipe.center().y()), QPointF(ax + 2, pipe.center().y() + 5))
    return pipe.height()


def _chip_rows(room: float) -> int:
    """Rows of chips (20 px and a 5 px gap each) that fit ``room``: two at most, one at least."""
    return max(1, min(2, int((room + 5) // 25)))


def paint_loop(cv: Canvas, snap: Snapshot, r: QRectF) -> float:
    """The event loop as a ring that turns, with who is ready and who waits beside it."""
    p, th = cv.p, cv.theme
    loop = snap.loop_now()
    ring_text = narrate.loop_ring(snap)
    state = ring_text.state
    d = min(118.0, r.height() - 4, r.width() * 0.34)
    ring = QRectF(r.left() + 4, r.top() + 2, d, d)
    color = cv.color(state) if state != "idle" else QColor(th.muted)
    fill = QColor(color)
    fill.setAlpha(40)
    p.setBrush(fill)
    p.setPen(QPen(color, 5 if state == "blocked" else 3))
    p.drawEllipse(ring)
    # A small arrowhead on the ring turns with time: it stops when the loop is blocked.
    c = ring.center()
    rad = d / 2
    a = math.radians(ring_text.turn_deg)
    tip = QPointF(c.x() + rad * math.cos(a), c.y() + rad * math.sin(a))
    tangent = QPointF(-math.sin(a), math.cos(a))
    normal = QPointF(math.cos(a), math.sin(a))
    head = QPainterPath(tip + tangent * 7)
    head.lineTo(tip - tangent * 3 + normal * 6)
    head.lineTo(tip - tangent * 3 - normal * 6)
    head.closeSubpath()
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color)
    p.drawPath(head)
    p.setPen(QColor(th.foreground))
    # Inside the ring, whose size follows the band's: the words shrink with it, then end in "…".
    inside = Qt.AlignmentFlag.AlignCenter
    cv.fitted_text(QRectF(ring.left() + 4, ring.top() + d * 0.22, d - 8, 16), inside, ring_text.what, 8, True, 6.5)
    cv.fitted_text(QRectF(ring.left() + 6, ring.center().y() - 10, d - 12, 20), inside, ring_text.who, 10, True, 8)
    if ring_text.note:
        cv.fitted_text(
            QRectF(ring.left() + 6, ring.center().y() + 10, d - 12, 16), inside, ring_text.note, 8, False, 6.5
        )
    # Right of the ring: who is next (ready) and who waits on the outside world (io). A heading too long
    # for the column wraps onto a second line, its count included.
    x = ring.right() + 16
    col = QRectF(x, r.top(), r.right() - x, r.height())
    heading = cv.font(8.5, True)
    p.setPen(QColor(th.foreground))
    y1 = (
        col.top()
        + cv.wrapped_text(
            QRectF(col.left(), col.top(), col.width(), 34), narrate.loop_ready_heading(snap), heading, max_lines=2
        )
        + 2
    )
    h1 = cv.chips(
        QRectF(col.left(), y1, col.width(), 60),
        [t.label for t in loop.ready],
        "ready",
        _chip_rows(r.bottom() - y1 - 40),  # room left for the waiting list's heading and a row of chips
        frozen=bool(loop.blocked),
    )
    if not loop.ready:
        h1 = cv.none(QRectF(col.left(), y1, col.width(), 20))
    y2 = y1 + h1 + 8
    p.setPen(QColor(th.foreground))
    y3 = (
        y2
        + cv.wrapped_text(
            QRectF(col.left(), y2, col.width(), 34), narrate.loop_waiting_heading(snap), heading, max_lines=2
        )
        + 2
    )
    h2 = cv.chips(
        QRectF(col.left(), y3, col.width(), 60), [t.label for t in loop.waiting], "io", _chip_rows(r.bottom() - y3)
    )
    if not loop.waiting:
        h2 = cv.none(QRectF(col.left(), y3, col.width(), 20))
    return max(d + 4, y3 + h2 - r.top())


def paint_cores(cv: Canvas, snap: Snapshot, r: QRectF) -> float:
    """One box per core (up to eight), the processes on them with a GIL each, the others below."""
    p, th = cv.p, cv.theme
    on_core = snap.on_core()
    off_core = snap.off_core()
    cores = max(1, snap.cpu_count)
    gap = 8.0
    cw = (r.width() - gap * (cores - 1)) / cores if cores <= 8 else (r.width() - gap * 7) / 8
    shown_cores = min(cores, 8)
    h = 64.0
    for i in range(shown_cores):
        core = QRectF(r.left() + i * (cw + gap), r.top(), cw, h)
        p.setPen(QPen(QColor(th.grid), 1.2))
        p.setBrush(QColor(th.band))
        p.drawRoundedRect(core, 8, 8)
        p.setPen(QColor(th.muted))
        top_left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        cv.fitted_text(
            QRectF(core.left() + 8, core.top() + 3, core.width() - 16, 14), top_left, narrate.core_label(i), 7.5, True
        )
        if i < len(on_core):
            card = Card.of(core.adjusted(5, 16, -5, -5), narrate.process_card(on_core[i]))
            cv.card(card)
            # Its own GIL: a small token on the card.
            cv.gil_coin(QPointF(card.rect.right() - 13, card.rect.center().y()), 9, 1, 6)
    y = r.top() + h + 8
    if off_core:
        labels = [narrate.off_core_label(w) for w in off_core]
        p.setPen(QColor(th.foreground))
        # The chips start after the heading, however long its words are.
        label_w = min(cv.metrics(8.5, True).horizontalAdvance(narrate.OFF_CORE) + 8, r.width() * 0.4)
        cv.fitted_text(QRectF(r.left(), y, label_w - 4, 16), Qt.AlignmentFlag.AlignLeft, narrate.OFF_CORE, 8.5, True)
        hh = cv.chips(QRectF(r.left() + label_w, y - 2, r.width() - label_w, 50), labels, "idle", 2)
        y += max(16.0, hh)
    return y - r.top()


def paint_history(cv: Canvas, snap: Snapshot, index: TraceIndex, r: QRectF) -> float:
    """The last few switch intervals of a handful of tasks, the present on the right."""
    p, th = cv.p, cv.theme
    window = history_window_ns(snap.switch_interval_ms)
    t1 = snap.t_ns
    t0 = t1 - window
    row_h, gap, label_w = 16.0, 5.0, 96.0
    # A handful of rows tells the story; the rest of the space is for the lesson below.
    rows = max(1, int((min(r.height(), 6 * (row_h + gap)) + gap) // (row_h + gap)))
    tasks = history_rows(snap, rows)
    bar_x = r.left() + label_w
    bar_w = r.width() - label_w
    p.setFont(cv.font(8.5))
    fm = cv.metrics(8.5)
    y = r.top()
    for task in tasks:
        p.setPen(QColor(th.foreground))
        p.drawText(
            QRectF(r.left(), y, label_w - 8, row_h),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(task.label, Qt.TextElideMode.ElideMiddle, label_w - 8),
        )
        p.fillRect(QRectF(bar_x, y + 1, bar_w, row_h - 2), QColor(th.band))
        start, end, state = index.history(task.id, t0, t1)
        for code in np.unique(state):
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(state_color(STATES[code], cv.dark))
            mask = state == code
            xs = bar_x + (start[mask] - t0) / window * bar_w
            ws = np.maximum((end[mask] - start[mask]) / window * bar_w, 1.0)
            for x, w in zip(xs.tolist(), ws.tolist(), strict=False):
                p.drawRect(QRectF(x, y + 1, w, row_h - 2))
        y += row_h + gap
    # Tick marks under the rows: the switch interval, so a person can count the hand-offs.
    p.setPen(QPen(QColor(th.muted), 1))
    step = history_tick_ns(snap.switch_interval_ms)
    k = 0
    while k * step <= window:
        x = bar_x + bar_w - k * step / window * bar_w
        p.drawLine(QPointF(x, y - 2), QPointF(x, y + 2))
        k += 1
    left, right, middle = narrate.history_scale(snap)
    font = cv.font(7.5)
    fm = cv.metrics(font)
    line_h = max(12.0, fm.height())
    p.setFont(font)
    p.drawText(QRectF(bar_x, y + 2, bar_w, line_h), Qt.AlignmentFlag.AlignLeft, left)
    p.drawText(QRectF(bar_x, y + 2, bar_w, line_h), Qt.AlignmentFlag.AlignRight, right)
    # The middle words go between the two ends where they fit, else on a line of their own below them.
    ends = fm.horizontalAdvance(left) + fm.horizontalAdvance(right) + 16
    if ends + fm.horizontalAdvance(middle) <= bar_w:
        p.drawText(QRectF(bar_x, y + 2, bar_w, line_h), Qt.AlignmentFlag.AlignHCenter, middle)
        return y + 2 + line_h - r.top()
    cv.fitted_text(QRectF(bar_x, y + 2 + line_h, bar_w, line_h), Qt.AlignmentFlag.AlignHCenter, middle, 7.5)
    return y + 2 + 2 * line_h - r.top()
