"""The control panel: what to run (scenario, models, switch interval, pool, interpreter), Run and Stop.

It turns the user's choices into a plan of :class:`~threadloom.ui.runner.PlannedRun`
and keeps those choices in ``QSettings``; it runs nothing itself.
"""

from __future__ import annotations

import html
import math
import os
import platform
import sys
from pathlib import Path

from PySide6.QtCore import QSettings, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..engine import InterpreterInfo, RunRequest, this_interpreter
from ..errors import UsageError
from ..probe.models import DEFAULT_MODEL, model_names, spec_of
from ..scenario import Scenario, list_presets
from ..scenario.load import MAX_POOL
from ..viewmodel.compare import variant_changes
from .runner import PlannedRun

SWITCH_MIN_MS, SWITCH_MAX_MS, SWITCH_DEFAULT_MS = 0.1, 100.0, 5.0
_SLIDER_STEPS = 1000
_BROWSE = "\0browse"
MAX_RECENT = 8

SWITCH_TOOLTIP = (
    "<b>Switch interval</b> (sys.setswitchinterval, 5 ms by default): how long a thread may keep the GIL "
    "while another thread waits for it. When it runs out, the running thread is asked to drop the GIL at its "
    "next bytecode boundary.<br><br>Shorter: a thread whose I/O has finished gets the GIL back sooner "
    "(lower latency), at the cost of more hand-offs. Longer: fewer hand-offs, but waiting threads wait longer. "
    "The slider is logarithmic, from 0.1 to 100 ms."
)
POOL_TOOLTIP = (
    "<b>Pool size</b>: how many workers a thread or process pool has. Tasks submitted beyond that wait in the "
    "pool's <b>queue</b> (state <i>queued</i>): submitted, but no worker has picked them up yet.<br><br>"
    "<i>auto</i> uses the scenario's [run].pool_size, else the executor's own default. "
    f"Models without a pool ({', '.join(m for m in model_names() if not spec_of(m).has_pool)}) ignore it."
)
INTERPRETER_TOOLTIP = (
    "The Python that runs the workload, in a process of its own. A free-threaded build (for example "
    "python3.13t) runs threads without the GIL; PyPy has a GIL of its own."
)
GIL_TOOLTIP = (
    "<b>GIL</b> of a free-threaded build (PYTHON_GIL for the probe): <i>auto</i> lets the interpreter decide "
    "(off, unless an extension module needs it), <i>on</i> runs with a GIL as ordinary builds do, <i>off</i> "
    "without one, so threads running Python code really run at once.<br><br>Only a free-threaded build "
    "(python3.13t, say) can choose; other interpreters always have their GIL."
)
ADDRESS_TOOLTIP = "<b>Cluster address</b>: where the checked model runs its tasks, on machinery that exists already."
#: The GIL control's entries: what a run asks for (RunRequest.gil) and what the box says.
GIL_CHOICES = ((None, "auto"), (True, "on"), (False, "off"))
VARIANT_TOOLTIP = (
    "Compare settings: every checked model runs once with the settings above and once with these, stacked "
    "on one time axis with their metrics side by side. Try switch interval 5 ms against 0.5 ms on the convoy "
    "preset, or pool 2 against 8 on pool starvation."
)


MIN_PROBE_VERSION = (3, 9)


def this_python_label(info: InterpreterInfo | None = None) -> str:
    """The first interpreter entry: the Python bundled with the app, or the one running it from source."""
    version = platform.python_version()
    tag = gil_tag(info) if info is not None else ""
    if getattr(sys, "frozen", False):
        return f"Bundled Python {version}{tag}"
    return f"This Python {version}{tag} - {sys.executable}"


def gil_tag(info: InterpreterInfo) -> str:
    """ " (free-threaded, GIL off)" for a free-threaded build, with its GIL as it starts; "" for the others."""
    if not info.gil_optional:
        return ""
    return f" (free-threaded, GIL {'on' if info.gil_enabled else 'off'})"


def interpreter_label(info: InterpreterInfo) -> str:
    """A picker entry: implementation, version, the build and its GIL, path."""
    return f"{info.implementation} {info.version}{gil_tag(info)} - {info.path}"


