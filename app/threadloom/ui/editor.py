"""The scenario editor: TOML text validated as you type, with the engine's own one-line error."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRegularExpression, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QKeySequence, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..errors import ScenarioError
from ..probe.models import DEFAULT_MODEL, model_names
from ..scenario import STEP_KINDS, Scenario, parse_scenario

_VALIDATE_DELAY_MS = 250  # long enough not to flash errors at every keystroke
_STATUS_STYLE = "QLabel {{ background: {bg}; color: {fg}; padding: 6px; border-radius: 4px; }}"

TEMPLATE = """name = "My scenario"
description = "What a person should see in it."

[run]
model = "@DEFAULT@"          # @MODELS@
switch_interval_ms = 5

[[groups]]
name = "crunch"
count = 1
steps = [{ cpu = 300 }]    # cpu, native, io, block: ms; net: round trips

[[groups]]
name = "chatty"
count = 1
repeat = 50
steps = [{ net = 1 }, { io = 2 }]
""".replace("@DEFAULT@", DEFAULT_MODEL).replace("@MODELS@", ", ".join(model_names()))


class _TomlHighlighter(QSyntaxHighlighter):
    """Just enough colour to read a scenario: comments, table headers, keys, strings, step kinds."""

    def __init__(self, document) -> None:
        super().__init__(document)

        def fmt(color: str, bold: bool = False) -> QTextCharFormat:
            f = QTextCharFormat()
            f.setForeground(QColor(color))
            if bold:
                f.setFontWeight(QFont.Weight.Bold)
            return f

        kinds = "|".join(STEP_KINDS)
        self._rules = [
            (QRegularExpression(r"^\s*\[\[?[^\]]+\]\]?"), fmt("#0072B2", True)),
            (QRegularExpression(r"^\s*[A-Za-z_][\w-]*(?=\s*=)"), fmt("#7A4FA0")),
            (QRegularExpression(rf"\b({kinds})\b(?=\s*=)"), fmt("#009E73", True)),
            (QRegularExpression(r"\"[^\"]*\""), fmt("#B35900")),
            (QRegularExpression(r"#.*$"), fmt("#8A9099")),
        ]

    def highlightBlock(self, text: str) -> None:
        for pattern, fmt in self._rules:
            it = pattern.globalMatch(text)
            while it.hasNext():
                m = it.next()
                self.setFormat(m.capturedStart(), m.capturedLength(), fmt)


class ScenarioEditor(QDialog):
    """Edit a scenario's TOML; every pause in typing validates it with :func:`parse_scenario`.

    Signals
    -------
    scenarioApplied(Scenario): the user pressed "Use this scenario" on valid text.
    errorChanged(str): the current one-line error, or ``""`` when the text is valid.
    """

    scenarioApplied = Signal(object)
    errorChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Scenario editor - Threadloom")
        self.resize(640, 620)
        self._source = "untitled.toml"
        self._scenario: Scenario | None = None
        self._error = ""
        self.edit = QPlainTextEdit(self)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(max(mono.pointSizeF(), 10.5))
        self.edit.setFont(mono)
        self.edit.setTabStopDistance(4 * self.edit.fontMetrics().horizontalAdvance(" "))
        self.edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self._highlighter = _TomlHighlighter(self.edit.document())
        self.status = QLabel(self)
        self.status.setObjectName("editorStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        help_text = ", ".join(f"{k} ({v})" for k, v in STEP_KINDS.items())
        hint = QLabel(f"Steps: {help_text}.", self)
        hint.setWordWrap(True)
        hint.setObjectName("muted")
        buttons = QDialogButtonBox(self)
        self.apply_button = QPushButton("Use this scenario", self)
        self.apply_button.setDefault(True)
        self.apply_button.setShortcut(QKeySequence("Ctrl+Return"))
        self.apply_button.setToolTip("Select this scenario in the window (Ctrl+Enter); Ctrl+R then runs it")
        self.apply_button.clicked.connect(self._apply)
        save = QPushButton("Save As…", self)
        save.clicked.connect(self.save_as)
        buttons.addButton(self.apply_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(save, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.status)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(_VALIDATE_DELAY_MS)
        self._timer.timeout.connect(self.validate_now)
        self.edit.textChanged.connect(self._timer.start)

    # -- public ----------------------------------------------------------------
    def set_scenario(self, scenario: Scenario | None) -> None:
        """Load a scenario's text (or the template) into the editor."""
        if scenario is not None and scenario.text:
            self._source = Path(scenario.source).name
            self.edit.setPlainText(scenario.text)
        else:
            self._source = "untitled.toml"
            self.edit.setPlainText(TEMPLATE)
        self.validate_now()

    @property
    def source(self) -> str:
        """The name errors start with (the file's name, or untitled.toml)."""
        return self._source

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)

    def text(self) -> str:
        return self.edit.toPlainText()

    def error_text(self) -> str:
        return self._error

    def scenario(self) -> Scenario | None:
        return self._scenario

    def validate_now(self) -> Scenario | None:
        self._timer.stop()
        try:
            self._scenario = parse_scenario(self.text(), source=self._source)
        except ScenarioError as exc:
            self._scenario, error = None, str(exc)
        else:
            error = ""
        self._show(error)
        return self._scenario

    def save_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save scenario", self._source, "Scenarios (*.toml)")
        if not path:
            return
        try:
            Path(path).write_text(self.text(), encoding="utf-8")
        except OSError as exc:
            self._show(f"{path}: cannot write it: {exc.strerror or exc}")
            return
        self._source = Path(path).name
        self.validate_now()

    # -- private ---------------------------------------------------------------
    def _show(self, error: str) -> None:
        changed = error != self._error
        self._error = error
        if error:
            self.status.setText(f"✗  {error}")
            self.status.setStyleSheet(_STATUS_STYLE.format(bg="#FBE3D6", fg="#7A2A00"))
        else:
            s = self._scenario
            assert s is not None
            groups = ", ".join(f"{g.name} ×{g.count}" for g in s.groups)
            self.status.setText(f"✓  Valid: {s.name} - {s.task_count} tasks ({groups})")
            self.status.setStyleSheet(_STATUS_STYLE.format(bg="#D9F2E9", fg="#004D38"))
        self.apply_button.setEnabled(not error)
        if changed:
            self.errorChanged.emit(error)

    def _apply(self) -> None:
        scenario = self.validate_now()
        if scenario is not None:
            # Keep the typed text and a name a person recognises as the scenario's source.
            self.scenarioApplied.emit(scenario)
