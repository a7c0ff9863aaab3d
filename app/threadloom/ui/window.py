"""The main window: controls on the left, the timeline in the middle, the scheduler view on the right.

It assembles the views and wires them to one :class:`~threadloom.ui.runner.RunController`
and one :class:`~threadloom.ui.replay.ReplayDriver`; it measures nothing itself.
The menus are in :mod:`~threadloom.ui.menus`, the palette in :mod:`~threadloom.ui.theme`,
finding interpreters in :mod:`~threadloom.ui.interpreters`.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import NamedTuple

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, QSignalBlocker, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QScrollArea,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..errors import ThreadloomError
from ..model import RunMetrics, Trace, compute_metrics
from ..scenario import Scenario, load_scenario, parse_scenario, resolve_scenario
from ..viewmodel.instant import TraceIndex
from ..viewmodel.text import RunSettings
from .code import CodeView
from .controls import ControlPanel
from .editor import ScenarioEditor
from .elided import ElidedLabel
from .help import show_about, show_shortcuts
from .interpreters import InterpreterFinder, selected_text
from .menus import WindowMenus
from .replay import ReplayBar, ReplayDriver
from .runner import RunController, RunOutcome
from .scheduler import SchedulerView
from .summary import CompareTable, SummaryStrip
from .theme import apply_theme, error_color
from .timeline import TimelineWidget


class PreparedRuns(NamedTuple):
    """What showing finished runs needs beyond the traces, computed once (possibly off the GUI thread)."""

    metrics: list[RunMetrics | None]
    indexes: list[TraceIndex | None]


#: How long a finished run's showing pauses between the timeline and the other views: long enough
#: for Qt to paint the timeline first, in a turn of its own.
_PAINT_TURN_S = 0.005


def prepare_runs(traces: list[Trace]) -> PreparedRuns:
    """Metrics and replay indexes of finished traces; Qt-free, so it may run in a worker thread."""
    return PreparedRuns(
        [compute_metrics(t) if t.header else None for t in traces],
        [TraceIndex(t) if t.header else None for t in traces],
    )


class MainWindow(QMainWindow):
    """Threadloom's window. See the module docstring for the layout.

    Test and exporter hooks: :meth:`show_traces`, :meth:`set_replay_time`,
    :meth:`replay_time_ms`, :attr:`timeline`, :attr:`scheduler`,
    :meth:`run_current`, :meth:`stop_run`, :meth:`select_scenario`,
    :meth:`set_models`, :meth:`status_message`.
    """

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self.setWindowTitle("Threadloom")
        self.setObjectName("ThreadloomMainWindow")
        self.setDockNestingEnabled(True)
        self._dark = False
        self._traces: list[Trace] = []
        self._labels: list[str] = []
        self._run_task: asyncio.Task | None = None
        self._background: list[asyncio.Task] = []
        self._close_when_stopped = False
        self._run_started = 0.0
        self._live_shown = 0
        self._indexes: list[TraceIndex | None] = []
        self._layout_restored = False
        self._restoring = False  # settings are being restored: selections then say nothing yet
        self.editor: ScenarioEditor | None = None

        self.runner = RunController(self)
        self.runner.runStarted.connect(self._on_run_started)
        self.runner.liveUpdate.connect(self._on_live_update)
        # The watchdog: a probe silent for long is said so; Stop (Esc) still ends it.
        self.runner.stalled.connect(lambda text: self.set_status(f"{text}: press Stop (Esc) to end it.", error=True))
        self.replay = ReplayDriver(self)
        self.replay.timeChanged.connect(self._on_replay_time)

        # Centre: the timeline and the replay bar under it --------------------------------
        self._timeline = TimelineWidget(self)
        self._timeline.cursorMoved.connect(self.set_replay_time)
        self.replay_bar = ReplayBar(self.replay, self)
        centre = QWidget(self)
        cl = QVBoxLayout(centre)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.setSpacing(0)
        cl.addWidget(self._timeline, 1)
        cl.addWidget(self.replay_bar)
        # Beside the timeline, the Code tab: the plain program of each shown run.
        self.code_view = CodeView(self)
        self.code_view.statusMessage.connect(self.set_status)
        self.centre_tabs = QTabWidget(self)
        self.centre_tabs.setDocumentMode(True)
        self.centre_tabs.addTab(centre, "Timeline")
        self.centre_tabs.addTab(self.code_view, "Code")
        self.centre_tabs.setTabToolTip(1, "The plain Python program of each run; two side by side in a comparison")
        self.setCentralWidget(self.centre_tabs)

        # Bottom, the full width: the summary of one run, or the comparison table --------
        self.summary = SummaryStrip(self)
        self.compare = CompareTable(self)
        self.bottom = QStackedWidget(self)
        self.bottom.addWidget(self.summary)
        self.bottom.addWidget(self.compare)
        self.summary_dock = QDockWidget("Summary", self)
        self.summary_dock.setObjectName("summaryDock")
        self.summary_dock.setWidget(self.bottom)
        self.summary_dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.summary_dock)

        # Left: controls ------------------------------------------------------------
        self.controls = ControlPanel(self)
        self.controls.runClicked.connect(self.start_run)
        self.controls.stopClicked.connect(self.stop_run)
        self.controls.openRequested.connect(self.open_scenario_dialog)
        self.controls.editRequested.connect(self.open_editor)
        self.controls.browseInterpreterRequested.connect(self.browse_interpreter)
        self.controls.interpreterChosen.connect(lambda info: self.set_status(selected_text(info)))
        self.controls.scenarioChanged.connect(self._on_scenario_changed)
        scroll = QScrollArea(self)
        scroll.setWidget(self.controls)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._controls_scroll = scroll
        self._fit_controls_scroll()
        # The panel's fonts come from the style sheet applied after it was built, and interpreters found
        # later add rows: its minimum is followed, or the panel would be wider than the dock and cut.
        self.controls.installEventFilter(self)
        panel = QWidget(self)
        pl = QVBoxLayout(panel)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.setSpacing(0)
        pl.addWidget(scroll, 1)
        pl.addWidget(self.controls.button_row)
        self.controls_dock = QDockWidget("Run", self)
        self.controls_dock.setObjectName("controlsDock")
        self.controls_dock.setWidget(panel)
        self.controls_dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.controls_dock)

        # Right: the scheduler view ------------------------------------------------
        self._scheduler = SchedulerView(self)
        self.scheduler_run = QComboBox(self)
        self.scheduler_run.setToolTip("Which run of the comparison the scheduler view shows")
        # A few characters wide, not as wide as the longest label: sized to its contents it would widen the
        # dock with a comparison's long labels and keep that width, and the window could not shrink again.
        self.scheduler_run.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.scheduler_run.setMinimumContentsLength(14)
        self.scheduler_run.currentIndexChanged.connect(self._on_scheduler_run)
        hint = QLabel("Scrub or play the replay; click the timeline to jump.", self)
        hint.setObjectName("dockHint")
        hint.setWordWrap(True)  # a narrow dock wraps it rather than growing
        head = QWidget(self)
        hl = QHBoxLayout(head)
        hl.setContentsMargins(10, 2, 10, 2)
        hl.addWidget(hint, 1)
        hl.addWidget(self.scheduler_run)
        holder = QWidget(self)
        vl = QVBoxLayout(holder)
        vl.setContentsMargins(0, 0, 0, 0)
        vl.setSpacing(0)
        vl.addWidget(head)
        vl.addWidget(self._scheduler, 1)
        self.scheduler_dock = QDockWidget("Scheduler", self)
        self.scheduler_dock.setObjectName("schedulerDock")
        self.scheduler_dock.setWidget(holder)
        self.scheduler_dock.setFeatures(self.controls_dock.features())
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.scheduler_dock)

        # Status bar ------------------------------------------------------------------
        # Messages quote file names and labels from saved runs: never rich text (ElidedLabel is plain).
        # A long one ends in "…" at the window's edge (the whole of it is the tooltip), never widening the window.
        self._status = ElidedLabel(self)
        self._status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._run_state = QLabel(self)
        self._run_state.setObjectName("runState")
        self.statusBar().addWidget(self._status, 1)
        self.statusBar().addPermanentWidget(self._run_state)
        self._elapsed_timer = QTimer(self)
        self._elapsed_timer.setInterval(250)
        self._elapsed_timer.timeout.connect(self._show_elapsed)

        self.interpreters = InterpreterFinder(self.controls, self.set_status)
        self.menus = WindowMenus(self)
        # What the file actions, tests and exporters reach for, under the window's own names.
        menus = self.menus
        self.file_menu, self.recent_menu, self.quit_action = menus.file_menu, menus.recent_menu, menus.quit_action
        self.run_action, self.stop_action = menus.run_action, menus.stop_action
        self.dark_action, self.follow_action = menus.dark_action, menus.follow_action
        self.view_menu, self.fit_action = menus.view_menu, menus.fit_action
        self._install_file_actions()
        self._install_experiments()
        self._restoring = True
        try:
            self._restore()
        finally:
            self._restoring = False
        self._sync_scheduler_choices()
        first = self._first_screen_text()
        self.set_status(f"{self.status_message()} {first}".strip() if self.status_message() else first)

    # -- public API ----------------------------------------------------------------------
    @property
    def timeline(self) -> TimelineWidget:
        return self._timeline

    @property
    def scheduler(self) -> SchedulerView:
        return self._scheduler

    def status_message(self) -> str:
        return self._status.text()

    def status_is_error(self) -> bool:
        """Whether the status line shows an error (in the error colour)."""
        return self._status.styleSheet() != ""

    def set_status(self, text: str, error: bool = False) -> None:
        self._status.setText(text)
        self._status.setToolTip(text)
        self._status.setStyleSheet(f"color: {error_color(self._dark)};" if error else "")

    def current_traces(self) -> list[Trace]:
        return list(self._traces)

    def current_labels(self) -> list[str]:
        return list(self._labels)

    def is_dark(self) -> bool:
        return self._dark

    def select_scenario(self, spec: str | Scenario) -> Scenario | None:
        """Select a preset name, a TOML path or a :class:`Scenario`; errors go to the status bar."""
        if isinstance(spec, Scenario):
            scenario, key = spec, spec.source
        else:
            try:
                scenario = resolve_scenario(spec)
            except ThreadloomError as exc:
                self.set_status(str(exc), error=True)
                return None
            key = spec if not Path(spec).exists() else str(Path(spec).resolve())
        self.controls.select_scenario(scenario, key)  # the status line follows (_on_scenario_changed)
        self._refresh_recent_menu()
        return scenario

    def set_models(self, models: list[str]) -> None:
        self.controls.set_models(models)

    def show_traces(
        self, traces: list[Trace], labels: list[str] | None = None, *, prepared: PreparedRuns | None = None
    ) -> None:
        """Display finished (or stopped) runs: timeline, summary or comparison, replay and scheduler.

        ``prepared`` (from :func:`prepare_runs`, computed off the GUI thread) saves recomputing
        the metrics and replay indexes here.
        """
        self._show_views(self._show_timeline(traces, labels, prepared))

    def _show_timeline(
        self, traces: list[Trace], labels: list[str] | None, prepared: PreparedRuns | None
    ) -> list[RunMetrics | None]:
        """The first half of :meth:`show_traces`: the runs join the timeline; returns their metrics."""
        if prepared is None or len(prepared.metrics) != len(traces):
            prepared = prepare_runs(traces)
        keep = [i for i, t in enumerate(traces) if t.header]
        traces = [traces[i] for i in keep]
        self._indexes = [prepared.indexes[i] for i in keep]
        labels = [labels[i] for i in keep] if labels is not None else [self._default_label(t, traces) for t in traces]
        self._traces, self._labels = traces, labels
        self.replay.pause()
        self._timeline.follow_live(False)
        self._timeline.set_traces(traces, self._labels)
        self._timeline.refresh()
        return [prepared.metrics[i] for i in keep]

    def _show_views(self, metrics: list[RunMetrics | None]) -> None:
        """The second half of :meth:`show_traces`: summary or comparison, scheduler, code, replay."""
        traces = self._traces
        if len(traces) > 1:
            self.compare.set_runs(metrics, self._labels)
            self.bottom.setCurrentWidget(self.compare)
            self.summary_dock.setWindowTitle("Compare: green is the best run for a metric, red the worst")
        else:
            if metrics:
                self.summary.show_metrics(metrics[0])
            else:
                self.summary.clear()
            self.bottom.setCurrentWidget(self.summary)
            self.summary_dock.setWindowTitle("Summary")
        self._size_bottom()
        self._sync_scheduler_choices()
        self.code_view.set_runs(traces, self._labels, self.shown_scenario())
        duration = max((t.end_ns for t in traces), default=0) / 1e6
        self.replay.set_duration(duration)
        self.replay.suit_speed(duration)
        self.set_replay_time(duration)
        if traces:
            self.setWindowTitle(f"Threadloom - {RunSettings.of(traces[0]).scenario}")

    def shown_scenario(self) -> Scenario | None:
        """The scenario the shown runs ran: from the saved run that is open, else the selected one if it matches."""
        actions = getattr(self, "_file_actions", None)
        text = actions.scenario_text() if actions is not None else ""
        if text:
            try:
                return parse_scenario(text)
            except ThreadloomError:
                pass
        scenario = self.controls.current_scenario()
        if scenario is not None and self._traces and self._traces[0].header.get("scenario") == scenario.name:
            return scenario
        return None

    def set_replay_time(self, ms: float) -> None:
        self.replay.seek(ms)

    def replay_time_ms(self) -> float:
        return self.replay.position_ms

    async def run_current(self) -> list[Trace]:
        """Run the selected scenario under the checked models (a comparison if several); returns the traces."""
        if self.runner.running:
            self.set_status("A run is already in progress: Stop it first (Esc).", error=True)
            return []
        try:
            plan = self.controls.plan()
        except ThreadloomError as exc:
            self.set_status(str(exc), error=True)
            return []
        if not plan:
            self.set_status("Check at least one model to run.", error=True)
            return []
        self.replay.pause()
        self.replay.set_duration(0)
        self.controls.set_running(True)
        self.menus.set_running(True)
        self._timeline.set_cursor_ms(None)
        self._timeline.set_placeholder("Starting the probe…")
        self._timeline.follow_live(self.follow_action.isChecked())
        self.summary.clear()
        self.bottom.setCurrentWidget(self.summary)
        self.summary_dock.setWindowTitle("Summary")
        self._size_bottom()
        self._run_started = time.perf_counter()
        self._elapsed_timer.start()
        try:
            outcome: RunOutcome = await self.runner.run(plan)
        finally:
            self._elapsed_timer.stop()
            self._timeline.set_placeholder()
            self._run_state.setText("")
            self.controls.set_running(False)
            self.menus.set_running(False)
        # Metrics and replay indexes of big traces take a while: compute them beside the GUI thread.
        loop = asyncio.get_running_loop()
        prepared = await loop.run_in_executor(None, prepare_runs, outcome.traces)
        # The timeline, then the other views, each painted in a turn of its own: all of it in one
        # turn was the longest stall at the end of a flood (50 to 70 ms).
        metrics = self._show_timeline(outcome.traces, outcome.labels, prepared)
        await asyncio.sleep(_PAINT_TURN_S)
        self._show_views(metrics)
        self.set_status(outcome.message, error=not outcome.ok and not outcome.stopped)
        if self._close_when_stopped:
            QTimer.singleShot(0, self.close)
        return outcome.traces

    def start_run(self) -> None:
        """Run from a button or shortcut: the run is a task on the event loop, never a blocking call."""
        if self.runner.running:
            return
        self._run_task = asyncio.ensure_future(self.run_current())
        self._run_task.add_done_callback(self._on_run_task_done)

    def stop_run(self) -> None:
        if self.runner.running:
            self.runner.stop()
            self.set_status("Stopping…")

    def start_background(self) -> None:
        """Tasks that need the running event loop (call from inside it): interpreter discovery."""
        self._background.append(asyncio.ensure_future(self.interpreters.discover()))

    async def shutdown(self) -> None:
        """Stop every probe and background task; the app awaits this before it quits."""
        self.runner.stop()
        self.experiments.stop()
        if self.isVisible():
            self.save_settings()  # quitting without closing the window (Ctrl-C, logout)
        for task in [*self._background, self._run_task]:
            if task is not None and not task.done():
                task.cancel()
        pending = [t for t in [*self._background, self._run_task] if t is not None and not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=5)

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, dark)
        self._timeline.set_dark(dark)
        self._scheduler.set_dark(dark)
        self.summary.set_dark(dark)
        self.compare.set_dark(dark)
        self.code_view.set_dark(dark)
        self.menus.set_dark(dark)
        self.set_status(self.status_message(), error=self._status.styleSheet() != "")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.controls and event.type() in (QEvent.Type.LayoutRequest, QEvent.Type.StyleChange):
            self._fit_controls_scroll()
        return super().eventFilter(watched, event)

    def _fit_controls_scroll(self) -> None:
        """The Run panel's scroll area is as wide as the panel's minimum and a vertical scroll bar."""
        bar = max(12, self._controls_scroll.verticalScrollBar().sizeHint().width())
        need = self.controls.minimumSizeHint().width() + bar
        if need != self._controls_scroll.minimumWidth():
            self._controls_scroll.setMinimumWidth(need)

    # -- help and file actions --------------------------------------------------------
    def show_shortcuts(self) -> None:
        show_shortcuts(self)

    def show_about(self) -> None:
        show_about(self)

    def _install_file_actions(self) -> None:
        self.file_actions = None
        try:
            from .file_actions import install_file_actions
        except ImportError:
            return
        try:
            #: Saving, opening, exporting and drag-and-drop of runs (``None`` if they failed to load).
            self.file_actions = install_file_actions(self)
        except Exception as exc:  # a broken add-on must not keep the window from opening
            self.set_status(f"File actions are unavailable: {exc}", error=True)
        # Keep Quit last, after whatever the file actions added.
        self.menus.keep_quit_last()

    def _install_experiments(self) -> None:
        from .experiments import install_experiments

        #: The Experiments menu: the sweep page and the cost page (issue 10).
        self.experiments = install_experiments(self)

    # -- scenario, editor, interpreters ------------------------------------------------
    def open_scenario_dialog(self) -> None:
        start = str(Path(self.controls.recent_files()[0]).parent) if self.controls.recent_files() else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open scenario", start, "Scenarios (*.toml);;All files (*)")
        if path:
            self.select_scenario(path)

    def open_editor(self) -> ScenarioEditor:
        if self.editor is None:
            self.editor = ScenarioEditor(self)
            self.editor.errorChanged.connect(self._on_editor_error)
            self.editor.scenarioApplied.connect(self._on_editor_applied)
        self.editor.set_scenario(self.controls.current_scenario())
        self.editor.show()
        self.editor.raise_()
        return self.editor

    def _on_editor_error(self, error: str) -> None:
        if error:
            self.set_status(error, error=True)
        else:
            self.set_status('The scenario in the editor is valid: press "Use this scenario" (Ctrl+Enter).')

    def _on_editor_applied(self, scenario: Scenario) -> None:
        self.controls.select_scenario(scenario, f"edited:{scenario.name}")
        self.set_status(f"Selected the edited scenario {scenario.name}. Run it with Ctrl+R.")

    def browse_interpreter(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a Python interpreter", "/usr/bin")
        if path:
            self._background.append(asyncio.ensure_future(self.interpreters.describe(path, select=True)))

    # -- runs ---------------------------------------------------------------------
    def _on_run_task_done(self, task: asyncio.Task) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self.set_status(f"The run ended with an internal error: {exc!r}", error=True)

    def _on_run_started(self, index: int) -> None:
        # The new run joins the timeline once its header arrives (see _on_live_update).
        self._traces, self._labels = self.runner.traces(), self.runner.labels()
        self._indexes = []
        self._timeline.set_traces(self._traces, self._labels)
        self._live_shown = len(self._traces)
        total = self.runner.planned_count()
        where = f" (run {index + 1} of {total})" if total > 1 else ""
        self.set_status(f"Running {self.runner.current_label()}{where}…")
        self._sync_scheduler_choices()

    def _on_live_update(self) -> None:
        traces = self.runner.traces()
        if len(traces) != self._live_shown:
            self._traces, self._labels = traces, self.runner.labels()
            self._timeline.set_traces(traces, self._labels)
            self._live_shown = len(traces)
            self._sync_scheduler_choices()
            # The new band's rows and axes are laid out and painted in this turn; what arrived goes in
            # at the next: the two in one turn were a flood's longest stall (40 to 66 ms).
            QTimer.singleShot(1, self, self._on_live_update)  # not after the window is gone
            return
        self._timeline.refresh()
        live = self.runner.live_trace()
        if live is not None and live.header:
            self._scheduler.show_live(live, self.runner.current_label())
            self.summary.show_live(live, time.perf_counter() - self._run_started)

    def _show_elapsed(self) -> None:
        self._run_state.setText(f"running {time.perf_counter() - self._run_started:.1f} s")

    # -- replay ---------------------------------------------------------------------
    def _on_replay_time(self, ms: float) -> None:
        if self.runner.running:
            return
        self._timeline.set_cursor_ms(ms)
        self._scheduler.set_time_ms(ms)

    def _sync_scheduler_choices(self) -> None:
        with QSignalBlocker(self.scheduler_run):
            current = self.scheduler_run.currentIndex()
            self.scheduler_run.clear()
            self.scheduler_run.addItems(self._labels)
            for i, label in enumerate(self._labels):
                self.scheduler_run.setItemData(i, label, Qt.ItemDataRole.ToolTipRole)  # a cut label, whole
            # The list that drops down shows the labels whole, however narrow the box.
            view = self.scheduler_run.view()
            view.setMinimumWidth(view.sizeHintForColumn(0) + 24 if self._labels else 0)
            self.scheduler_run.setCurrentIndex(min(max(current, 0), len(self._labels) - 1))
        self.scheduler_run.setVisible(len(self._labels) > 1)
        self._on_scheduler_run(self.scheduler_run.currentIndex())

    def _on_scheduler_run(self, index: int) -> None:
        if self.runner.running:
            return
        if 0 <= index < len(self._traces):
            prepared = self._indexes[index] if index < len(self._indexes) else None
            self._scheduler.set_trace(self._traces[index], self._labels[index], index=prepared)
            self._scheduler.set_time_ms(self.replay.position_ms)
        else:
            self._scheduler.set_trace(None)

    def _default_label(self, trace: Trace, traces: list[Trace]) -> str:
        models = [t.model for t in traces]
        if models.count(trace.model) == 1:
            return trace.model
        switch = RunSettings.of(trace).switch_interval_ms
        return f"{trace.model} · {'?' if switch is None else format(switch, 'g')} ms"

    def _on_scenario_changed(self, scenario: Scenario | None) -> None:
        if scenario is not None and not self.runner.running and not self._traces:
            self.setWindowTitle(f"Threadloom - {scenario.name}")
        if scenario is not None and not self._restoring:
            self.set_status(self._selected_text(scenario))

    def _selected_text(self, scenario: Scenario) -> str:
        """What the status line says when a scenario is chosen, including any models it ticked."""
        text = f"Selected {scenario.name}: {scenario.task_count} tasks."
        changed = self.controls.models_set_by_scenario()
        spec = self.controls.current_spec() or ""
        source = "the preset" if spec and not (spec.endswith(".toml") or spec.startswith("edited:")) else "the scenario"
        models = self.controls.selected_models()
        if changed:
            text += f" Models set to {', '.join(changed)} by {source}."
        elif scenario.model and len(models) > 1 and scenario.model not in models:
            text += f" Your comparison ({', '.join(models)}) is kept; {source} is meant for {scenario.model}."
        return f"{text} Run it with Ctrl+R."

    def _first_screen_text(self) -> str:
        scenario = self.controls.current_scenario()
        models = ", ".join(self.controls.selected_models()) or "a model"
        if scenario is None:
            return "Pick a scenario and a model, then Run (Ctrl+R)."
        return (
            f"Ready: {scenario.name} under {models}. Press Run (Ctrl+R) to watch it, or pick another "
            "preset. Hover over any control to learn what it does."
        )

    # -- settings and closing ----------------------------------------------------------
    def _refresh_recent_menu(self) -> None:
        self.menus.set_recent(self.controls.recent_files(), self.select_scenario)

    def _restore(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1600, 900)
        state = s.value("window/state")
        self._layout_restored = isinstance(state, QByteArray) and not state.isEmpty() and self.restoreState(state)
        spec = self.controls.restore_settings(s)
        for path in self.controls.recent_files():
            # Recent files join the picker; one that vanished or broke since is skipped quietly.
            try:
                self.controls.add_scenario(load_scenario(path), path)
            except ThreadloomError:
                continue
        if spec and not spec.startswith("edited:"):
            try:
                self.controls.select_scenario(resolve_scenario(spec), spec)
            except ThreadloomError:
                # A file moved or deleted since: say so calmly, the first preset is selected instead.
                self.set_status(f"The last scenario, {Path(spec).name}, is no longer there.")
        self.controls.restore_choices(s)
        self._refresh_recent_menu()
        speed = s.value("replay/speed")
        try:
            if speed is not None:
                self.replay.set_speed(float(speed))
        except (TypeError, ValueError, ThreadloomError):
            pass  # a hand-edited settings file: keep the default speed
        self.set_dark(str(s.value("view/dark", "false")).lower() == "true")

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("view/dark", self._dark)
        if self.replay.speed_chosen:
            s.setValue("replay/speed", self.replay.clock.speed)
        else:
            s.remove("replay/speed")  # each run picks a speed that suits it
        self.controls.save_settings(s)
        s.sync()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._layout_restored:
            # Docks only take sizes once the window has its own.
            self._layout_restored = True
            self.reset_layout()

    def reset_layout(self) -> None:
        for dock in (self.controls_dock, self.scheduler_dock, self.summary_dock):
            dock.show()
        # The timeline keeps at least about 40 % of a narrow window.
        scheduler = min(480, max(300, round(self.width() * 0.3)))
        self.resizeDocks([self.controls_dock, self.scheduler_dock], [320, scheduler], Qt.Orientation.Horizontal)
        self._size_bottom()

    def _size_bottom(self) -> None:
        comparing = self.bottom.currentWidget() is self.compare
        height = min(250, 50 + 21 * self.compare.rowCount()) if comparing else 128
        self.resizeDocks([self.summary_dock], [height], Qt.Orientation.Vertical)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.runner.running:
            # Stop the probe first and close once the run has wound down, so no process is left behind.
            event.ignore()
            self._close_when_stopped = True
            self.runner.stop()
            self.set_status("Stopping the run before closing…")
            return
        self.replay.pause()
        self.save_settings()
        if self.editor is not None:
            self.editor.close()
        super().closeEvent(event)


__all__ = ["MainWindow", "PreparedRuns", "prepare_runs"]
