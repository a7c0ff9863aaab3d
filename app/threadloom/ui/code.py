"""The Code tab: the plain program of the shown run, syntax-highlighted; two of them side by side in a comparison.

Everything it shows comes from :mod:`threadloom.viewmodel.code` (the programs, the rows lined
up, which lines and columns differ, the sentence above them); this module only paints them:
a small Python highlighter, line numbers in a gutter, changed lines tinted (red on the left,
green on the right, the differing characters a shade stronger), filler rows hatched, both
panes scrolling together. Copy and Save act on the program itself, never on the filler rows.
"""

from __future__ import annotations

import builtins
import keyword
import re
from pathlib import Path

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from .._files import write_atomic
from ..model import Trace
from ..scenario import Scenario
from ..viewmodel.code import CodeComparison, CodePane, compare_programs, run_program, single_program
from .elided import ElidedLabel

# -- colours --------------------------------------------------------------------------------

_SYNTAX = {
    False: {
        "keyword": "#CF222E",
        "colour": "#8250DF",  # async and await: the colour of a function, in both senses
        "builtin": "#953800",
        "string": "#0A3069",
        "comment": "#6E7781",
        "number": "#0550AE",
        "definition": "#6639BA",
        "self": "#953800",
    },
    True: {
        "keyword": "#FF7B72",
        "colour": "#D2A8FF",
        "builtin": "#FFA657",
        "string": "#A5D6FF",
        "comment": "#8B949E",
        "number": "#79C0FF",
        "definition": "#D2A8FF",
        "self": "#FFA657",
    },
}
#: (line, characters that differ) for the left pane ("removed") and the right one ("added"); fillers; gutter.
_DIFF = {
    False: {
        "left": ("#FFEBE9", "#FFC1C0"),
        "right": ("#E6FFEC", "#ABF2BC"),
        "filler": "#EEF0F3",
        "gutter": "#F6F8FA",
        "number": "#8C959F",
        "mark_left": "#CF222E",
        "mark_right": "#1A7F37",
    },
    True: {
        "left": ("#3D1E22", "#7A2E35"),
        "right": ("#17331F", "#2A6B3B"),
        "filler": "#1B1F24",
        "gutter": "#161B22",
        "number": "#6E7681",
        "mark_left": "#F85149",
        "mark_right": "#3FB950",
    },
}


def code_font() -> QFont:
    """A monospaced face a little larger than the interface's, readable from the back of a room."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    if "Mono" not in font.family():
        font = QFont("DejaVu Sans Mono")
        font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPointSizeF(10.0)
    return font


# -- highlighting ---------------------------------------------------------------------------

_COLOUR_WORDS = frozenset({"async", "await"})
_KEYWORDS = frozenset(keyword.kwlist) - _COLOUR_WORDS - {"True", "False", "None"}
_BUILTINS = frozenset(name for name in dir(builtins) if not name.startswith("_")) | {"True", "False", "None"}
_TOKENS = re.compile(
    r"(?P<comment>#[^\n]*)"
    r"|(?P<string>[rbfuRBFU]{0,2}(?:'''|\"\"\"|'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"))"
    r"|(?P<number>\b(?:0[xX][0-9a-fA-F_]+|\d[\d_]*(?:\.\d*)?(?:[eE][-+]?\d+)?)\b)"
    r"|(?P<word>[A-Za-z_]\w*)"
)
_IN_TRIPLE = {'"""': 1, "'''": 2}