def _version_key(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def slider_to_ms(value: int) -> float:
    """Log scale: 0 -> 0.1 ms, 1000 -> 100 ms."""
    span = math.log10(SWITCH_MAX_MS / SWITCH_MIN_MS)
    return SWITCH_MIN_MS * 10 ** (span * value / _SLIDER_STEPS)


def ms_to_slider(ms: float) -> int:
    ms = min(max(ms, SWITCH_MIN_MS), SWITCH_MAX_MS)
    span = math.log10(SWITCH_MAX_MS / SWITCH_MIN_MS)
    return round(_SLIDER_STEPS * math.log10(ms / SWITCH_MIN_MS) / span)


def _address_tooltip() -> str:
    """The address field's tooltip: what each model that takes one says its address is."""
    takers = [spec for spec in map(spec_of, model_names()) if spec.takes_address]
    return ADDRESS_TOOLTIP + "".join(
        f"<br><br><b>{html.escape(spec.name)}</b>: {html.escape(spec.address_help)}" for spec in takers
    )


def has_pool(model: str) -> bool:
    return spec_of(model).has_pool


def run_label(model: str, switch_ms: float, pool: int | None, vary_switch: bool, vary_pool: bool) -> str:
    parts = [model]
    if vary_switch:
        parts.append(f"{switch_ms:g} ms")
    if vary_pool and pool is not None:
        parts.append(f"pool {pool}")
    return " · ".join(parts)


class SwitchIntervalEdit(QWidget):
    """A log-scale slider and a spin box that move together, 0.1 to 100 ms."""

    valueChanged = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, _SLIDER_STEPS)
        self.spin = QDoubleSpinBox(self)
        self.spin.setRange(SWITCH_MIN_MS, SWITCH_MAX_MS)
        self.spin.setDecimals(2)
        self.spin.setSuffix(" ms")
        self.spin.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        self.spin.setKeyboardTracking(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self.slider.valueChanged.connect(lambda v: self._set(slider_to_ms(v), from_slider=True))
        self.spin.valueChanged.connect(lambda v: self._set(v, from_slider=False))
        for w in (self, self.slider, self.spin):
            w.setToolTip(SWITCH_TOOLTIP)
        self.set_value(SWITCH_DEFAULT_MS)

    def value(self) -> float:
        return float(self.spin.value())

    def set_value(self, ms: float) -> None:
        self._set(ms, from_slider=False)

    def _set(self, ms: float, from_slider: bool) -> None:
        ms = min(max(ms, SWITCH_MIN_MS), SWITCH_MAX_MS)
        if from_slider:
            # Round to what a person would type: 2 significant digits.
            ms = float(f"{ms:.2g}")
        with QSignalBlocker(self.slider), QSignalBlocker(self.spin):
            self.spin.setValue(ms)
            if not from_slider:
                self.slider.setValue(ms_to_slider(ms))
        self.valueChanged.emit(ms)


class ControlPanel(QWidget):
    """Scenario, models, switch interval, pool, interpreter, comparison variant, Run and Stop.

    Signals
    -------
    runClicked(), stopClicked(): the buttons.
    openRequested(), editRequested(), browseInterpreterRequested(): the window shows the dialogs.
    interpreterChosen(object): the user picked an interpreter (its InterpreterInfo).
    scenarioChanged(object): the selected :class:`Scenario` (or ``None``).
    """

    runClicked = Signal()
    stopClicked = Signal()
    openRequested = Signal()
    editRequested = Signal()
    browseInterpreterRequested = Signal()
    #: The user picked an interpreter that has answered: its :class:`InterpreterInfo`.
    interpreterChosen = Signal(object)
    scenarioChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scenarios: list[tuple[str, Scenario]] = []  # (spec, scenario) per combo entry
        self._recent: list[str] = []
        self._saved_interpreter: str | None = None
        self._models_by_scenario: list[str] | None = None
        #: The models a scenario ticked last: while they are still what is ticked, they are not the user's choice.
        self._ticked_by_scenario: list[str] = []
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)

        # Scenario -------------------------------------------------------------
        self.scenario_box = QComboBox(self)
        self.scenario_box.setToolTip("Presets that show one effect each, recent files, and scenarios you edited")
        self.scenario_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.scenario_box.setMinimumContentsLength(10)
        self.scenario_box.currentIndexChanged.connect(self._on_scenario_index)
        open_button = QToolButton(self)
        open_button.setText("Open…")
        open_button.setToolTip("Open a scenario TOML file (Ctrl+O)")
        open_button.clicked.connect(self.openRequested)
        edit_button = QToolButton(self)
        edit_button.setText("Edit…")
        edit_button.setToolTip("Edit the scenario as TOML, validated as you type (Ctrl+E)")
        edit_button.clicked.connect(self.editRequested)
        self.description = QLabel(self)
        self.description.setWordWrap(True)
        self.description.setObjectName("muted")
        self.description.setTextFormat(Qt.TextFormat.PlainText)
        # The picker has a row of its own, the dock's whole width, so preset names are not cut.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(open_button)
        row.addWidget(edit_button)
        scenario_group = QGroupBox("Scenario", self)
        sl = QVBoxLayout(scenario_group)
        sl.addWidget(self.scenario_box)
        sl.addLayout(row)
        sl.addWidget(self.description)

        # Models ---------------------------------------------------------------
        self.model_checks: dict[str, QCheckBox] = {}
        models_group = QGroupBox("Models (check several to compare)", self)
        grid = QGridLayout(models_group)
        grid.setHorizontalSpacing(12)
        for i, name in enumerate(model_names()):
            check = QCheckBox(name, models_group)
            check.setToolTip(self._model_tooltip(name))
            check.toggled.connect(self._update_run_button)
            self.model_checks[name] = check
            grid.addWidget(check, i // 2, i % 2)

        # Settings -------------------------------------------------------------
        self.switch = SwitchIntervalEdit(self)
        self.pool = QSpinBox(self)
        self.pool.setRange(0, MAX_POOL)
        self.pool.setSpecialValueText("auto")
        self.pool.setToolTip(POOL_TOOLTIP)
        self.interpreter_box = QComboBox(self)
        self.interpreter_box.setToolTip(INTERPRETER_TOOLTIP)
        # Sized by a few characters, not by its longest entry: discovery adds long paths after the
        # window is laid out, and a re-polish (a theme switch) would otherwise widen the whole panel.
        self.interpreter_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.interpreter_box.setMinimumContentsLength(12)
        self._interpreters: list[str] = ["", _BROWSE]  # per combo entry; "" = the bundled Python
        self._interp_versions: list[tuple[int, ...]] = [(99,), (0,)]
        self._interp_labels: set[str] = set()
        #: path -> what describe_interpreter said ("" = the Python running the app).
        self._interp_infos: dict[str, InterpreterInfo] = {"": this_interpreter()}
        #: Models the interpreter unticked because it cannot run them, ticked again when one can.
        self._unticked_for_interpreter: set[str] = set()
        self.interpreter_box.addItem(this_python_label(self._interp_infos[""]))
        self.interpreter_box.setItemData(0, sys.executable, Qt.ItemDataRole.ToolTipRole)
        self.interpreter_box.addItem("Browse…")
        self.interpreter_box.activated.connect(self._on_interpreter_activated)
        self.interpreter_box.currentIndexChanged.connect(self._apply_interpreter)
        self.gil_box = QComboBox(self)
        for _value, text in GIL_CHOICES:
            self.gil_box.addItem(text)
        self.gil_box.setToolTip(GIL_TOOLTIP)
        gil_label = QLabel("GIL", self)
        gil_label.setToolTip(GIL_TOOLTIP)
        self._last_interpreter_index = 0
        switch_label = QLabel("Switch interval", self)
        switch_label.setToolTip(SWITCH_TOOLTIP)
        pool_label = QLabel("Pool size", self)
        pool_label.setToolTip(POOL_TOOLTIP)
        settings_group = QGroupBox("Settings", self)
        form = QFormLayout(settings_group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(switch_label, self.switch)
        # The GIL shares the pool's row: one row more would push the panel past the window's height.
        pool_row = QHBoxLayout()
        pool_row.setContentsMargins(0, 0, 0, 0)
        pool_row.addWidget(self.pool, 1)
        pool_row.addSpacing(8)
        pool_row.addWidget(gil_label)
        pool_row.addWidget(self.gil_box, 1)
        form.addRow(pool_label, pool_row)
        form.addRow("Interpreter", self.interpreter_box)
        # Shown only while a checked model takes an address: its spec says what the address is.
        self.address = QLineEdit(self)
        self.address.setPlaceholderText("empty: started for the run")
        self.address.setClearButtonEnabled(True)
        self.address.setToolTip(_address_tooltip())
        self._settings_form = form
        form.addRow("Cluster", self.address)

        # Variant ----------------------------------------------------------------
        self.variant = QGroupBox("Also run with…", self)
        self.variant.setCheckable(True)
        self.variant.setChecked(False)
        self.variant.setToolTip(VARIANT_TOOLTIP)
        self.variant_switch = SwitchIntervalEdit(self.variant)
        self.variant_switch.set_value(0.5)
        self.variant_pool = QSpinBox(self.variant)
        self.variant_pool.setRange(0, MAX_POOL)
        self.variant_pool.setSpecialValueText("same")
        self.variant_pool.setToolTip(POOL_TOOLTIP)
        vform = QFormLayout(self.variant)
        vform.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        vform.addRow("Switch interval", self.variant_switch)
        vform.addRow("Pool size", self.variant_pool)
        # Which checked models the variant would not change (asyncio at another switch interval, say).
        self.variant_note = QLabel("", self.variant)
        self.variant_note.setWordWrap(True)
        self.variant_note.setObjectName("hint")
        self.variant_note.hide()
        vform.addRow(self.variant_note)
        self.variant_switch.valueChanged.connect(self._update_run_button)
        self.variant_pool.valueChanged.connect(self._update_run_button)
        self.variant.toggled.connect(self._update_run_button)

        # Buttons --------------------------------------------------------------
        self.run_button = QPushButton("Run", self)
        self.run_button.setObjectName("primary")
        self.run_button.setToolTip("Run the scenario under every checked model (Ctrl+R)")
        self.run_button.clicked.connect(self.runClicked)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setToolTip("Stop the run now; what was recorded so far is kept (Esc)")
        self.stop_button.clicked.connect(self.stopClicked)
        self.stop_button.setEnabled(False)
        # The buttons live outside the scrolling part (see button_row) so they are always visible.
        self.button_row = QWidget(self)
        buttons = QHBoxLayout(self.button_row)
        buttons.setContentsMargins(8, 6, 8, 8)
        buttons.addWidget(self.run_button, 2)
        buttons.addWidget(self.stop_button, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(10)
        layout.addWidget(scenario_group)
        layout.addWidget(models_group)
        layout.addWidget(settings_group)
        layout.addWidget(self.variant)
        layout.addStretch(1)
        self._apply_interpreter()
        self._load_presets()
        if not self.selected_models():  # the first preset ticked its own model, if it names one
            self.set_models([DEFAULT_MODEL])

    # -- scenarios ----------------------------------------------------------------
    def _load_presets(self) -> None:
        with QSignalBlocker(self.scenario_box):
            for preset in list_presets():
                self._add_entry(preset.key, preset.scenario, f"{preset.scenario.name}")
        # The list that drops down shows whole names, however narrow the box itself is.
        view = self.scenario_box.view()
        view.setTextElideMode(Qt.TextElideMode.ElideNone)
        view.setMinimumWidth(view.sizeHintForColumn(0) + 24)
        if self._scenarios:
            self._on_scenario_index(self.scenario_box.currentIndex())

    # Entries live in Python lists indexed like the combo boxes: item data is avoided on purpose,
    # because reading an unset item's data returns None without a reference in PySide6 6.12 on
    # Python 3.11, and enough of those crash the interpreter.
    def _add_entry(self, spec: str, scenario: Scenario, text: str) -> int:
        self._scenarios.append((spec, scenario))
        self.scenario_box.addItem(text)
        index = self.scenario_box.count() - 1
        self.scenario_box.setItemData(index, scenario.description or spec, Qt.ItemDataRole.ToolTipRole)
        return index

    def add_scenario(self, scenario: Scenario, spec: str) -> int:
        """List ``scenario`` (or refresh its entry) without selecting it; returns its index."""
        for i, (known, _old) in enumerate(self._scenarios):
            if known == spec:
                self._scenarios[i] = (spec, scenario)
                return i
        is_file = os.sep in spec or spec.endswith(".toml")
        text = f"{scenario.name}  ({Path(spec).name})" if is_file else scenario.name
        with QSignalBlocker(self.scenario_box):
            return self._add_entry(spec, scenario, text)

    def select_scenario(self, scenario: Scenario, spec: str) -> None:
        """Select ``scenario`` (adding it to the list if new); ``spec`` is its preset key or path."""
        index = self.add_scenario(scenario, spec)
        if self.scenario_box.currentIndex() == index:
            self._on_scenario_index(index)
        else:
            self.scenario_box.setCurrentIndex(index)
        if os.sep in spec and Path(spec).is_file():
            self.add_recent(spec)

    def current_scenario(self) -> Scenario | None:
        i = self.scenario_box.currentIndex()
        return self._scenarios[i][1] if 0 <= i < len(self._scenarios) else None

    def current_spec(self) -> str | None:
        i = self.scenario_box.currentIndex()
        return self._scenarios[i][0] if 0 <= i < len(self._scenarios) else None

    def add_recent(self, path: str) -> None:
        self._recent = [path] + [p for p in self._recent if p != path]
        del self._recent[MAX_RECENT:]

    def recent_files(self) -> list[str]:
        return list(self._recent)

    def _on_scenario_index(self, index: int) -> None:
        scenario = self.current_scenario()
        if scenario is None:
            self.description.setText("")
            self.scenarioChanged.emit(None)
            return
        groups = " · ".join(f"{g.name} ×{g.count}" for g in scenario.groups)
        self.description.setText(f"{scenario.description}\n{scenario.task_count} tasks: {groups}".strip())
        self.switch.set_value(scenario.switch_interval_ms or SWITCH_DEFAULT_MS)
        self.pool.setValue(scenario.pool_size or 0)
        self._models_by_scenario = None
        ticked = self.selected_models()
        users_comparison = len(ticked) > 1 and sorted(ticked) != sorted(self._ticked_by_scenario)
        if scenario.model and not users_comparison:
            # A preset names the model that shows its effect (and those to compare it with); a comparison
            # the user set up is kept, one the last scenario ticked is not the user's.
            wanted = [scenario.model, *scenario.compare_with]
            if sorted(ticked) != sorted(wanted):
                self._models_by_scenario = wanted
            self.set_models(wanted)
            self._ticked_by_scenario = wanted
        self.scenarioChanged.emit(scenario)

    def models_set_by_scenario(self) -> list[str] | None:
        """The models the last scenario selected ticked in place of the user's, or None if none changed."""
        return self._models_by_scenario

    # -- models and settings -----------------------------------------------------
    def selected_models(self) -> list[str]:
        return [name for name, check in self.model_checks.items() if check.isChecked()]

    def set_models(self, models: list[str]) -> None:
        """Check exactly ``models``; :class:`~threadloom.errors.UsageError` naming the allowed ones for any other."""
        unknown = [m for m in models if m not in self.model_checks]
        if unknown:
            raise UsageError(f"unknown model {unknown[0]!r}; allowed: {', '.join(model_names())}")
        refused = self.unavailable_models()
        self._unticked_for_interpreter = {m for m in models if m in refused}
        for name, check in self.model_checks.items():
            check.setChecked(name in models and name not in refused)
        self._update_run_button()

    def interpreter(self) -> str | None:
        i = self.interpreter_box.currentIndex()
        path = self._interpreters[i] if 0 <= i < len(self._interpreters) else ""
        return path if path not in ("", _BROWSE) else None

    def interpreter_info(self) -> InterpreterInfo | None:
        """What the selected interpreter said about itself (None while it has not answered)."""
        i = self.interpreter_box.currentIndex()
        path = self._interpreters[i] if 0 <= i < len(self._interpreters) else ""
        return self._interp_infos.get(path)

    def unavailable_models(self) -> dict[str, str]:
        """The models the selected interpreter cannot run, with why."""
        info = self.interpreter_info()
        return info.unavailable() if info is not None else {}

    def gil(self) -> bool | None:
        """The GIL the runs ask for: True on, False off, None as the interpreter decides (and always
        None for a build that has a GIL either way)."""
        info = self.interpreter_info()
        if info is None or not info.gil_optional:
            return None
        return GIL_CHOICES[max(0, self.gil_box.currentIndex())][0]

    def _model_tooltip(self, name: str, refused: str = "") -> str:
        spec = spec_of(name)
        tip = f"<b>{name}</b>: {spec.description}.<br>{spec.hint}"
        if refused:
            tip += f"<br><br><b>Not under this interpreter</b>: {html.escape(refused)}"
        return tip

    def _apply_interpreter(self, *_args: object) -> None:
        """Disable the models the selected interpreter cannot run (the reason as tooltip), enable the GIL
        control for a free-threaded build."""
        info = self.interpreter_info()
        refused = info.unavailable() if info is not None else {}
        for name, check in self.model_checks.items():
            why = refused.get(name, "")
            if why and check.isChecked():
                self._unticked_for_interpreter.add(name)
                check.setChecked(False)
            check.setEnabled(not why)
            check.setToolTip(self._model_tooltip(name, why))
            if not why and name in self._unticked_for_interpreter:
                self._unticked_for_interpreter.discard(name)
                check.setChecked(True)
        free_threaded = info is not None and info.gil_optional
        self.gil_box.setEnabled(free_threaded)
        gil_tip = GIL_TOOLTIP
        if not free_threaded:
            gil_tip += "<br><br><i>This interpreter is not a free-threaded build: its GIL is always on.</i>"
        self.gil_box.setToolTip(gil_tip)
        self._update_run_button()

    def add_interpreter(self, info: InterpreterInfo, select: bool = False) -> None:
        """List an interpreter (after describe_interpreter answered), once per path."""
        text = interpreter_label(info)
        if info.path in self._interpreters:
            index = self._interpreters.index(info.path)
            self.interpreter_box.setItemText(index, text)
        else:
            if _version_key(info.version) < MIN_PROBE_VERSION:
                return  # the probe needs Python 3.9 or newer
            if info.label in self._interp_labels and not select:
                return  # the same Python reached through another path (a shim, a symlink)
            # Newest first, between "This Python" and "Browse…".
            index = 1
            while index < len(self._interpreters) - 1 and self._interp_versions[index] >= _version_key(info.version):
                index += 1
            self._interpreters.insert(index, info.path)
            self._interp_versions.insert(index, _version_key(info.version))
            self._interp_labels.add(info.label)
            self.interpreter_box.insertItem(index, text)
        self._interp_infos[info.path] = info
        refused = info.unavailable()
        tip = info.path
        if refused:
            tip += "\n" + "\n".join(f"{name}: {why}" for name, why in refused.items())
        self.interpreter_box.setItemData(index, tip, Qt.ItemDataRole.ToolTipRole)
        if select:
            self.interpreter_box.setCurrentIndex(index)
            self._last_interpreter_index = index
        if index == self.interpreter_box.currentIndex():
            self._apply_interpreter()

    def saved_interpreter(self) -> str | None:
        """The interpreter the restored settings chose, to select once it has been found."""
        return self._saved_interpreter

    def select_interpreter(self, path: str | None) -> bool:
        index = self._interpreters.index(path or "") if (path or "") in self._interpreters else -1
        if index >= 0:
            self.interpreter_box.setCurrentIndex(index)
            self._last_interpreter_index = index
        return index >= 0

    def _on_interpreter_activated(self, index: int) -> None:
        if self._interpreters[index] == _BROWSE:
            self.interpreter_box.setCurrentIndex(self._last_interpreter_index)
            self.browseInterpreterRequested.emit()
        else:
            self._last_interpreter_index = index
            info = self.interpreter_info()
            if info is not None:
                self.interpreterChosen.emit(info)

    def set_running(self, running: bool) -> None:
        for widget in self.findChildren(QGroupBox, options=Qt.FindChildOption.FindDirectChildrenOnly):
            widget.setEnabled(not running)
        self.run_button.setEnabled(not running and bool(self.selected_models()))
        self.stop_button.setEnabled(running)

    def _update_run_button(self, *_args: object) -> None:
        models = self.selected_models()
        same = self._variant_skips(models) if self.variant.isChecked() else []
        runs = len(models) * (2 if self.variant.isChecked() else 1) - len(same)
        self.variant_note.setText(
            f"{', '.join(same)}: run once; the variant cannot change {'it' if len(same) == 1 else 'them'} "
            "(a switch interval only matters where several threads share one GIL)."
            if same
            else ""
        )
        self.variant_note.setVisible(bool(same))
        self.run_button.setText("Run" if runs <= 1 else f"Run and compare ({runs})")
        self._settings_form.setRowVisible(self.address, any(spec_of(m).takes_address for m in models))
        if not self.stop_button.isEnabled():
            self.run_button.setEnabled(bool(models))

    def _variant_settings(self) -> tuple[tuple[float, int | None], tuple[float, int | None]]:
        scenario = self.current_scenario()
        base_pool = self.pool.value() or (scenario.pool_size if scenario else None)
        base = (self.switch.value(), base_pool)
        return base, (self.variant_switch.value(), self.variant_pool.value() or base_pool)

    def _variant_skips(self, models: list[str]) -> list[str]:
        """The checked models a run with the variant's settings would only repeat."""
        base, variant = self._variant_settings()
        return [m for m in models if not variant_changes(m, base, variant)]

    # -- the plan -------------------------------------------------------------------
    def plan(self) -> list[PlannedRun]:
        """The runs to make, in order; raises ScenarioError if the machine cannot take one.

        ``UsageError`` when no scenario is selected.
        """
        scenario = self.current_scenario()
        if scenario is None:
            raise UsageError("no scenario selected")
        models = self.selected_models()
        base_switch = self.switch.value()
        base_pool = self.pool.value() or scenario.pool_size
        settings = [(base_switch, base_pool)]
        if self.variant.isChecked():
            settings.append((self.variant_switch.value(), self.variant_pool.value() or base_pool))
        vary_switch = len({s for s, _ in settings}) > 1
        vary_pool = len({p for _, p in settings}) > 1
        interpreter = self.interpreter()
        refused = self.unavailable_models()
        for model in models:
            if model in refused:
                raise UsageError(f"{model} cannot run under this interpreter: {refused[model]}")
        gil = self.gil()
        address = self.address.text().strip() or None
        plan = []
        skips = self._variant_skips(models) if self.variant.isChecked() else []
        for n, (switch, pool) in enumerate(settings):
            for model in models:
                if n and model in skips:
                    continue
                model_pool = pool if has_pool(model) else None
                scenario.check_run(model, model_pool)
                label = run_label(model, switch, model_pool, vary_switch, vary_pool)
                request = RunRequest(scenario, model, switch, model_pool, interpreter, gil=gil, address=address)
                plan.append(PlannedRun(request, label))
        return plan

    # -- settings ----------------------------------------------------------------
    def save_settings(self, s: QSettings) -> None:
        s.setValue("controls/scenario", self.current_spec() or "")
        s.setValue("controls/models", ",".join(self.selected_models()))
        s.setValue("controls/switch_ms", self.switch.value())
        s.setValue("controls/pool", self.pool.value())
        s.setValue("controls/interpreter", self.interpreter() or "")
        s.setValue("controls/gil", self.gil_box.currentText())
        s.setValue("controls/address", self.address.text())
        s.setValue("controls/variant", self.variant.isChecked())
        s.setValue("controls/variant_switch_ms", self.variant_switch.value())
        s.setValue("controls/variant_pool", self.variant_pool.value())
        s.setValue("controls/recent", "\n".join(self._recent))

    def restore_settings(self, s: QSettings) -> str | None:
        """Restore everything but the scenario, whose spec is returned for the window to load."""
        recent = str(s.value("controls/recent", "") or "")
        self._recent = [p for p in recent.split("\n") if p][:MAX_RECENT]
        spec = str(s.value("controls/scenario", "") or "") or None
        return spec

    def restore_choices(self, s: QSettings) -> None:
        """Restore models and settings (after the scenario, whose defaults they override)."""
        models = [m for m in str(s.value("controls/models", "") or "").split(",") if m in self.model_checks]
        if models:
            self.set_models(models)
        try:
            self.switch.set_value(float(s.value("controls/switch_ms", SWITCH_DEFAULT_MS)))
            self.pool.setValue(int(s.value("controls/pool", 0)))
            self.variant_switch.set_value(float(s.value("controls/variant_switch_ms", 0.5)))
            self.variant_pool.setValue(int(s.value("controls/variant_pool", 0)))
        except (TypeError, ValueError):
            pass  # a hand-edited settings file: keep the defaults
        self.variant.setChecked(str(s.value("controls/variant", "false")).lower() == "true")
        gil = self.gil_box.findText(str(s.value("controls/gil", "auto") or "auto"))
        self.gil_box.setCurrentIndex(max(0, gil))
        self.address.setText(str(s.value("controls/address", "") or ""))
        self._saved_interpreter = str(s.value("controls/interpreter", "") or "") or None
