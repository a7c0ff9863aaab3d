"""The metrics of a run, as a strip of tiles, and of several runs, as a table with the differences highlighted.

Both only format :class:`~threadloom.model.RunMetrics`; nothing is measured here.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..model import STATES, RunMetrics, Trace
from ..viewmodel.compare import BEST, ROW_NAMES, WORST, Comparison, compare_runs
from ..viewmodel.live import live_metrics
from ..viewmodel.text import STATE_DESCRIPTIONS, count, megabytes, metric_ms
from .palette import state_color, theme


class _Tile(QFrame):
    """One metric: a small caption above a large value, with a detail line."""

    def __init__(self, caption: str, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("summaryTile")
        self.setToolTip(tooltip)
        self.caption = QLabel(caption.upper(), self)
        self.caption.setObjectName("tileCaption")
        self.value = QLabel("-", self)
        self.value.setObjectName("tileValue")
        self.detail = QLabel("", self)
        self.detail.setObjectName("tileDetail")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(1)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)
        layout.addWidget(self.detail)
        layout.addStretch(1)

    def set(self, value: str, detail: str = "") -> None:
        self.value.setText(value)
        self.detail.setText(detail)


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
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(320, 70)

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
        f.setBold(False)
        f.setPointSizeF(8.5)
        p.setFont(f)
        x, y = r.left(), bar.bottom() + 6
        fm = p.fontMetrics()
        for state, value in shown:
            text = f"{state} {metric_ms(value)}"
            w = 14 + fm.horizontalAdvance(text) + 12
            if x + w > r.right() and x > r.left():
                x, y = r.left(), y + 15
            p.setBrush(state_color(state, self._dark))
            p.setPen(Qt.PenStyle.NoPen)
            p.drawRoundedRect(QRectF(x, y + 3, 9, 9), 2, 2)
            p.setPen(QColor(th.foreground))
            p.drawText(QRectF(x + 13, y, w, 15), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
            x += w
        p.end()


class SummaryStrip(QWidget):
    """The summary of one run: makespan, latency, waits, CPU, memory, threads, switches, time per state."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
        self.memory = _Tile("Peak memory / threads", "Largest resident memory and thread count the probe reached.")
        self.switches = _Tile(
            "Context switches", "Voluntary + involuntary OS context switches of the probe process (getrusage)."
        )
        self.states = StateBar(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(6)
        for tile in (self.makespan, self.latency, self.waiting, self.cpu, self.memory, self.switches):
            layout.addWidget(tile)
        layout.addWidget(self.states, 2)
        self.clear()

    def set_dark(self, dark: bool) -> None:
        self.states.set_dark(dark)

    def tiles(self) -> list[_Tile]:
        return [self.makespan, self.latency, self.waiting, self.cpu, self.memory, self.switches]

    def clear(self) -> None:
        self.metrics = None
        for tile in self.tiles():
            tile.set("-", "")
        self.makespan.set("-", "run a scenario: Ctrl+R")
        self.states.set_state_ms({})

    def show_live(self, trace: Trace, elapsed_s: float) -> None:
        """Cheap figures while a run is live (vectorised, a few ms); the full metrics come when it ends."""
        live = live_metrics(trace, elapsed_s)
        self.makespan.set(metric_ms(live.elapsed_ms), f"so far · {live.tasks_done} of {live.task_count} tasks done")
        lat = live.latency_ms
        if lat is not None:
            self.latency.set(metric_ms(lat.p50), f"p95 {metric_ms(lat.p95)} · p99 {metric_ms(lat.p99)} (done so far)")
        self.waiting.set(metric_ms(live.ready_ms), f"in a pool's queue: {metric_ms(live.queued_ms)}")
        for tile in (self.cpu, self.memory, self.switches):
            tile.set("…", "when the run ends")
        self.switches.set("…", f"{count(live.segments)} segments so far ({live.segments_per_s:,.0f}/s)")

    def show_metrics(self, m: RunMetrics) -> None:
        self.metrics = m
        self.makespan.set(metric_ms(m.makespan_ms), "complete" if m.complete else "incomplete: stopped or failed")
        lat = m.latency_ms
        self.latency.set(metric_ms(lat.p50), f"p95 {metric_ms(lat.p95)} · p99 {metric_ms(lat.p99)}")
        self.waiting.set(metric_ms(m.ready_ms), f"in a pool's queue: {metric_ms(m.queued_ms)}")
        self.cpu.set(f"{m.cpu_utilization:.0%}", f"of {m.cpu_count} CPUs")
        self.memory.set(megabytes(m.peak_rss_mb), f"{count(m.peak_threads)} threads at most")
        slice_ms = m.median_running_slice_ms
        self.switches.set(
            count(m.context_switches),
            f"median slice {metric_ms(slice_ms)}" if slice_ms is not None else "voluntary + involuntary",
        )
        self.states.set_state_ms(m.state_ms)


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
        self.verticalHeader().setDefaultSectionSize(21)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
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

    def comparison(self) -> Comparison:
        """The rows on show, as :func:`~threadloom.viewmodel.compare.compare_runs` made them."""
        return self._comparison

    def cell_text(self, row_name: str, column: int) -> str:
        item = self.item(ROW_NAMES.index(row_name), column)
        return item.text() if item else ""

    def highlighted_best(self, row_name: str) -> int | None:
        """Column of the row's best run (``None``: no difference), for tests and exporters."""
        return self._comparison.row(row_name).best()
