"""The animated scheduler view: who holds the GIL, who waits for it, the pool's queue, the event loop.

:func:`threadloom.viewmodel.instant.snapshot_at` reads the trace at one instant
and :mod:`threadloom.viewmodel.narrate` says what it means; :class:`SchedulerView`
draws that with ``QPainter``, so that a person sees *why* a task waits without
reading any code.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEasingCurve, QEvent, QPointF, QRectF, QSize, Qt, QTimer, QVariantAnimation
from PySide6.QtGui import QColor, QHelpEvent, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ...model import Trace
from ...viewmodel import narrate
from ...viewmodel.instant import Snapshot, TraceIndex, live_snapshot, snapshot_at
from ..palette import theme
from . import sections
from .paint import Canvas

#: The least height (px) a band gets before the recent-history band is left out.
_MIN_SECTION = 130
#: A live snapshot is drawn this long after the window's refresh asked for it (see show_live).
_LIVE_DELAY_MS = 12


class SchedulerView(QWidget):
    """Draws a :class:`~threadloom.viewmodel.instant.Snapshot`: the GIL token, cards, the queue, the loop, the cores.

    Feed it with :meth:`set_trace` then :meth:`set_time_ms` (replay), or
    :meth:`show_live` (a run in progress).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumWidth(280)  # a 1024 px window still has room for the timeline
        # paintEvent fills every pixel: without this, each live frame repaints the dock and the
        # main window beneath it first.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._dark = False
        self._trace: Trace | None = None
        self._label = ""
        self._index: TraceIndex | None = None
        self._snap: Snapshot | None = None
        self._token_from: QPointF | None = None
        self._token_to: QPointF | None = None
        self._token_holder: int | None = None
        self._token_anchor: dict[int, QPointF] = {}
        self._cut: list[tuple[QRectF, str]] = []  # texts the last paint cut to fit, and where
        self._token_anim = QVariantAnimation(self)
        self._token_anim.setDuration(180)
        self._token_anim.setStartValue(0.0)
        self._token_anim.setEndValue(1.0)
        self._token_anim.setEasingCurve(QEasingCurve.Type.OutCubic)
        self._token_progress = 1.0
        # The progress is kept from the signal: QVariantAnimation.currentValue() before the first
        # start returns an unreferenced None in PySide6 6.12 on Python 3.11.
        self._token_anim.valueChanged.connect(self._on_token_progress)
        self._live_pending = False  # a live snapshot asked for and not taken yet (see show_live)
        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(_LIVE_DELAY_MS)
        self._live_timer.timeout.connect(self._show_pending_live)
        self.setToolTip(narrate.TOOLTIP)

    # -- feeding -----------------------------------------------------------
    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        self.update()

    def set_trace(self, trace: Trace | None, label: str = "", index: TraceIndex | None = None) -> None:
        """Show ``trace`` (finished or stopped); call :meth:`set_time_ms` to pick the instant.

        ``index`` is a :class:`TraceIndex` of the trace if one was built already (it is built on demand).
        """
        self._trace, self._label = trace, label
        self._live_pending = False
        self._index = index if index is not None and trace is not None and index.trace is trace else None
        self._snap = None
        self.update()

    def show_live(self, trace: Trace, label: str = "") -> None:
        """Draw the newest instant of a run in progress.

        The snapshot is taken, and the view repainted, a few ms later in a turn of its own: the
        window's live refresh also repaints the timeline, and one paint pass holding both (plus the
        refresh itself) was the event loop's longest stall under a flood. Refreshes that come
        meanwhile fold into one. :meth:`snapshot` and :meth:`gil_holder` take it at once if asked.
        """
        self._trace, self._label, self._index = trace, label, None
        self._live_pending = True
        if not self._live_timer.isActive():
            self._live_timer.start()

    def _show_pending_live(self) -> None:
        self._live_timer.stop()
        if not self._live_pending:
            return
        self._live_pending = False
        trace = self._trace
        self._set_snapshot(live_snapshot(trace) if trace is not None and trace.header else None, animate=False)

    def set_time_ms(self, ms: float) -> None:
        self._live_pending = False
        trace = self._trace
        if trace is None or not trace.header:
            self._set_snapshot(None)
            return
        if self._index is None or self._index.generation != trace.generation:
            self._index = TraceIndex(trace)
        self._set_snapshot(snapshot_at(trace, int(ms * 1e6), self._index))

    def snapshot(self) -> Snapshot | None:
        self._show_pending_live()
        return self._snap

    def gil_holder(self) -> str | None:
        """Label of the task that holds the GIL in what is drawn now (``None``: nobody)."""
        self._show_pending_live()
        holder = self._snap.gil_holder if self._snap else None
        return holder.label if holder else None

    def _set_snapshot(self, snap: Snapshot | None, animate: bool = True) -> None:
        self._snap = snap
        holder = snap.gil_holder if snap else None
        holder_id = holder.id if holder else None
        if holder_id != self._token_holder:
            self._token_from = self._token_to
            self._token_holder = holder_id
            self._token_anim.stop()
            if animate:
                self._token_anim.start()
            else:
                # Live, the holder changes at nearly every refresh: the refreshes themselves animate the
                # token, and an 180 ms glide at each would repaint the view some 60 times a second.
                self._token_from, self._token_progress = None, 1.0
        self.update()

    def _on_token_progress(self, value: float) -> None:
        self._token_progress = float(value)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(460, 700)

    # -- painting ----------------------------------------------------------
    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        th = theme(self._dark)
        p.fillRect(self.rect(), QColor(th.background))
        r = QRectF(self.rect()).adjusted(16, 12, -16, -12)
        cv = Canvas(p, self._dark, self.font(), self._token_anchor)
        snap = self._snap
        if snap is None:
            self._cut = []
            self._paint_empty(cv, r)
            p.end()
            return
        self._token_anchor.clear()
        y = self._paint_header(cv, r, snap)
        # The legend flows onto a second row in a narrow panel; the bands take what is left above it.
        legend_rows = self._legend_rows(cv, snap, r.width())
        legend_h = 18.0 * len(legend_rows)
        bottom = r.bottom() - legend_h - 8
        shown = narrate.sections(snap, history=self._index is not None)
        # A short view drops the recent-history band (the one that is extra) rather than cram them all.
        if len(shown) > 1 and shown[-1].key == narrate.SECTION_HISTORY and (bottom - y) / len(shown) < _MIN_SECTION:
            shown = shown[:-1]
        for i, section in enumerate(shown):
            remaining = len(shown) - i
            budget = (bottom - y) / remaining
            box = QRectF(r.left(), y, r.width(), budget)
            # A band never paints over the next one or the legend, whatever its text needs.
            p.save()
            p.setClipRect(box)
            y = min(self._paint_section(cv, box, section, self._painter(cv, snap, section.key)), box.bottom())
            p.restore()
            y += 14
        if bottom - y > 48:
            self._paint_lesson(cv, QRectF(r.left(), y, r.width(), bottom - y - 8), snap)
        self._paint_legend(cv, QRectF(r.left(), r.bottom() - legend_h, r.width(), legend_h), legend_rows)
        self._paint_token(cv, snap)
        self._cut = cv.cut
        p.end()

    def cut_texts(self) -> list[str]:
        """The texts the last paint had to cut to fit (each is whole in its tooltip)."""
        return [text for _, text in self._cut]

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            # A text cut to fit is shown whole where it is; elsewhere, what the view shows.
            pos = QPointF(event.pos())
            text = next((whole for rect, whole in self._cut if rect.contains(pos)), narrate.TOOLTIP)
            QToolTip.showText(event.globalPos(), text, self)
            return True
        return super().event(event)

    def _painter(self, cv: Canvas, snap: Snapshot, key: str) -> Callable[[QRectF], float]:
        """What draws the band ``key`` (a ``narrate.SECTION_*``) into a rectangle."""
        if key == narrate.SECTION_HISTORY:
            index = self._index
            assert index is not None
            return lambda r: sections.paint_history(cv, snap, index, r)
        paint = {
            narrate.SECTION_LOOP: sections.paint_loop,
            narrate.SECTION_QUEUE: sections.paint_queue,
            narrate.SECTION_GIL: sections.paint_gil,
            narrate.SECTION_CORES: sections.paint_cores,
        }[key]
        return lambda r: paint(cv, snap, r)

    def _paint_empty(self, cv: Canvas, r: QRectF) -> None:
        p = cv.p
        p.setPen(QColor(cv.theme.muted))
        p.setFont(cv.font(11))
        p.drawText(r, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, narrate.EMPTY_TEXT)

    def _paint_header(self, cv: Canvas, r: QRectF, snap: Snapshot) -> float:
        p, th = cv.p, cv.theme
        p.setPen(QColor(th.foreground))
        # A narrow panel: the title's font shrinks a little before anything is cut.
        cv.fitted_text(
            QRectF(r.left(), r.top(), r.width(), 22),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            narrate.title(snap, self._label),
            13,
            True,
            min_size=10.5,
        )
        p.setPen(QColor(th.muted))
        # The settings and counts wrap between their parts rather than run off the panel's edge.
        used = cv.wrapped_text(QRectF(r.left(), r.top() + 24, r.width(), 60), narrate.subtitle(snap), cv.font(9), " · ")
        return r.top() + 24 + max(used, 32.0) + 8

    def _paint_section(
        self, cv: Canvas, box: QRectF, section: narrate.Section, painter: Callable[[QRectF], float]
    ) -> float:
        p, th = cv.p, cv.theme
        title, caption = section.title, section.caption
        p.setPen(QColor(th.muted))
        cv.fitted_text(QRectF(box.left(), box.top(), box.width(), 16), Qt.AlignmentFlag.AlignLeft, title, 8.5, True)
        p.setPen(QPen(QColor(th.grid), 1))
        fm = cv.metrics(8.5, True)
        x0 = box.left() + fm.horizontalAdvance(title) + 8
        if x0 < box.right():
            p.drawLine(QPointF(x0, box.top() + 8), QPointF(box.right(), box.top() + 8))
        cap_font = cv.font(9.5)
        cap_h = cv.wrapped_height(caption, cap_font, box.width()) + 4 if caption else 0.0
        content = QRectF(box.left(), box.top() + 20, box.width(), max(30.0, box.height() - 28 - cap_h))
        used = painter(content)
        cap_top = content.top() + used + 6
        p.setPen(QColor(th.foreground))
        # The lines that fit the band; a caption cut short ends in "…" and is whole in its tooltip.
        cap_h = cv.wrapped_text(QRectF(box.left(), cap_top, box.width(), box.bottom() - cap_top), caption, cap_font)
        return cap_top + cap_h

    def _paint_lesson(self, cv: Canvas, space: QRectF, snap: Snapshot) -> None:
        """The question this model answers, at the bottom when there is room for it."""
        text = narrate.lesson(snap)
        if not text:
            return
        p, th = cv.p, cv.theme
        font = cv.font(9.5)
        fm = cv.metrics(font)
        inner_w = space.width() - 28
        h = fm.boundingRect(QRectF(0, 0, inner_w, 400), Qt.TextFlag.TextWordWrap, text).height() + 36
        if h > space.height():
            return
        box = QRectF(space.left(), space.bottom() - h, space.width(), h)
        p.setPen(QPen(QColor(th.grid), 1))
        p.setBrush(QColor(th.band))
        p.drawRoundedRect(box, 8, 8)
        p.setPen(QColor(th.muted))
        p.setFont(cv.font(8.5, True))
        p.drawText(box.adjusted(14, 8, -14, 0), Qt.AlignmentFlag.AlignLeft, narrate.LESSON_HEADING)
        p.setPen(QColor(th.foreground))
        p.setFont(font)
        p.drawText(box.adjusted(14, 28, -14, -8), Qt.TextFlag.TextWordWrap, text)

    def _legend_rows(self, cv: Canvas, snap: Snapshot, width: float) -> list[list[tuple[str | None, str, float]]]:
        """The legend's entries, (state or None for the GIL, text, width), in rows that fit ``width``."""
        fm = cv.metrics(8)
        entries: list[tuple[str | None, str, float]] = [
            (state, state, 14 + fm.horizontalAdvance(state)) for state in narrate.legend_states(snap)
        ]
        entries.append((None, narrate.GIL_LEGEND, 20 + fm.horizontalAdvance(narrate.GIL_LEGEND)))
        rows: list[list[tuple[str | None, str, float]]] = [[]]
        x = 0.0
        for entry in entries:
            if rows[-1] and x + entry[2] > width:
                rows.append([])
                x = 0.0
            rows[-1].append(entry)
            x += entry[2] + 14
        return rows

    def _paint_legend(self, cv: Canvas, r: QRectF, rows: list[list[tuple[str | None, str, float]]]) -> None:
        p, th = cv.p, cv.theme
        p.setFont(cv.font(8))
        fm = cv.metrics(8)
        for i, row in enumerate(rows):
            y = r.top() + 18 * i + 9
            x = r.left()
            for state, text, w in row:
                if state is None:
                    cv.gil_coin(QPointF(x + 8, y), 7, 1, None)
                    p.setFont(cv.font(8))
                    p.setPen(QColor(th.muted))
                    p.drawText(QPointF(x + 20, y + fm.ascent() / 2 - 1), text)
                else:
                    p.setPen(Qt.PenStyle.NoPen)
                    p.setBrush(cv.color(state))
                    p.drawRoundedRect(QRectF(x, y - 5, 10, 10), 2, 2)
                    p.setPen(QColor(th.muted))
                    p.drawText(QPointF(x + 14, y + fm.ascent() / 2 - 1), text)
                x += w + 14

    def _paint_token(self, cv: Canvas, snap: Snapshot) -> None:
        holder = snap.gil_holder
        if not snap.gil_enabled or holder is None or holder.id not in self._token_anchor:
            self._token_to = None
            return
        target = self._token_anchor[holder.id]
        self._token_to = target
        pos = target
        progress = self._token_progress
        if self._token_from is not None and self._token_anim.state() == QVariantAnimation.State.Running:
            pos = self._token_from + (target - self._token_from) * progress
        cv.gil_coin(pos, 13.0, 1.5, 7.5)
