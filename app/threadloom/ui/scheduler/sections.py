"""The scheduler view's bands: GIL cards, the pool's queue, the event loop's ring, the cores, recent history.

Each painter draws one :data:`threadloom.viewmodel.narrate.SECTION_* <threadloom.viewmodel.narrate>`
band into a rectangle and returns the height it used; the words come from
:mod:`threadloom.viewmodel.narrate`, the facts from the snapshot.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainterPath, QPen

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
    # Too many to draw: keep the ones a person should look at.
    shown, hidden = narrate.crowded(workers, cols * rows_fit)
    holder = snap.gil_holder
    cards = []
    for i, w in enumerate(shown):
        row, col = divmod(i, cols)
        rect = QRectF(r.left() + col * (width + 8), r.top() + row * (h + 8), width, h)
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
        th = cv.theme
        p.setPen(QPen(QColor(th.grid), 1, Qt.PenStyle.DashLine))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(rect, 7, 7)
        p.setPen(QColor(th.muted))
        p.setFont(cv.font(9))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, narrate.more_cards(hidden))
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
        p.setFont(cv.font(9))
        p.drawText(inner, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, narrate.QUEUE_EMPTY)
    # The arrow says where queued tasks go: to the first free worker.
    p.setPen(QPen(QColor(th.muted), 2))
    ax = pipe.right() - 22
    p.drawLine(QPointF(ax - 8, pipe.center().y()), QPointF(ax + 8, pipe.center().y()))
    p.drawLine(QPointF(ax + 8, pipe.center().y()), QPointF(ax + 2, pipe.center().y() - 5))
    p.drawLine(QPointF(ax + 8, pipe.center().y()), QPointF(ax + 2, pipe.center().y() + 5))
    return pipe.height()


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
    p.setFont(cv.font(8, True))
    p.drawText(QRectF(ring.left(), ring.top() + d * 0.22, d, 16), Qt.AlignmentFlag.AlignCenter, ring_text.what)
    p.setFont(cv.font(10, True))
    fm = QFontMetricsF(p.font())
    p.drawText(
        QRectF(ring.left() + 6, ring.center().y() - 10, d - 12, 20),
        Qt.AlignmentFlag.AlignCenter,
        fm.elidedText(ring_text.who, Qt.TextElideMode.ElideRight, d - 16),
    )
    if ring_text.note:
        p.setFont(cv.font(8))
        p.drawText(QRectF(ring.left(), ring.center().y() + 10, d, 16), Qt.AlignmentFlag.AlignCenter, ring_text.note)
    # Right of the ring: who is next (ready) and who waits on the outside world (io).
    x = ring.right() + 16
    col = QRectF(x, r.top(), r.right() - x, r.height())
    p.setFont(cv.font(8.5, True))
    p.setPen(QColor(th.foreground))
    p.drawText(
        QRectF(col.left(), col.top(), col.width(), 16), Qt.AlignmentFlag.AlignLeft, narrate.loop_ready_heading(snap)
    )
    h1 = cv.chips(
        QRectF(col.left(), col.top() + 18, col.width(), 60),
        [t.label for t in loop.ready],
        "ready",
        2,
        frozen=bool(loop.blocked),
    )
    if not loop.ready:
        h1 = cv.none(QRectF(col.left(), col.top() + 18, col.width(), 20))
    y2 = col.top() + 18 + h1 + 8
    p.setFont(cv.font(8.5, True))
    p.setPen(QColor(th.foreground))
    p.drawText(QRectF(col.left(), y2, col.width(), 16), Qt.AlignmentFlag.AlignLeft, narrate.loop_waiting_heading(snap))
    h2 = cv.chips(QRectF(col.left(), y2 + 18, col.width(), 60), [t.label for t in loop.waiting], "io", 2)
    if not loop.waiting:
        h2 = cv.none(QRectF(col.left(), y2 + 18, col.width(), 20))
    return max(d + 4, y2 + 18 + h2 - r.top())


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
        p.setFont(cv.font(7.5, True))
        p.drawText(
            core.adjusted(8, 3, -8, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, narrate.core_label(i)
        )
        if i < len(on_core):
            card = Card.of(core.adjusted(5, 16, -5, -5), narrate.process_card(on_core[i]))
            cv.card(card)
            # Its own GIL: a small token on the card.
            cv.gil_coin(QPointF(card.rect.right() - 13, card.rect.center().y()), 9, 1, 6)
    y = r.top() + h + 8
    if off_core:
        labels = [narrate.off_core_label(w) for w in off_core]
        p.setFont(cv.font(8.5, True))
        p.setPen(QColor(th.foreground))
        p.drawText(QRectF(r.left(), y, r.width(), 16), Qt.AlignmentFlag.AlignLeft, narrate.OFF_CORE)
        hh = cv.chips(QRectF(r.left() + 60, y - 2, r.width() - 60, 50), labels, "idle", 2)
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
    fm = QFontMetricsF(p.font())
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
    p.setFont(cv.font(7.5))
    p.drawText(QRectF(bar_x, y + 2, bar_w, 12), Qt.AlignmentFlag.AlignLeft, left)
    p.drawText(QRectF(bar_x, y + 2, bar_w, 12), Qt.AlignmentFlag.AlignRight, right)
    p.drawText(QRectF(bar_x, y + 2, bar_w, 12), Qt.AlignmentFlag.AlignHCenter, middle)
    return y + 14 - r.top()
