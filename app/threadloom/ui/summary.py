"""The metrics of a run, as a strip of tiles, and of several runs, as a table with the differences highlighted.

Both only format :class:`~threadloom.model.RunMetrics`; nothing is measured here.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..model import DISTURBED_AT, STATES, RunMetrics, Trace
from ..viewmodel.compare import BEST, ROW_NAMES, WORST, Comparison, compare_runs
from ..viewmodel.live import live_metrics
from ..viewmodel.text import (
    STATE_DESCRIPTIONS,
    count,
    disturbance_warning,
    megabytes,
    memory_added,
    metric_ms,
    op_latency,
)
from .elided import ElidedLabel
from .palette import state_color, theme

#: The detail line of a tile that warns (a busy machine): the palette's orange, readable on light and dark.
_WARNING_STYLE = "color: #E07020; font-weight: bold;"


#: What each tile reserves room for while a run is live, by caption: its widest value and detail line at
#: the figures of a usual run. Live, a tile is that wide whatever it shows, so the strip does not jitter as
#: the figures change many times a second (a longer text ends in "…", whole in its tooltip). A finished
#: run's tiles take the width of what they say: the strip lays out once when the run ends.
_VALUE_SAMPLES = ("8,888 ms", "888.88 s")
_LIVE_DETAILS: dict[str, tuple[str, ...]] = {
    "Makespan": ("888 of 888 done so far", "run a scenario: Ctrl+R"),
    "Latency p50 / p95 / p99": ("p95 8,888 ms · p99 8,888 ms",),
    "Per op p50": ("when the run ends",),
    "Ready, waiting to run": ("in a pool's queue: 8,888 ms",),
    "CPU utilization": ("when the run ends",),
    "Memory added / threads": ("when the run ends",),
    "Context switches": ("88,888 segments, 88,888/s",),
}


class _Tile(QFrame):
    """One metric: a small caption above a large value, with a detail line; live, at a width that does not change."""

    _MARGIN = 11

    def __init__(self, caption: str, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("summaryTile")
        self.setToolTip(tooltip)
        self._live_details = _LIVE_DETAILS.get(caption, ())
        self._reserving = True  # live (or about to be): the width reserved for live figures, not the text's
        self._width_key: tuple = ()
        self._width_px = 0
        self.caption = QLabel(caption.upper(), self)
        self.caption.setObjectName("tileCaption")
        # Elided labels: a text wider than the room reserved is cut, rather than widening the tile.
        self.value = ElidedLabel(self, always_tooltip=False)
        self.value.setObjectName("tileValue")
        self.value.setText("-")
        self.detail = ElidedLabel(self, always_tooltip=False)
        self.detail.setObjectName("tileDetail")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(self._MARGIN, 8, self._MARGIN, 8)
        layout.setSpacing(1)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)
        layout.addWidget(self.detail)
        layout.addStretch(1)

    def set(self, value: str, detail: str = "", warn: bool = False) -> None:
        self.value.setText(value)
        self.detail.setText(detail)
        style = _WARNING_STYLE if warn else ""
        if self.detail.styleSheet() != style:  # a style sheet change re-polishes the label: only when it changes
            self.detail.setStyleSheet(style)

    def reserve(self, reserving: bool) -> None:
        """Live: keep the width reserved for live figures. Finished: be as wide as the texts shown."""
        if reserving != self._reserving:
            self._reserving = reserving
            self.updateGeometry()

    def _width(self) -> int:
        for label in (self.caption, self.value, self.detail):
            label.ensurePolished()  # the fonts come from the style sheet
        # Asked at every live update (each new text asks the strip to flow again): measure only when
        # what the width depends on changed.
        key = (
            self._reserving,
            self.caption.font().key(),
            self.value.font().key(),
            self.detail.font().key(),
            self.caption.text(),
            "" if self._reserving else self.value.text(),
            "" if self._reserving else self.detail.text(),
        )
        if key != self._width_key:
            self._width_key, self._width_px = key, self._measure_width()
        return self._width_px

    def _measure_width(self) -> int:
        value_fm, detail_fm = self.value.fontMetrics(), self.detail.fontMetrics()
        widths = [self.caption.sizeHint().width()]
        widths += [value_fm.horizontalAdvance(text) for text in _VALUE_SAMPLES]
        if self._reserving:
            widths += [detail_fm.horizontalAdvance(text) for text in self._live_details]
        else:
            widths += [value_fm.horizontalAdvance(self.value.text()), detail_fm.horizontalAdvance(self.detail.text())]
        # A few pixels of slack: eliding measures a text a little wider than its advance, and the frame takes one.
        return max(widths) + 2 * self._MARGIN + 2 * self.frameWidth() + 6

    def sizeHint(self) -> QSize:
        return QSize(self._width(), super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self._width(), super().minimumSizeHint().height())


class StateBar(QWidget):
    """Time spent in each state, as one stacked bar with its legend underneath."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state_ms: dict[str, float] = {}
        self._dark = False
        self.setMinimumWidth(260)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        self.update()

    def set_state_ms(self, state_ms: dict[str, float]) -> None:
        self._state_ms = {s: state_ms.get(s, 0.0) for s in STATES if s != "idle"}
        total = sum(self._state_ms.values())
        lines = [
            f"{s}: {metric_ms(v)} ({v / total:.0%}) - {STATE_DESCRIPTIONS[s]}"
            for s, v in self._state_ms.items()
            if total > 0
        ]
        self.setToolTip("Time the tasks spent in each state, added over all tasks:\n" + "\n".join(lines))
        self.updateGeometry()  # the legend may take another line
        self.update()

    def _legend_font(self) -> QFont:
        f = QFont(self.font())
        f.setPointSizeF(8.5)
        return f

    def _legend_entries(self, width: float) -> list[tuple[str, str, float, float, int]]:
        """The legend under the bar at ``width``: ``(state, text, x, width, line)`` per state shown, flowed
        onto as many lines as it needs (what paintEvent draws and sizeHint makes room for)."""
        fm = QFontMetrics(self._legend_font())
        left, right = 12.0, width - 12
        x, line = left, 0
        entries = []
        for state, value in self._state_ms.items():
            if value <= 0:
                continue
            text = f"{state} {metric_ms(value)}"
            w = 14 + fm.horizontalAdvance(text) + 12
            if x + w > right and x > left:
                x, line = left, line + 1
            entries.append((state, text, x, w, line))
            x += w
        return entries

    def _legend_lines(self, width: float) -> int:
        """How many lines the legend under the bar takes at ``width``."""
        return 1 + max((entry[-1] for entry in self._legend_entries(width)), default=0)

    def sizeHint(self) -> QSize:
        # As tall as the legend needs at the width the bar has: a second line is not cut off.
        extra = 15 * (self._legend_lines(self.width()) - 1) if self.width() > 0 else 0
        return QSize(320, 70 + extra)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._legend_lines(event.size().width()) != self._legend_lines(event.oldSize().width()):
            self.updateGeometry()  # the strip lays out again, with room for the legend's lines

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        th = theme(self._dark)
        r = QRectF(self.rect()).adjusted(12, 8, -12, -6)
        f = QFont(self.font())
        f.setPointSizeF(8)
        f.setBold(True)
        p.setFont(f)
        p.setPen(QColor(th.muted))
        p.drawText(QRectF(r.left(), r.top(), r.width(), 14), Qt.AlignmentFlag.AlignLeft, "TIME IN EACH STATE")
        bar = QRectF(r.left(), r.top() + 18, r.width(), 14)
        total = sum(self._state_ms.values())
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(th.grid))
        p.drawRoundedRect(bar, 3, 3)
        x = bar.left()
        shown = [(s, v) for s, v in self._state_ms.items() if v > 0]
        for state, value in shown if total > 0 else []:
            w = bar.width() * value / total
            p.fillRect(QRectF(x, bar.top(), max(w, 0.5), bar.height()), state_color(state, self._dark))
            x += w
        p.setFont(self._legend_font())
        for state, text, x, w, line in self._legend_entries(self.width()):
            y = bar.bottom() + 6 + 15 * line
            p.setBrush(state_color(state, self._dark))
            p.setPen(Qt.PenStyle.NoPen)
            p.drawRoundedRect(QRectF(x, y + 3, 9, 9), 2, 2)
            p.setPen(QColor(th.foreground))
            p.drawText(QRectF(x + 13, y, w, 15), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
        p.end()


class SummaryStrip(QWidget):
    """The summary of one run: makespan, latency, waits, CPU, memory, threads, switches, time per state."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Its own background, so that a live update of a figure does not repaint the dock and the
        # main window beneath it first.
        self.setAutoFillBackground(True)
        self.metrics: RunMetrics | None = None
        self.makespan = _Tile("Makespan", "Wall-clock time from the first task's submission to the last one's end.")
        self.latency = _Tile(
            "Latency p50 / p95 / p99",
            "Per task: from submission to completion. p95 = 95% of the tasks took at most this.",
        )
        self.waiting = _Tile(
            "Ready, waiting to run",
            "Time tasks could have run but waited, added over all tasks: for the GIL (threads), "
            "for their turn on the event loop (coroutines) or for a CPU (processes). The pool-queue "
            "figure is time spent submitted but not yet picked up by a worker.",
        )
        self.cpu = _Tile("CPU utilization", "Time spent running (Python or native code) over makespan x CPUs.")
        self.ops = _Tile(
            "Per op p50",
            "Latency of each execution of a step (each round trip of a net step), from the moment it could start "
            "to the moment its code resumed, for the step run most often.",
        )
        self.memory = _Tile(
            "Memory added / threads",
            "What the tasks added to the probe's own resident memory (its peak minus its size just before the "
            "clock started), and the most threads it had.",
        )
        self.switches = _Tile(
            "Context switches", "Voluntary + involuntary OS context switches of the probe process (getrusage)."
        )
        self.states = StateBar(self)
        # No layout: the tiles flow (see _flow), one row when the window is wide, more when it is not.
        for item in self._flow_items():
            item.setParent(self)
        self._flow_height = 0
        self._flow_key: tuple = ()
        self.clear()
        self._flow()

    # -- flowing the tiles: one row where they fit, wrapped onto more rows in a narrow window -----
    _MARGIN, _SPACING = 6, 6

    def _flow_items(self) -> list[QWidget]:
        return [*self.tiles(), self.states]

    def _flow(self) -> None:
        m, gap = self._MARGIN, self._SPACING
        items = self._flow_items()
        # Before the first layout the strip has no width of its own yet: lay it out as one row, or its
        # tall many-row minimum would make the window grow to fit it.
        width = (
            self.width() if self.testAttribute(Qt.WidgetAttribute.WA_WState_Visible) else self._one_row_width()
        ) - 2 * m
        wanted = {w: max(w.sizeHint().width(), w.minimumSizeHint().width(), w.minimumWidth()) for w in items}
        heights = [(w.sizeHint().height(), w.minimumSizeHint().height()) for w in items]
        key = (width, list(wanted.values()), heights)
        if key == self._flow_key:
            return  # a new text of the same size (every live update): the tiles stay where they are
        self._flow_key = key
        rows: list[list[QWidget]] = [[]]
        used = 0
        for item in items:
            need = wanted[item] + (gap if rows[-1] else 0)
            if rows[-1] and used + need > width:
                rows.append([])
                used, need = 0, wanted[item]
            rows[-1].append(item)
            used += need
        y = 4
        for row in rows:
            height = max(max(w.sizeHint().height(), w.minimumSizeHint().height()) for w in row)
            extra = width - sum(wanted[w] for w in row) - gap * (len(row) - 1)
            # The state bar takes the room left over in its row; a row of tiles only shares it out.
            grow = [w for w in row if w is self.states] or row
            x = m
            for item in row:
                w = wanted[item] + (extra // len(grow) if item in grow and extra > 0 else 0)
                if item is row[-1]:
                    w = max(wanted[item], m + width - x)
                item.setGeometry(QRect(x, y, w, height))
                x += w + gap
            y += height + gap
        height = y - gap + 4
        if height != self._flow_height:
            self._flow_height = height
            self.setMinimumHeight(height)
            self.updateGeometry()

    def minimumSizeHint(self) -> QSize:
        narrowest = max(max(w.minimumSizeHint().width(), w.minimumWidth()) for w in self._flow_items())
        return QSize(narrowest + 2 * self._MARGIN, self._flow_height)

    def sizeHint(self) -> QSize:
        return QSize(self._one_row_width(), self._flow_height)

    def _one_row_width(self) -> int:
        items = self._flow_items()
        return sum(w.sizeHint().width() for w in items) + self._SPACING * (len(items) - 1) + 2 * self._MARGIN

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._flow()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:  # a tile's text changed its size
            self._flow()
        return super().event(event)

    def set_dark(self, dark: bool) -> None:
        self.states.set_dark(dark)

    def tiles(self) -> list[_Tile]:
        return [self.makespan, self.latency, self.ops, self.waiting, self.cpu, self.memory, self.switches]

    def clear(self) -> None:
        self.metrics = None
        for tile in self.tiles():
            tile.reserve(True)  # a run starts: the widths its live figures take, from the first frame on
            tile.set("-", "")
        self.makespan.set("-", "run a scenario: Ctrl+R")
        self.states.set_state_ms({})

    def show_live(self, trace: Trace, elapsed_s: float) -> None:
        """Cheap figures while a run is live (vectorised, a few ms); the full metrics come when it ends."""
        live = live_metrics(trace, elapsed_s)
        # Short lines: each fits the width its tile keeps while live (see _LIVE_DETAILS).
        self.makespan.set(metric_ms(live.elapsed_ms), f"{live.tasks_done} of {live.task_count} done so far")
        lat = live.latency_ms
        if lat is not None:
            self.latency.set(metric_ms(lat.p50), f"p95 {metric_ms(lat.p95)} · p99 {metric_ms(lat.p99)}")
        self.waiting.set(metric_ms(live.ready_ms), f"in a pool's queue: {metric_ms(live.queued_ms)}")
        for tile in (self.ops, self.cpu, self.memory, self.switches):
            tile.set("…", "when the run ends")
        self.switches.set("…", f"{count(live.segments)} segments, {live.segments_per_s:,.0f}/s")

    def show_metrics(self, m: RunMetrics) -> None:
        self.metrics = m
        for tile in self.tiles():
            tile.reserve(False)
        self.makespan.set(metric_ms(m.makespan_ms), "complete" if m.complete else "incomplete: stopped or failed")
        lat = m.latency_ms
        self.latency.set(metric_ms(lat.p50), f"p95 {metric_ms(lat.p95)} · p99 {metric_ms(lat.p99)}")
        self.waiting.set(metric_ms(m.ready_ms), f"in a pool's queue: {metric_ms(m.queued_ms)}")
        self._show_ops(m)
        warning = disturbance_warning(m.other_cpu_utilization, DISTURBED_AT)
        others = "" if m.other_cpu_utilization is None else f", others {m.other_cpu_utilization:.0%}"
        cpus = f"of {m.cpu_count} CPUs" if not others else f"of {m.cpu_count}{others}"
        self.cpu.set(f"{m.cpu_utilization:.0%}", cpus + (" ⚠" if warning else ""), warning != "")
        self.cpu.setToolTip(
            "Time spent running (Python or native code) over makespan x CPUs. 'others': the share of all CPUs "
            "other programs used during the run."
            + (f"\n\n{warning[0].upper()}{warning[1:]}: the timings may be inflated." if warning else "")
        )
        self._show_memory(m)
        slice_ms = m.median_running_slice_ms
        self.switches.set(
            count(m.context_switches),
            f"median slice {metric_ms(slice_ms)}" if slice_ms is not None else "voluntary + involuntary",
        )
        self.states.set_state_ms(m.state_ms)

    def _show_ops(self, m: RunMetrics) -> None:
        found = m.main_op()
        lines = [
            f"{group} {kind} ×{op.count:,}: {op_latency(op)}"
            for group, g in m.groups.items()
            for kind, op in g.op_latency_ms.items()
        ]
        self.ops.setToolTip(
            "Latency of each execution of a step (each round trip of a net step), from the moment it could start "
            "to the moment its code resumed.\n" + "\n".join(lines)
        )
        if found is None:
            self.ops.set("-", "")
            return
        _group, kind, op = found
        # The group's name is the user's and may be long: it is in the tooltip, not in the tile.
        self.ops.set(metric_ms(op.p50), f"{kind} · p99 {metric_ms(op.p99)}")

    def _show_memory(self, m: RunMetrics) -> None:
        threads = f"{count(m.peak_threads)} threads"
        lines = [f"The probe: {memory_added(m.baseline_rss_mb, m.peak_rss_mb)} (peak {megabytes(m.peak_rss_mb)})."]
        lines += [
            f"Process {p.pid}: {memory_added(p.baseline_rss_mb, p.peak_rss_mb)} (peak {megabytes(p.peak_rss_mb)})."
            for p in m.processes
        ]
        self.memory.setToolTip(
            "What the tasks added to the probe's own resident memory (its peak minus its size just before the "
            "clock started), and the most threads it had.\n" + "\n".join(lines)
        )
        added = m.added_rss_mb
        if added is None:
            self.memory.set(megabytes(m.peak_rss_mb), f"peak · {threads}")
            return
        detail = f"on {megabytes(m.baseline_rss_mb)} · {threads}"
        worker_added = [
            p.peak_rss_mb - p.baseline_rss_mb for p in m.processes if None not in (p.peak_rss_mb, p.baseline_rss_mb)
        ]
        if worker_added:
            detail = f"workers +{megabytes(max(0.0, max(worker_added)))} each"
        self.memory.set(f"+{megabytes(added)}", detail)


class CompareTable(QTableWidget):
    """Runs side by side, one column each; the best value of a row is green, the worst red, with the ratio.

    The rows and the rule come from :func:`~threadloom.viewmodel.compare.compare_runs`; this only colours them.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setAlternatingRowColors(False)
        self.setShowGrid(False)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        # Row labels are whole ("latency p95", descenders and all): the header fits its text.
        self.verticalHeader().setTextElideMode(Qt.TextElideMode.ElideNone)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.horizontalHeader().setMinimumSectionSize(110)
        self.setToolTip(
            "Green: the best run for that metric; red: the worst, with how many times worse it is. "
            "Settings that differ between runs are in bold."
        )
        self._dark = False
        self._metrics: list[RunMetrics] = []
        self._labels: list[str] = []
        self._comparison = compare_runs([], [])

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        self.set_runs(self._metrics, self._labels)

    def set_runs(self, metrics: list[RunMetrics], labels: list[str]) -> None:
        self._metrics, self._labels = list(metrics), list(labels)
        self._comparison = compare_runs(metrics, labels)
        self.clear()
        self._fit_rows()
        self.setColumnCount(len(metrics))
        self.setRowCount(len(self._comparison.rows))
        self.setHorizontalHeaderLabels(labels)
        self.setVerticalHeaderLabels([row.name for row in self._comparison.rows])
        good = QColor("#1FBF8F" if self._dark else "#009E73")
        bad = QColor("#F07A2A" if self._dark else "#D55E00")
        good.setAlpha(70)
        bad.setAlpha(70)
        for r, row in enumerate(self._comparison.rows):
            self.verticalHeaderItem(r).setToolTip(row.tooltip)
            for c, cell in enumerate(row.cells):
                item = QTableWidgetItem(cell.text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                font = item.font()
                if cell.mark == BEST:
                    item.setBackground(QBrush(good))
                    font.setBold(True)
                elif cell.mark == WORST:
                    item.setBackground(QBrush(bad))
                if cell.differs:
                    font.setBold(True)
                item.setFont(font)
                self.setItem(r, c, item)
        self.verticalHeader().setMinimumWidth(self._label_width())
        # New runs, a new table: it starts at its first row and column, not where the last one was left.
        self.verticalScrollBar().setValue(0)
        self.horizontalScrollBar().setValue(0)
        self.scrollToTop()

    def _bold_metrics(self) -> QFontMetrics:
        font = QFont(self.verticalHeader().font())
        font.setBold(True)
        return QFontMetrics(font)

    def _fit_rows(self) -> None:
        """Rows as tall as a bold line of text and some air, whatever the font and the screen."""
        self.verticalHeader().setDefaultSectionSize(self._bold_metrics().height() + 8)

    def _label_width(self) -> int:
        fm = self._bold_metrics()
        return max(fm.horizontalAdvance(name) for name in ROW_NAMES) + 24

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange) and hasattr(self, "_comparison"):
            self._fit_rows()
            self.verticalHeader().setMinimumWidth(self._label_width())

    def comparison(self) -> Comparison:
        """The rows on show, as :func:`~threadloom.viewmodel.compare.compare_runs` made them."""
        return self._comparison

    def cell_text(self, row_name: str, column: int) -> str:
        item = self.item(ROW_NAMES.index(row_name), column)
        return item.text() if item else ""

    def highlighted_best(self, row_name: str) -> int | None:
        """Column of the row's best run (``None``: no difference), for tests and exporters."""
        return self._comparison.row(row_name).best()
