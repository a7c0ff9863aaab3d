"""The metrics of a run, as a strip of tiles, and of several runs, as a table with the differences highlighted.

Both only format :class:`~threadloom.model.RunMetrics`; nothing is measured here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

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

from ..model import STATES, Latency, RunMetrics, Trace
from .palette import STATE_DESCRIPTIONS, state_color, theme

_READY, _QUEUED = STATES.index("ready"), STATES.index("queued")


def fmt_ms(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    if value >= 10_000:
        return f"{value / 1000:,.2f} s"
    if value >= 100:
        return f"{value:,.0f} ms"
    if value >= 1:
        return f"{value:,.1f} ms"
    return f"{value:.2f} ms"


def _fmt_int(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _fmt_mb(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f} MB"


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
            f"{s}: {fmt_ms(v)} ({v / total:.0%}) - {STATE_DESCRIPTIONS[s]}"
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
            text = f"{state} {fmt_ms(value)}"
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
        done_mask = (trace.finished >= 0) & (trace.submitted >= 0)
        done = int(done_mask.sum())
        rate = len(trace) / elapsed_s if elapsed_s > 0 else 0.0
        self.makespan.set(fmt_ms(trace.end_ns / 1e6), f"so far · {done} of {len(trace.tasks)} tasks done")
        if done:
            lat = Latency.of((trace.finished - trace.submitted)[done_mask])
            self.latency.set(fmt_ms(lat.p50), f"p95 {fmt_ms(lat.p95)} · p99 {fmt_ms(lat.p99)} (done so far)")
        seg = trace.segments()
        length = seg.end - seg.start
        ready = float(length[seg.state == _READY].sum()) / 1e6
        queued = float(length[seg.state == _QUEUED].sum()) / 1e6
        self.waiting.set(fmt_ms(ready), f"in a pool's queue: {fmt_ms(queued)}")
        for tile in (self.cpu, self.memory, self.switches):
            tile.set("…", "when the run ends")
        self.switches.set("…", f"{len(trace):,} segments so far ({rate:,.0f}/s)")

    def show_metrics(self, m: RunMetrics) -> None:
        self.metrics = m
        self.makespan.set(fmt_ms(m.makespan_ms), "complete" if m.complete else "incomplete: stopped or failed")
        lat = m.latency_ms
        self.latency.set(fmt_ms(lat.p50), f"p95 {fmt_ms(lat.p95)} · p99 {fmt_ms(lat.p99)}")
        self.waiting.set(fmt_ms(m.ready_ms), f"in a pool's queue: {fmt_ms(m.queued_ms)}")
        self.cpu.set(f"{m.cpu_utilization:.0%}", f"of {m.cpu_count} CPUs")
        self.memory.set(_fmt_mb(m.peak_rss_mb), f"{_fmt_int(m.peak_threads)} threads at most")
        slice_ms = m.median_running_slice_ms
        self.switches.set(
            _fmt_int(m.context_switches),
            f"median slice {fmt_ms(slice_ms)}" if slice_ms is not None else "voluntary + involuntary",
        )
        self.states.set_state_ms(m.state_ms)


@dataclass(frozen=True)
class _Row:
    name: str
    value: Callable[[RunMetrics], float | str | None]
    fmt: Callable[[float | None], str]
    better: int  # -1: lower is better, +1: higher is better, 0: a setting (highlighted when it differs)
    tooltip: str
    floor: float = 0.0  # differences smaller than this are noise, whatever the ratio


def _num(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


_ROWS: tuple[_Row, ...] = (
    _Row("switch interval", lambda m: m.switch_interval_ms, lambda v: f"{v:g} ms", 0, "sys.setswitchinterval"),
    _Row("pool size", lambda m: m.pool_size, lambda v: "-" if v is None else str(v), 0, "workers in the pool"),
    _Row(
        "interpreter",
        lambda m: (
            f"{m.interpreter.get('implementation', '?')} {m.interpreter.get('version', '?')}"
            + ("" if m.gil_enabled else " (no GIL)")
        ),
        str,
        0,
        "the Python that ran the workload",
    ),
    _Row("makespan", lambda m: m.makespan_ms, fmt_ms, -1, "first submission to last completion", 1.0),
    _Row("latency p50", lambda m: m.latency_ms.p50, fmt_ms, -1, "median task latency", 1.0),
    _Row("latency p95", lambda m: m.latency_ms.p95, fmt_ms, -1, "95th percentile task latency", 1.0),
    _Row("latency p99", lambda m: m.latency_ms.p99, fmt_ms, -1, "99th percentile task latency", 1.0),
    _Row(
        "ready, waiting to run",
        lambda m: m.ready_ms,
        fmt_ms,
        -1,
        "time ready but not running (waiting for the GIL, the loop or a CPU), over all tasks",
        1.0,
    ),
    _Row("waiting in a queue", lambda m: m.queued_ms, fmt_ms, -1, "time submitted but not yet started", 1.0),
    _Row(
        "CPU utilization",
        lambda m: m.cpu_utilization,
        lambda v: "-" if v is None else f"{v:.0%}",
        +1,
        "running time over makespan x CPUs",
        0.01,
    ),
    _Row(
        "median running slice",
        lambda m: m.median_running_slice_ms,
        fmt_ms,
        0,
        "how long a CPU-bound thread keeps the GIL at a time",
    ),
    _Row("peak memory", lambda m: m.peak_rss_mb, _fmt_mb, -1, "largest resident memory", 1.0),
    _Row("peak threads", lambda m: m.peak_threads, _fmt_int, 0, "largest number of threads"),
    _Row("context switches", lambda m: m.context_switches, _fmt_int, -1, "OS context switches of the probe"),
)


#: Runs closer than this (relative) are not called better or worse: timings on a busy machine wobble.
SIGNIFICANT = 0.05


def _differ(low: float, high: float, floor: float = 0.0) -> bool:
    if high - low <= floor:
        return False
    return low <= 0 or (high - low) / abs(low) >= SIGNIFICANT


class CompareTable(QTableWidget):
    """Runs side by side, one column each; the best value of a row is green, the worst red, with the ratio.

    Values within :data:`SIGNIFICANT` of each other are left plain.
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

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        self.set_runs(self._metrics, self._labels)

    def set_runs(self, metrics: list[RunMetrics], labels: list[str]) -> None:
        self._metrics, self._labels = list(metrics), list(labels)
        self.clear()
        self.setColumnCount(len(metrics))
        self.setRowCount(len(_ROWS))
        self.setHorizontalHeaderLabels(labels)
        self.setVerticalHeaderLabels([row.name for row in _ROWS])
        good = QColor("#1FBF8F" if self._dark else "#009E73")
        bad = QColor("#F07A2A" if self._dark else "#D55E00")
        good.setAlpha(70)
        bad.setAlpha(70)
        for r, row in enumerate(_ROWS):
            self.verticalHeaderItem(r).setToolTip(row.tooltip)
            raw = [row.value(m) for m in metrics]
            nums = [_num(v) if isinstance(v, (int, float)) else None for v in raw]
            best = worst = None
            valid = [v for v in nums if v is not None]
            shown = {row.fmt(v) for v in valid}
            if row.better and len(valid) >= 2 and len(shown) > 1 and _differ(min(valid), max(valid), row.floor):
                best = max(valid) if row.better > 0 else min(valid)
                worst = min(valid) if row.better > 0 else max(valid)
            differs = row.better == 0 and len({str(v) for v in raw}) > 1
            for c, value in enumerate(raw):
                text = value if isinstance(value, str) else row.fmt(value)
                num = nums[c]
                if worst is not None and num == worst and best:
                    ratio = (worst / best) if row.better < 0 else (best / worst if worst else math.inf)
                    text += f"  (×{ratio:.1f})" if math.isfinite(ratio) else ""
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                font = item.font()
                if best is not None and num == best:
                    item.setBackground(QBrush(good))
                    font.setBold(True)
                elif worst is not None and num == worst:
                    item.setBackground(QBrush(bad))
                if differs:
                    font.setBold(True)
                item.setFont(font)
                self.setItem(r, c, item)

    def cell_text(self, row_name: str, column: int) -> str:
        names = [row.name for row in _ROWS]
        item = self.item(names.index(row_name), column)
        return item.text() if item else ""

    def highlighted_best(self, row_name: str) -> int | None:
        """Column of the row's best run (``None``: no difference), for tests and exporters."""
        names = [row.name for row in _ROWS]
        r = names.index(row_name)
        for c in range(self.columnCount()):
            item = self.item(r, c)
            if item is not None and item.font().bold() and item.background().style() != Qt.BrushStyle.NoBrush:
                return c
        return None