class PythonHighlighter(QSyntaxHighlighter):
    """Keywords, ``async``/``await`` (bold, in their own colour), builtins, strings, comments, numbers, names."""

    def __init__(self, document, dark: bool = False) -> None:
        super().__init__(document)
        self._formats: dict[str, QTextCharFormat] = {}
        self.set_dark(dark)

    def set_dark(self, dark: bool) -> None:
        self._formats = {}
        for role, colour in _SYNTAX[dark].items():
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(colour))
            if role in ("colour", "definition"):
                fmt.setFontWeight(QFont.Weight.Bold)
            if role == "comment":
                fmt.setFontItalic(True)
            self._formats[role] = fmt
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        start = 0
        state = self.previousBlockState()
        self.setCurrentBlockState(0)
        if state in (1, 2):  # inside a triple-quoted string that began on an earlier line
            quote = '"""' if state == 1 else "'''"
            end = text.find(quote)
            if end < 0:
                self.setFormat(0, len(text), self._formats["string"])
                self.setCurrentBlockState(state)
                return
            self.setFormat(0, end + 3, self._formats["string"])
            start = end + 3
        after_def = False
        for m in _TOKENS.finditer(text, start):
            kind = m.lastgroup
            token = m.group()
            if kind == "string":
                quote = token.lstrip("rbfuRBFU")
                if quote in _IN_TRIPLE:
                    end = text.find(quote, m.end())
                    if end < 0:
                        self.setFormat(m.start(), len(text) - m.start(), self._formats["string"])
                        self.setCurrentBlockState(_IN_TRIPLE[quote])
                        return
                    self.setFormat(m.start(), end + 3 - m.start(), self._formats["string"])
                    # Tokens inside the string are skipped by restarting after it.
                    return self._rest(text, end + 3)
                self.setFormat(m.start(), len(token), self._formats["string"])
            elif kind == "comment":
                self.setFormat(m.start(), len(token), self._formats["comment"])
            elif kind == "number":
                self.setFormat(m.start(), len(token), self._formats["number"])
            elif kind == "word":
                role = self._word_role(token, after_def)
                if role:
                    self.setFormat(m.start(), len(token), self._formats[role])
                after_def = token in ("def", "class")
                continue
            after_def = False

    def _rest(self, text: str, start: int) -> None:
        """Highlight what follows a closed triple-quoted string on the same line (rare: ``\"\"\"x\"\"\"  # y``)."""
        for m in _TOKENS.finditer(text, start):
            if m.lastgroup == "comment":
                self.setFormat(m.start(), len(m.group()), self._formats["comment"])

    @staticmethod
    def _word_role(token: str, after_def: bool) -> str:
        if after_def:
            return "definition"
        if token in _COLOUR_WORDS:
            return "colour"
        if token in _KEYWORDS:
            return "keyword"
        if token == "self":
            return "self"
        if token in _BUILTINS:
            return "builtin"
        return ""


# -- one program ---------------------------------------------------------------------------


class _Gutter(QWidget):
    def __init__(self, editor: CodeEditor) -> None:
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self.editor.paint_gutter(event)


