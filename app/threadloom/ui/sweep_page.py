"""The sweep page: vary one parameter, run every point through the engine, and plot any metric against it.

It draws what :mod:`threadloom.viewmodel.sweep` derives and runs what
:mod:`threadloom.engine.sweep` plans; it measures nothing itself. The runs go
through the asyncio engine on qasync's loop, so the window stays responsive;
Cancel kills the run in progress at once and keeps the points measured before.
A click on a point emits :attr:`SweepPage.openRun` with that run's trace.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..engine.sweep import PlannedPoint, SweepPlan, SweepRunner
from ..errors import ProbeError, ThreadloomError
from ..model.sweep import Sweep, SweepPoint
from ..model.trace import Trace
from ..probe.models import DEFAULT_MODEL, model_names, spec_of
from ..scenario import Scenario
from ..scenario.sweep import parse_param, parse_values
from ..viewmodel.sweep import curves, log_x, log_y, metric_choices, metric_label, metric_values, progress, summary_line
from .palette import theme

#: Colour of each model's curve, in the order the sweep lists its models (Okabe-Ito, safe for colour blindness).
CURVE_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
SUGGESTED_VALUES = {
    "switch-interval": "0.1,0.5,1,5,20",
    "pool-size": "1,2,4,8",
    "count": "1,2,4,8,16",
    "amount": "1,5,25",
}


class SweepPlot(QWidget):
    """A title, one metric against the parameter (a median line and min-max band per model), a summary line."""

    pointClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None, dark: bool = False, interactive: bool = True) -> None:
        super().__init__(parent)
        self._dark = dark
        # A picture for a file cannot be clicked: it says nothing about clicking.
        self._hint = "   Click a point to open its run." if interactive else ""
        self.title = QLabel(self)
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.plot = pg.PlotWidget(self)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.addLegend(offset=(-10, 10), labelTextSize="11pt")
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.summary)
        self.curves = []
        self._scatters: list[pg.ScatterPlotItem] = []
        self.log_x = self.log_y = False
        self._style()

    def _style(self) -> None:
        th = theme(self._dark)
        self.plot.setBackground(th.background)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen(pg.mkPen(th.muted))
            axis.setTextPen(pg.mkPen(th.foreground))
            f = QFont(axis.font() if hasattr(axis, "font") else QFont())
            f.setPointSize(11)
            axis.setTickFont(f)

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        self._style()

    def show_sweep(
        self, sweep: Sweep | None, metric: str, auto_log: bool = True, logs: tuple[bool, bool] = (False, False)
    ) -> None:
        plot = self.plot
        plot.clear()
        legend = plot.plotItem.legend
        if legend is not None:
            legend.clear()
        self._scatters = []
        self.curves = []
        if sweep is None or not sweep.points:
            self.title.setText("No sweep yet: choose a parameter and its values, then Run sweep.")
            self.summary.setText("")
            return
        self.curves = found = curves(sweep, metric)
        lx, ly = (log_x(sweep), log_y(found)) if auto_log else logs
        self.log_x, self.log_y = lx, ly
        # The data are transformed here (log10) and the axes only label in powers of ten: the
        # scatter points that take clicks have no log mode of their own.
        plot.getAxis("left").setLogMode(ly)
        # The parameter's own values are the ticks (on a log axis pyqtgraph would label 10^0, 10^1 only).
        ticks = [(float(np.log10(v)) if lx else float(v), f"{v:g}") for v in sweep.values]
        plot.getAxis("bottom").setTicks([ticks] if len(ticks) <= 16 else None)
        if legend is not None:
            legend.setLabelTextColor(theme(self._dark).foreground)
        values = metric_values(sweep, metric)
        for c in found:
            color = QColor(CURVE_COLORS[sweep.models.index(c.model) % len(CURVE_COLORS)])
            band = QColor(color)
            band.setAlpha(55)
            x = np.log10(c.x) if lx else c.x

            def tr(y):
                return np.log10(np.maximum(y, 1e-12)) if ly else y

            if sweep.repeat > 1:
                low = pg.PlotDataItem(x, tr(c.low), pen=pg.mkPen(band, width=1))
                high = pg.PlotDataItem(x, tr(c.high), pen=pg.mkPen(band, width=1))
                fill = pg.FillBetweenItem(low, high, brush=pg.mkBrush(band))
                plot.addItem(low)
                plot.addItem(high)
                plot.addItem(fill)
            line = pg.PlotDataItem(x, tr(c.median), pen=pg.mkPen(color, width=2.5), name=c.model)
            plot.addItem(line)
            reps = [c.representative(j, values) for j in range(len(c.x))]
            scatter = pg.ScatterPlotItem(
                x=x,
                y=tr(c.median),
                data=reps,
                size=11,
                brush=pg.mkBrush(color),
                pen=pg.mkPen(theme(self._dark).background, width=1.5),
                hoverable=True,
                hoverSize=15,
                tip=None,
            )
            scatter.sigClicked.connect(self._on_clicked)
            plot.addItem(scatter)
            self._scatters.append(scatter)
        style = {"font-size": "12pt", "color": theme(self._dark).foreground}
        plot.setLabel("bottom", sweep.param_label + ("  (log scale)" if lx else ""), **style)
        plot.setLabel("left", metric_label(metric) + ("  (log scale)" if ly else ""), **style)
        plot.autoRange()
        done = "" if sweep.complete else f" (stopped: {len(sweep.points)} of {sweep.planned} runs)"
        repeats = f", median of {sweep.repeat} runs with their min-max band" if sweep.repeat > 1 else ""
        self.title.setText(f"{sweep.scenario_name}: {metric_label(metric)} against {sweep.param_label}{repeats}{done}")
        self.summary.setText(summary_line(sweep, metric) + self._hint)

    def _on_clicked(self, _item, points, *_) -> None:
        if len(points):
            self.pointClicked.emit(int(points[0].data()))

    def click_point(self, curve: int, index: int) -> None:
        """What a click on the ``index``-th point of curve ``curve`` does (for tests)."""
        scatter = self._scatters[curve]
        self.pointClicked.emit(int(scatter.data["data"][index]))


class SweepPage(QWidget):
    """The sweep page. Signals: ``openRun(trace, label)`` when a point is clicked; ``finished(sweep)``."""

    openRun = Signal(object, str)
    finished = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Threadloom - Sweep")
        self.scenario: Scenario | None = None
        self.sweep: Sweep | None = None
        self.runner: SweepRunner | None = None
        self._task: asyncio.Task | None = None
        self.interpreter: str | None = None

        self.scenario_label = QLabel("No scenario", self)
        self.param = QComboBox(self)
        self.param.setEditable(True)
        self.param.setToolTip("What to vary: switch-interval, pool-size, count:GROUP or amount:GROUP:STEP")
        self.param.currentTextChanged.connect(self._suggest_values)
        self.values = QLineEdit(self)
        self.values.setToolTip("A list (1,2,4,8) or ranges: 1..8, 0.5..5:0.5 (a step), 1..64*2 (times 2)")
        self.model_boxes: dict[str, QCheckBox] = {}
        models_row = QWidget(self)
        ml = QHBoxLayout(models_row)
        ml.setContentsMargins(0, 0, 0, 0)
        for name in model_names():
            box = QCheckBox(name, models_row)
            box.setToolTip(spec_of(name).description)
            self.model_boxes[name] = box
            ml.addWidget(box)
        ml.addStretch(1)
        self.repeat = QSpinBox(self)
        self.repeat.setRange(1, 100)
        self.repeat.setValue(3)
        self.repeat.setToolTip("Runs per point; the plot shows their median and the band from min to max")
        self.run_button = QPushButton("Run sweep", self)
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setEnabled(False)
        self.cancel_button.setToolTip("Stop now; the points measured so far are kept")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.status = QLabel("", self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.metric_box = QComboBox(self)
        self.metric_box.setToolTip("The metric the plot draws against the parameter")
        self.metric_box.currentTextChanged.connect(lambda _t: self.redraw())
        self.auto_log = QCheckBox("log axes where they fit", self)
        self.auto_log.setChecked(True)
        self.auto_log.toggled.connect(lambda _c: self.redraw())
        self.plot = SweepPlot(self)
        self.plot.pointClicked.connect(self._on_point_clicked)

        form = QFormLayout()
        form.addRow("Scenario", self.scenario_label)
        form.addRow("Parameter", self.param)
        form.addRow("Values", self.values)
        form.addRow("Models", models_row)
        form.addRow("Repeats", self.repeat)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)
        plot_row = QHBoxLayout()
        plot_row.addWidget(QLabel("Plot", self))
        plot_row.addWidget(self.metric_box, 1)
        plot_row.addWidget(self.auto_log)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addLayout(plot_row)
        layout.addWidget(self.plot, 1)
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._show_progress)
        self.plot.show_sweep(None, "")

    # -- choices -------------------------------------------------------------------------
    def set_scenario(self, scenario: Scenario | None, models: list[str] | None = None) -> None:
        """The scenario to sweep (the main window's selection); offers its groups and steps as parameters."""
        self.scenario = scenario
        self.scenario_label.setText(scenario.name if scenario else "No scenario: pick one in the main window")
        current = self.param.currentText()
        self.param.blockSignals(True)
        self.param.clear()
        items = ["pool-size", "switch-interval"]
        if scenario is not None:
            for g in scenario.groups:
                items.append(f"count:{g.name}")
                items += [f"amount:{g.name}:{i}" for i in range(len(g.steps))]
        self.param.addItems(items)
        self.param.blockSignals(False)
        self.param.setCurrentText(current if current in items else items[0])
        self._suggest_values(self.param.currentText())
        if models is not None:
            self.set_models(models)
        elif not any(b.isChecked() for b in self.model_boxes.values()):
            self.set_models([scenario.model if scenario and scenario.model else DEFAULT_MODEL])

    def set_models(self, models: list[str]) -> None:
        for name, box in self.model_boxes.items():
            box.setChecked(name in models)

    def set_choices(self, param: str, values: str, models: list[str], repeat: int) -> None:
        self.param.setCurrentText(param)
        self.values.setText(values)
        self.set_models(models)
        self.repeat.setValue(repeat)

    def _suggest_values(self, param: str) -> None:
        if not self.values.text().strip() or self.values.property("suggested"):
            self.values.setText(SUGGESTED_VALUES.get(param.split(":")[0], "1,2,4,8"))
            self.values.setProperty("suggested", True)

    def plan(self) -> SweepPlan:
        """The sweep the choices describe; :class:`ThreadloomError` naming what is wrong."""
        if self.scenario is None:
            raise ThreadloomError("pick a scenario in the main window first")
        param = parse_param(self.param.currentText(), self.scenario)
        values = parse_values(self.values.text(), param)
        models = [name for name, box in self.model_boxes.items() if box.isChecked()]
        if not models:
            raise ThreadloomError("check at least one model to sweep")
        s = self.scenario
        plan = SweepPlan(
            s,
            param,
            tuple(values),
            tuple(models),
            self.repeat.value(),
            s.switch_interval_ms,
            s.pool_size,
            self.interpreter,
        )
        plan.points()
        return plan

    # -- running -------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.runner is not None

    def start(self) -> None:
        if self.running:
            return
        self._task = asyncio.ensure_future(self.run_sweep())

    async def run_sweep(self) -> Sweep | None:
        """Run the sweep the choices describe; returns it (stopped or not), or None if it could not start."""
        if self.running:
            return None
        try:
            plan = self.plan()
        except ThreadloomError as exc:
            self.status.setText(str(exc))
            return None
        self.values.setProperty("suggested", False)
        self.runner = runner = SweepRunner(plan, on_done=self._on_point_done)
        self.sweep = runner.sweep
        self.progress.setRange(0, len(runner.planned))
        self.progress.setValue(0)
        self._set_running(True)
        self._timer.start()
        self._show_progress()
        self.redraw()
        message = ""
        try:
            sweep = await runner.run()
        except ProbeError as exc:
            sweep = runner.sweep
            sweep.stopped = True
            message = f"The sweep stopped: {exc}. The points measured before are kept."
        finally:
            self._timer.stop()
            self.runner = None
            self._set_running(False)
        if not message:
            message = (
                f"Done: {len(sweep.points)} runs."
                if sweep.complete
                else f"Cancelled: {len(sweep.points)} of {sweep.planned} runs measured and kept."
            )
        self.status.setText(message + " Click a point to open its run.")
        self.progress.setValue(len(sweep.points))
        self.progress.setFormat(f"{len(sweep.points)} of {sweep.planned} runs")
        self.redraw()
        self.finished.emit(sweep)
        return sweep

    def cancel(self) -> None:
        """Stop at once: the run in progress is killed, the points measured so far stay."""
        if self.runner is not None:
            self.runner.stop()
            self.status.setText("Cancelling…")

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        for w in (self.param, self.values, self.repeat, *self.model_boxes.values()):
            w.setEnabled(not running)

    def _on_point_done(self, _point: SweepPoint, _sweep: Sweep) -> None:
        self.progress.setValue(len(self.sweep.points))
        self.redraw()

    def _show_progress(self) -> None:
        runner = self.runner
        if runner is None:
            return
        current: PlannedPoint | None = runner.current
        elapsed = time.perf_counter() - runner.current_started if runner.current_started else 0.0
        p = progress(runner.sweep, runner.planned, current, elapsed)
        self.progress.setFormat(f"{p.done} of {p.total} runs")
        self.status.setText(p.text)

    # -- the plot --------------------------------------------------------------------------
    def show_sweep(self, sweep: Sweep) -> None:
        """Show a finished or loaded sweep (a saved one reopens here with its plot)."""
        self.sweep = sweep
        self.param.setCurrentText(sweep.param)
        self.set_models(sweep.models)
        self.repeat.setValue(max(1, sweep.repeat))
        self.values.setText(",".join(f"{v:g}" for v in sweep.values))
        self.values.setProperty("suggested", False)
        self.progress.setRange(0, max(1, sweep.planned))
        self.progress.setValue(len(sweep.points))
        self.progress.setFormat(f"{len(sweep.points)} of {sweep.planned} runs")
        self.redraw()

    def redraw(self) -> None:
        sweep = self.sweep
        if sweep is not None and sweep.points:
            choices = metric_choices(sweep)
            current = self.metric_box.currentText() or "makespan_ms"
            if [self.metric_box.itemText(i) for i in range(self.metric_box.count())] != choices:
                self.metric_box.blockSignals(True)
                self.metric_box.clear()
                self.metric_box.addItems(choices)
                self.metric_box.setCurrentText(current if current in choices else choices[0])
                self.metric_box.blockSignals(False)
        metric = self.metric_box.currentText() or "makespan_ms"
        self.plot.show_sweep(sweep, metric, self.auto_log.isChecked())

    def set_metric(self, metric: str) -> None:
        self.metric_box.setCurrentText(metric)
        self.redraw()

    def set_dark(self, dark: bool) -> None:
        self.plot.set_dark(dark)
        self.redraw()

    def _on_point_clicked(self, index: int) -> None:
        sweep = self.sweep
        if sweep is None or not 0 <= index < len(sweep.points):
            return
        point = sweep.points[index]
        self.status.setText(f"Opened {point.label(sweep.param)} in the main window.")
        self.openRun.emit(point.trace, point.label(sweep.param))

    def closeEvent(self, event) -> None:
        self.cancel()
        super().closeEvent(event)


def render_sweep(sweep: Sweep, metric: str, fmt: str, size: tuple[int, int], dark: bool = False) -> bytes:
    """A picture of the sweep's plot (``threadloom sweep --plot``), drawn offscreen."""
    from .render import prepare_offscreen, render_bytes, use_offscreen_qt

    use_offscreen_qt()
    from PySide6.QtWidgets import QApplication

    _app = QApplication.instance() or QApplication(["threadloom"])
    widget = SweepPlot(dark=dark, interactive=False)
    widget.show_sweep(sweep, metric)
    prepare_offscreen(widget, size[0], size[1], None)
    widget.show_sweep(sweep, metric)
    return render_bytes(widget, fmt, size, None, dark, title=widget.title.text())


__all__ = ["SweepPage", "SweepPlot", "Trace", "render_sweep"]
