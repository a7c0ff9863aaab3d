"""The cost page: what a waiting thread, asyncio Task and process cost, against N, and the price of a switch.

It runs :class:`~threadloom.engine.cost.CostSession` on qasync's loop (the
measuring happens in a subprocess under the chosen interpreter, so the app's
own memory does not count) and draws what :mod:`threadloom.viewmodel.cost` derives.
"""

from __future__ import annotations

import asyncio
import dataclasses

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..engine.cost import CostRequest, CostSession
from ..errors import ThreadloomError
from ..model.cost import UNITS, CostReport
from ..viewmodel.cost import UNIT_NAMES, headline, switch_rows, unit_series
from .palette import theme
from .sweep_page import CURVE_COLORS

#: The app's quick measurement: the same shape as the full one, in a few seconds.
QUICK = CostRequest(None, (1, 10, 100, 1000), (1, 10, 100, 1000, 10000), (1, 2, 4), 0.1)


class CostPage(QWidget):
    """Measure, then plot memory and start time per unit against N (log-log) and list the switches."""

    finished = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Threadloom - What a unit costs")
        self.report: CostReport | None = None
        self.session: CostSession | None = None
        self._task: asyncio.Task | None = None
        self._dark = False
        self.interpreter = QLineEdit(self)
        self.interpreter.setPlaceholderText("the interpreter Threadloom runs on")
        self.interpreter.setToolTip("Python to measure: a path or a name on PATH")
        self.quick = QCheckBox("quick (smaller N)", self)
        self.quick.setToolTip("Threads to 1,000, Tasks to 10,000, processes to 4, short switch timings")
        self.measure_button = QPushButton("Measure", self)
        self.measure_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar(self)
        self.status = QLabel("Measures in a subprocess: the app's own memory does not count.", self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.headline = QLabel("", self)
        self.headline.setWordWrap(True)
        self.headline.setTextFormat(Qt.TextFormat.PlainText)
        font = QFont(self.headline.font())
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.headline.setFont(font)
        self.memory_plot = self._plot("resident memory per unit (KiB)")
        self.start_plot = self._plot("time to start one unit (µs)")
        self.switches = QTableWidget(0, 3, self)
        self.switches.setHorizontalHeaderLabels(["hand-off", "per hand-off", "how"])
        self.switches.verticalHeader().setVisible(False)
        self.switches.horizontalHeader().setStretchLastSection(True)
        self.switches.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.switches.setMaximumHeight(200)

        top = QHBoxLayout()
        top.addWidget(QLabel("Interpreter", self))
        top.addWidget(self.interpreter, 1)
        top.addWidget(self.quick)
        top.addWidget(self.measure_button)
        top.addWidget(self.cancel_button)
        plots = QHBoxLayout()
        plots.addWidget(self.memory_plot, 1)
        plots.addWidget(self.start_plot, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.headline)
        layout.addLayout(plots, 1)
        layout.addWidget(self.switches)
        self.show_report(None)

    def _plot(self, title: str) -> pg.PlotWidget:
        plot = pg.PlotWidget(self)
        th = theme(False)
        plot.setBackground(th.background)
        for name in ("left", "bottom"):
            plot.getAxis(name).setPen(pg.mkPen(th.muted))
            plot.getAxis(name).setTextPen(pg.mkPen(th.foreground))
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.addLegend(offset=(-10, 10), labelTextSize="10pt")
        plot.setTitle(title, size="12pt", color=th.foreground)
        plot.plotItem.legend.setLabelTextColor(th.foreground)
        for name in ("left", "bottom"):
            plot.getAxis(name).setLogMode(True)
        plot.setLabel("bottom", "N units waiting at once (log scale)", **{"font-size": "11pt"})
        return plot

    # -- running -------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.session is not None

    def request(self) -> CostRequest:
        base = QUICK if self.quick.isChecked() else CostRequest()
        return dataclasses.replace(base, interpreter=self.interpreter.text().strip() or None)

    def start(self) -> None:
        if not self.running:
            self._task = asyncio.ensure_future(self.measure())

    async def measure(self, request: CostRequest | None = None) -> CostReport | None:
        if self.running:
            return None
        request = request or self.request()
        total = sum(
            len(c or d)
            for c, d in (
                (request.thread_counts, (1, 10, 100, 1000, 3000, 10000)),
                (request.coroutine_counts, (1, 10, 100, 1000, 10000, 100000)),
                (request.process_counts, (1, 2, 4, 8, 16, 32)),
            )
        ) + len(request.switches or (1,) * 6)
        self.progress.setRange(0, total)
        self.progress.setValue(0)
        self.session = session = CostSession(request, self._on_record)
        self._set_running(True)
        self.status.setText(f"Measuring under {request.interpreter_label}…")
        try:
            report = await session.run()
        except ThreadloomError as exc:
            report = session.report
            self.status.setText(f"The measurement failed: {exc}")
        else:
            refused = report.refusals()
            note = " ".join(f"{UNIT_NAMES[p.unit]} x {p.n:,}: {p.refused}." for p in refused)
            done = "Done" if report.complete else "Cancelled; the points measured so far are kept"
            self.status.setText(f"{done}. {note}".strip())
        finally:
            self.session = None
            self._set_running(False)
        self.show_report(report)
        self.finished.emit(report)
        return report

    def cancel(self) -> None:
        if self.session is not None:
            self.session.stop()

    def _set_running(self, running: bool) -> None:
        self.measure_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.interpreter.setEnabled(not running)
        self.quick.setEnabled(not running)

    def _on_record(self, record: dict, report: CostReport) -> None:
        kind = record.get("type")
        if kind == "progress":
            what = (
                f"{record['n']:,} {UNIT_NAMES.get(record['unit'], record['unit'])}s"
                if "unit" in record
                else (f"the {record.get('switch')} hand-off")
            )
            self.status.setText(f"Measuring {what}…")
        elif kind in ("point", "switch"):
            self.progress.setValue(self.progress.value() + 1)
            self.show_report(report)

    # -- drawing -------------------------------------------------------------------------
    def show_report(self, report: CostReport | None) -> None:
        self.report = report
        for plot in (self.memory_plot, self.start_plot):
            plot.clear()
            if plot.plotItem.legend is not None:
                plot.plotItem.legend.clear()
        self.switches.setRowCount(0)
        if report is None:
            self.headline.setText(
                "Press Measure: N threads, N asyncio Tasks and N processes all wait, for N up to 10,000."
            )
            return
        bg = theme(self._dark).background
        for i, unit in enumerate(UNITS):
            series = unit_series(report, unit)
            if not len(series.n):
                continue
            color = QColor(CURVE_COLORS[i])
            x = np.log10(series.n)
            for plot, y in ((self.memory_plot, series.rss_kib), (self.start_plot, series.start_us)):
                ok = np.isfinite(y) & (y > 0)
                plot.plot(
                    x[ok],
                    np.log10(y[ok]),
                    pen=pg.mkPen(color, width=2.5),
                    symbol="o",
                    symbolSize=9,
                    symbolBrush=color,
                    symbolPen=pg.mkPen(bg),
                    name=UNIT_NAMES[unit],
                )
        self.headline.setText(headline(report))
        rows = switch_rows(report)
        self.switches.setRowCount(len(rows))
        for r, (name, what, us) in enumerate(rows):
            for c, text in enumerate((name, us, what)):
                item = QTableWidgetItem(text)
                if c == 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.switches.setItem(r, c, item)
        self.switches.resizeColumnToContents(0)
        self.switches.resizeColumnToContents(1)

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        for plot in (self.memory_plot, self.start_plot):
            plot.setBackground(theme(dark).background)
        self.show_report(self.report)

    def closeEvent(self, event) -> None:
        self.cancel()
        super().closeEvent(event)