class CodeEditor(QPlainTextEdit):
    """A read-only view of one pane's rows: highlighted, numbered by program line, differences tinted."""

    def __init__(self, side: str = "left", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.side = side
        self._dark = False
        self._pane: CodePane | None = None
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFont(code_font())
        self.setTabStopDistance(4 * self.fontMetrics().horizontalAdvance(" "))
        self.setFrameShape(QPlainTextEdit.Shape.NoFrame)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.highlighter = PythonHighlighter(self.document())
        self.gutter = _Gutter(self)
        self.blockCountChanged.connect(lambda _n: self._fit_gutter())
        self.updateRequest.connect(self._scroll_gutter)
        self._fit_gutter()

    # -- content
    def set_pane(self, pane: CodePane | None) -> None:
        self._pane = pane
        self.setPlainText(pane.display_text if pane is not None else "")
        self._fit_gutter()
        self._mark()

    def pane(self) -> CodePane | None:
        return self._pane

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        self.highlighter.set_dark(dark)
        self._mark()
        self.gutter.update()

    # -- gutter
    def gutter_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return 14 + self.fontMetrics().horizontalAdvance("9") * max(3, digits)

    def _fit_gutter(self) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _scroll_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self.gutter.scroll(0, dy)
        else:
            self.gutter.update(0, rect.y(), self.gutter.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        cr = self.contentsRect()
        self.gutter.setGeometry(QRect(cr.left(), cr.top(), self.gutter_width(), cr.height()))

    def paint_gutter(self, event: QPaintEvent) -> None:
        colours = _DIFF[self._dark]
        painter = QPainter(self.gutter)
        painter.fillRect(event.rect(), QColor(colours["gutter"]))
        painter.setFont(self.font())
        rows = self._pane.lines if self._pane is not None else ()
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = round(self.blockBoundingRect(block).height())
        width = self.gutter.width()
        mark = QColor(colours["mark_left" if self.side == "left" else "mark_right"])
        while block.isValid() and top <= event.rect().bottom():
            index = block.blockNumber()
            if block.isVisible() and index < len(rows):
                row = rows[index]
                if row.changed and row.number is not None:
                    painter.fillRect(width - 3, top, 3, height, mark)
                if row.number is not None:
                    painter.setPen(mark if row.changed else QColor(colours["number"]))
                    painter.drawText(0, top, width - 8, height, Qt.AlignmentFlag.AlignRight, str(row.number))
            block = block.next()
            top += height
            height = round(self.blockBoundingRect(block).height()) if block.isValid() else height
        painter.end()

    # -- marks
    def _mark(self) -> None:
        colours = _DIFF[self._dark]
        line_colour, span_colour = colours[self.side]
        selections = []
        rows = self._pane.lines if self._pane is not None else ()
        doc = self.document()
        for index, row in enumerate(rows):
            if not row.changed and row.number is not None:
                continue
            block = doc.findBlockByNumber(index)
            whole = QTextEdit.ExtraSelection()
            whole.format.setBackground(QColor(line_colour if row.number is not None else colours["filler"]))
            if row.number is None:
                whole.format.setBackground(QBrush(QColor(colours["filler"]), Qt.BrushStyle.SolidPattern))
            whole.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            whole.cursor = QTextCursor(block)
            selections.append(whole)
            for start, end in row.spans:
                if end - start >= len(row.text):
                    continue  # the whole line is new: its tint says so already
                span = QTextEdit.ExtraSelection()
                span.format.setBackground(QColor(span_colour))
                cursor = QTextCursor(block)
                cursor.setPosition(block.position() + start)
                cursor.setPosition(block.position() + end, QTextCursor.MoveMode.KeepAnchor)
                span.cursor = cursor
                selections.append(span)
        self.setExtraSelections(selections)

    def marked_rows(self) -> list[int]:
        """Rows painted as changed (tests read this)."""
        return [
            s.cursor.blockNumber()
            for s in self.extraSelections()
            if s.format.property(QTextFormat.Property.FullWidthSelection)
            and self._pane is not None
            and self._pane.lines[s.cursor.blockNumber()].number is not None
        ]


class ProgramPane(QWidget):
    """One program: its run's name, Copy and Save, and the code."""

    statusMessage = Signal(str, bool)

    def __init__(self, side: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # A run's label may be long: it ends in "…" rather than widening the pane (and the window).
        self.title = ElidedLabel(self)
        self.title.setObjectName("codeTitle")
        bold = self.title.font()
        bold.setBold(True)
        bold.setPointSizeF(bold.pointSizeF() + 1)
        self.title.setFont(bold)
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setToolTip("Copy this program to the clipboard")
        self.copy_button.clicked.connect(self.copy)
        self.save_button = QPushButton("Save…", self)
        self.save_button.setToolTip("Save this program as a .py file: run it anywhere, it prints its makespan")
        self.save_button.clicked.connect(self.ask_save)
        self.editor = CodeEditor(side, self)
        head = QHBoxLayout()
        head.setContentsMargins(8, 4, 4, 4)
        head.addWidget(self.title, 1)
        head.addWidget(self.copy_button)
        head.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(head)
        layout.addWidget(self.editor, 1)
        self._pane: CodePane | None = None

    def set_pane(self, pane: CodePane | None) -> None:
        self._pane = pane
        ok = pane is not None and pane.program.ok
        self.title.setText(pane.program.label if pane is not None else "")
        self.title.setToolTip(pane.program.file_name if ok else (pane.program.problem if pane else ""))
        self.copy_button.setEnabled(ok)
        self.save_button.setEnabled(ok)
        self.editor.set_pane(pane)

    def program_text(self) -> str:
        return self._pane.program.text if self._pane is not None else ""

    def copy(self) -> None:
        if self._pane is None or not self._pane.program.ok:
            return
        QGuiApplication.clipboard().setText(self._pane.program.text)
        self.statusMessage.emit(f"Copied the {self._pane.program.label} program to the clipboard.", False)

    def ask_save(self) -> None:
        if self._pane is None or not self._pane.program.ok:
            return
        dialog = QFileDialog(self.window(), "Save the program")
        dialog.setNameFilter("Python programs (*.py);;All files (*)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setDefaultSuffix("py")
        dialog.selectFile(self._pane.program.file_name)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.save_to)
        dialog.open()

    def save_to(self, path: str | Path) -> None:
        path = Path(path)
        try:
            write_atomic(path, self.program_text().encode("utf-8"))
        except OSError as exc:
            self.statusMessage.emit(f"{path}: cannot write it: {exc.strerror or exc}", True)
            return
        self.statusMessage.emit(f"Wrote {path}: run it with python3 {path.name}", False)


# -- the tab ---------------------------------------------------------------------------------


class CodeView(QWidget):
    """The Code tab. :meth:`set_runs` takes the shown runs and their scenario; two or more runs compare two.

    Signals
    -------
    statusMessage(str, bool): a line for the status bar, and whether it is an error.
    """

    statusMessage = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._traces: list[Trace] = []
        self._labels: list[str] = []
        self._scenario: Scenario | None = None
        self.comparison: CodeComparison | None = None
        self.summary = QLabel(self)
        self.summary.setObjectName("codeSummary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        font = self.summary.font()
        font.setPointSizeF(font.pointSizeF() + 1.5)
        self.summary.setFont(font)
        self.left_run = QComboBox(self)
        self.left_run.setToolTip("The run whose program the left side shows")
        self.right_run = QComboBox(self)
        self.right_run.setToolTip("The run whose program the right side shows")
        for combo in (self.left_run, self.right_run):
            # Sized to a few characters, not to the longest label: a combo sized to its contents keeps
            # that width once shown, and the window could not shrink again after a wide comparison.
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(12)
        self.left_run.currentIndexChanged.connect(self._refresh)
        self.right_run.currentIndexChanged.connect(self._refresh)
        self.panes = [ProgramPane("left", self), ProgramPane("right", self)]
        for pane in self.panes:
            pane.statusMessage.connect(self.statusMessage)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        for pane in self.panes:
            self.splitter.addWidget(pane)
        self.splitter.setChildrenCollapsible(False)
        left_bar, right_bar = (p.editor.verticalScrollBar() for p in self.panes)
        left_bar.valueChanged.connect(right_bar.setValue)
        right_bar.valueChanged.connect(left_bar.setValue)
        left_h, right_h = (p.editor.horizontalScrollBar() for p in self.panes)
        left_h.valueChanged.connect(right_h.setValue)
        right_h.valueChanged.connect(left_h.setValue)
        head = QHBoxLayout()
        head.setContentsMargins(10, 6, 10, 6)
        head.addWidget(self.summary, 1)
        self._pickers = QWidget(self)
        pl = QHBoxLayout(self._pickers)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.addWidget(self.left_run)
        pl.addWidget(QLabel("against", self._pickers))
        pl.addWidget(self.right_run)
        head.addWidget(self._pickers)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(head)
        layout.addWidget(self.splitter, 1)
        self.set_runs([], [], None)

    def set_runs(self, traces: list[Trace], labels: list[str], scenario: Scenario | None) -> None:
        """Show the programs of ``traces`` (labelled ``labels``), all runs of ``scenario``."""
        self._traces, self._labels, self._scenario = list(traces), list(labels), scenario
        for combo in (self.left_run, self.right_run):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(self._labels)
            combo.blockSignals(False)
        if len(self._labels) > 1:
            self.right_run.setCurrentIndex(1)
        self._pickers.setVisible(len(self._labels) > 2)
        self._refresh()

    def set_dark(self, dark: bool) -> None:
        for pane in self.panes:
            pane.editor.set_dark(dark)

    def _refresh(self) -> None:
        traces = self._traces
        if not traces:
            self.comparison = None
            self.summary.setText("Run a scenario: this tab shows the plain Python program each model runs.")
            self.panes[0].set_pane(None)
            self.panes[1].hide()
            return
        li = max(0, self.left_run.currentIndex())
        programs = [run_program(traces[li], self._labels[li], self._scenario)]
        if len(traces) > 1:
            ri = max(0, self.right_run.currentIndex())
            programs.append(run_program(traces[ri], self._labels[ri], self._scenario))
            self.comparison = compare_programs(*programs)
        else:
            self.comparison = single_program(programs[0])
        self.summary.setText(self.comparison.summary)
        for i, pane in enumerate(self.panes):
            if i < len(self.comparison.panes):
                pane.set_pane(self.comparison.panes[i])
                pane.show()
            else:
                pane.set_pane(None)
                pane.hide()


__all__ = ["CodeEditor", "CodeView", "ProgramPane", "PythonHighlighter", "code_font"]
