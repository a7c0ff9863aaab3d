"""The File menu's save, open and export actions, and dropping saved runs onto the window.

The main window calls :func:`install_file_actions` once. Everything here turns
the window's runs into files with :mod:`threadloom.export` (and pictures with
:mod:`threadloom.ui.render`) and back; nothing measures anything. Dialogs are
opened with ``open()`` (not ``exec()``), so no nested event loop runs under
qasync, and the heavy part of saving and loading (compressing, hashing,
validating) runs in a worker thread when an asyncio loop is running. Every
failure ends as one line in a message box and the status bar; the window
stays usable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QSpinBox,
    QWidget,
)

from .._files import write_atomic
from ..errors import ThreadloomError
from ..export.caption import FORMATS, MAX_SIZE, MIN_SIZE, VIEWS, caption_for
from ..export.savefile import SUFFIX, SavedRuns, load_runs
from ..model import Trace

_RUN_FILTER = f"Threadloom runs (*{SUFFIX})"
_PICTURE_FILTERS = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)", "pdf": "PDF document (*.pdf)"}
_SIZES = ((1600, 900), (1920, 1080), (2560, 1440), (3840, 2160), (1200, 800))

#: Saved runs handed over before the window exists (``threadloom open FILE``); shown once it does.
_pending: list[SavedRuns] = []


def open_on_start(saved: SavedRuns) -> None:
    """Show ``saved`` in the next window that installs the file actions (for ``threadloom open``)."""
    _pending.append(saved)


def install_file_actions(window) -> FileActions:
    """Add Save/Open/Export to ``window.file_menu``, accept dropped ``.tlrun`` files, show pending files."""
    actions = FileActions(window)
    if _pending:
        saved = _pending.pop(0)
        QTimer.singleShot(0, lambda: actions.show_saved(saved))
    return actions


class FileActions(QObject):
    """The File menu's actions for one main window.

    Attributes
    ----------
    window: the main window (``show_traces``, ``set_replay_time``, ``timeline``, ``scheduler``, ``file_menu``).
    opened: the saved run shown last, if the window shows one.
    last_path: the file written or read last (tests and the status bar use it).
    """

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.opened: SavedRuns | None = None
        self.last_path: Path | None = None
        self._dialogs: list[QWidget] = []
        #: The export dialog's last choices (view, size entry, format), so the next one starts there.
        self._picture_choice: tuple[str, Any, str] = ("window", None, "png")
        menu = window.file_menu
        self.save_action = self._action("&Save run…", QKeySequence("Ctrl+S"), self.ask_save)
        self.open_action = self._action("Open &run…", QKeySequence("Ctrl+Shift+O"), self.ask_open)
        self.picture_action = self._action("Export &picture…", QKeySequence("Ctrl+Shift+E"), self.ask_picture)
        self.copy_action = self._action("&Copy picture to clipboard", QKeySequence("Ctrl+Shift+C"), self.copy_picture)
        self.trace_action = self._action("Export &trace (Perfetto JSON)…", None, self.ask_trace)
        self.csv_action = self._action("Export &CSV…", None, self.ask_csv)
        first = menu.actions()[0] if menu.actions() else None
        for action in (self.open_action, self.save_action):
            menu.insertAction(first, action)
        if first is not None:
            menu.insertSeparator(first)
        exports = (self.picture_action, self.copy_action, self.trace_action, self.csv_action)
        menu.insertActions(first, list(exports))
        if first is not None:
            menu.insertSeparator(first)
        menu.aboutToShow.connect(self._update_enabled)
        self._drops = _DropFilter(self)
        self._drops.install(window)

    def _action(self, text: str, shortcut, slot: Callable[[], None]) -> QAction:
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _update_enabled(self) -> None:
        has_runs = bool(self.shown_runs()[0])
        for action in (self.save_action, self.picture_action, self.copy_action, self.trace_action, self.csv_action):
            action.setEnabled(has_runs)

    # -- what the window shows --------------------------------------------
    def shown_runs(self) -> tuple[list[Trace], list[str]]:
        """The runs the window shows now (finished ones, or what a stopped run recorded)."""
        return self.window.current_traces(), self.window.current_labels()

    def _showing_opened(self) -> bool:
        traces = self.window.current_traces()
        return self.opened is not None and bool(traces) and traces[0] is self.opened.traces[0]

    def scenario_text(self) -> str:
        """The TOML of the scenario the shown runs ran: from the opened file, or the selected scenario if it matches."""
        if self._showing_opened():
            return self.opened.scenario_text
        traces = self.window.current_traces()
        scenario = self.window.controls.current_scenario()
        if scenario is not None and traces and traces[0].header.get("scenario") == scenario.name:
            return scenario.text
        return ""

    def replay_time_ms(self) -> float | None:
        return self.window.replay_time_ms()

    def _created(self) -> str | None:
        return self.opened.created if self._showing_opened() else None

    # -- messages ----------------------------------------------------------
    def status(self, message: str, error: bool = False) -> None:
        self.window.set_status(message, error=error)

    def fail(self, title: str, message: str) -> None:
        """One line in the status bar and a window-modal box that does not block the event loop."""
        self.status(message, error=True)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self.window)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _no_runs(self) -> bool:
        if self.shown_runs()[0]:
            return False
        self.fail("Nothing to export", "There is no run to save or export yet: run a scenario or open a saved run.")
        return True

    # -- open --------------------------------------------------------------
    def ask_open(self) -> None:
        self._file_dialog("Open a saved run", _RUN_FILTER, save=False, on_path=self.open_path)

    def open_path(self, path: str | Path) -> None:
        """Load ``path`` (in a worker thread when possible) and show it; a bad file only costs a message."""
        path = Path(path)
        self.status(f"Opening {path.name}…")
        self._background(
            lambda: load_runs(path), self.show_saved, lambda exc: self.fail("Cannot open this run", str(exc))
        )

    def show_saved(self, saved: SavedRuns) -> None:
        experiments = getattr(self.window, "experiments", None)
        if saved.sweep is not None and experiments is not None:  # a saved sweep reopens with its plot
            experiments.show_saved_sweep(saved)
            self.status(f"Opened the sweep {saved.path.name if saved.path else ''} on the sweep page.")
            return
        self.opened = saved
        self.last_path = saved.path
        self.window.show_traces(saved.traces, saved.labels)
        end_ms = max(t.end_ns for t in saved.traces) / 1e6
        self.window.set_replay_time(end_ms)
        name = saved.path.name if saved.path else "saved run"
        when = f", recorded {saved.created}" if saved.created else ""
        self.status(f"Opened {name}: {', '.join(saved.labels)}{when}. Nothing was run; press play to replay.")
        if saved.path is not None and hasattr(self.window, "setWindowFilePath"):
            self.window.setWindowFilePath(str(saved.path))

    # -- save and exports ----------------------------------------------------
    def ask_save(self) -> None:
        if not self._no_runs():
            self._file_dialog("Save run", _RUN_FILTER, save=True, on_path=self.save_to, suffix=SUFFIX[1:])

    def save_to(self, path: str | Path) -> None:
        from ..export.savefile import runs_to_bytes

        traces, labels = self.shown_runs()
        text = self.scenario_text()
        self._write(Path(path), lambda: runs_to_bytes(traces, text, labels))

    def ask_trace(self) -> None:
        if not self._no_runs():
            self._file_dialog(
                "Export trace for Perfetto",
                "Chrome trace JSON (*.json)",
                save=True,
                on_path=self.trace_to,
                suffix="json",
            )

    def trace_to(self, path: str | Path) -> None:
        from ..export.perfetto import chrome_trace_json

        traces, labels = self.shown_runs()
        self._write(Path(path), lambda: chrome_trace_json(traces, labels).encode("utf-8"))

    def ask_csv(self) -> None:
        if not self._no_runs():
            self._file_dialog("Export segments as CSV", "CSV (*.csv)", save=True, on_path=self.csv_to, suffix="csv")

    def csv_to(self, path: str | Path) -> None:
        from ..export.csv_export import segments_csv

        traces, labels = self.shown_runs()
        self._write(Path(path), lambda: segments_csv(traces, labels).encode("utf-8"))

    def _write(self, path: Path, build: Callable[[], bytes]) -> None:
        def write() -> Path:
            write_atomic(path, build())
            return path

        self._background(write, self._wrote, lambda exc: self.fail("Cannot write the file", f"{path}: {_reason(exc)}"))

    def _wrote(self, path: Path) -> None:
        self.last_path = path
        self.status(f"Wrote {path}")

    # -- pictures ------------------------------------------------------------
    def view_widget(self, view: str) -> QWidget:
        if view == "timeline":
            return self.window.timeline
        if view == "scheduler":
            return self.window.scheduler
        return self.window

    def runs_for(self, view: str) -> tuple[list[Trace], list[str]]:
        """The runs a picture of ``view`` shows: all of them, or the scheduler view's one."""
        traces, labels = self.shown_runs()
        if view == "scheduler" and traces:
            i = min(max(self.window.scheduler_run.currentIndex(), 0), len(traces) - 1)
            return traces[i : i + 1], labels[i : i + 1]
        return traces, labels

    def caption(self, view: str = "window"):
        traces, labels = self.runs_for(view)
        return caption_for(traces, labels, self._created())

    def copy_picture(self) -> None:
        from .render import copy_picture

        if self._no_runs():
            return
        image = copy_picture(self.window, self.caption(), dark=self.window.is_dark())
        self.status(f"Copied a {image.width()} × {image.height()} picture of the window to the clipboard")

    def ask_picture(self) -> None:
        if self._no_runs():
            return
        dialog = PictureDialog(self.window, {v: self.view_widget(v).size() for v in VIEWS}, *self._picture_choice)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def chosen() -> None:
            view, size, fmt = dialog.choice()
            self._picture_choice = (view, dialog.size_choice(), fmt)  # the next export starts from these
            self._file_dialog(
                "Export picture",
                _PICTURE_FILTERS[fmt],
                save=True,
                suffix=fmt,
                on_path=lambda path: self.picture_to(path, view, size),
            )

        dialog.accepted.connect(chosen)
        dialog.open()

    def picture_to(self, path: str | Path, view: str = "window", size: tuple[int, int] | None = None) -> None:
        """Write a picture of ``view``: at the size shown (``size`` None), or redrawn at ``size``."""
        from ..export.caption import picture_format
        from .render import render_bytes, render_runs

        path = Path(path)
        try:
            fmt = picture_format(path, option="picture")
            widget = self.view_widget(view)
            caption = self.caption(view)
            dark = self.window.is_dark()
            if size is None:
                ratio = widget.devicePixelRatioF()
                data = render_bytes(widget, fmt, None, caption, dark=dark, title=caption.title, pixel_ratio=ratio)
            else:
                traces, labels = self.runs_for(view)
                data = render_runs(
                    traces,
                    labels,
                    fmt,
                    size,
                    view=view,
                    at_ms=self.replay_time_ms(),
                    when=self._created(),
                    dark=dark,
                    scenario=self.window.controls.current_scenario(),
                    status=self.window.status_message(),
                    window_class=type(self.window),
                )
            write_atomic(path, data)
        except (OSError, ThreadloomError) as exc:
            self.fail("Cannot export the picture", f"{path}: {_reason(exc)}")
            return
        self._wrote(path)

    # -- plumbing ------------------------------------------------------------
    def _file_dialog(
        self, title: str, name_filter: str, save: bool, on_path: Callable[[str], None], suffix: str | None = None
    ) -> None:
        dialog = QFileDialog(self.window, title)
        dialog.setNameFilter(name_filter)
        if save:
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.setFileMode(QFileDialog.FileMode.AnyFile)
            if suffix:
                dialog.setDefaultSuffix(suffix)
                traces, labels = self.shown_runs()
                stem = _file_stem(traces, labels)
                dialog.selectFile(f"{stem}.{suffix}")
        else:
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(on_path)
        dialog.open()

    def _background(
        self, work: Callable[[], Any], done: Callable[[Any], None], failed: Callable[[BaseException], None]
    ) -> None:
        """Run ``work`` in a thread if an asyncio loop runs (the app under qasync), else right here."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            try:
                result = work()
            except (OSError, ThreadloomError) as exc:
                failed(exc)
                return
            done(result)
            return

        def finished(future: asyncio.Future) -> None:
            exc = future.exception()
            if isinstance(exc, (OSError, ThreadloomError)):
                failed(exc)
            elif exc is not None:
                failed(exc)
                raise exc
            else:
                done(future.result())

        loop.run_in_executor(None, work).add_done_callback(finished)


def _reason(exc: BaseException) -> str:
    """An OSError's reason without the temporary file's name; other errors as they are."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


def _file_stem(traces: list[Trace], labels: list[str]) -> str:
    scenario = str(traces[0].header.get("scenario", "run")) if traces else "run"
    words = "".join(c if c.isalnum() else "-" for c in scenario.split(":")[0].lower()).strip("-")
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return f"{words or 'run'}-{'-vs-'.join(labels) or 'run'}-{stamp}"


def _index_of(box: QComboBox, data: Any) -> int:
    """The entry of ``box`` holding ``data`` (the first if none does); ``findData`` misses Python
    strings and tuples in PySide6."""
    return next((i for i in range(box.count()) if box.itemData(i) == data), 0)


class PictureDialog(QDialog):
    """What to draw (window, timeline, scheduler), at which size, in which format."""

    def __init__(
        self, parent: QWidget, shown: dict[str, Any], view: str = "window", size: Any = None, fmt: str = "png"
    ) -> None:
        super().__init__(parent)
        first_view, first_size, first_format = view, size, fmt
        self.setWindowTitle("Export picture")
        self._shown = shown
        form = QFormLayout(self)
        self._form = form
        self.view = QComboBox()
        for view in VIEWS:
            self.view.addItem(
                {"window": "The whole window", "timeline": "The timeline", "scheduler": "The scheduler view"}[view],
                view,
            )
        self.size = QComboBox()
        self.width_box, self.height_box = QSpinBox(), QSpinBox()
        for box, low, high in ((self.width_box, MIN_SIZE[0], MAX_SIZE[0]), (self.height_box, MIN_SIZE[1], MAX_SIZE[1])):
            box.setRange(low, high)
            box.setSuffix(" px")
        self.width_box.setValue(1600)
        self.height_box.setValue(900)
        self.custom = custom = QWidget()
        row = QHBoxLayout(custom)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.width_box)
        row.addWidget(QLabel("×"))
        row.addWidget(self.height_box)
        self.format = QComboBox()
        for fmt in FORMATS:
            self.format.addItem(_PICTURE_FILTERS[fmt].split(" (")[0], fmt)
        note = QLabel(
            "A caption with the scenario, models, interpreter, settings, date and the "
            "legend of states is added below the picture."
        )
        note.setWordWrap(True)
        form.addRow("Draw", self.view)
        form.addRow("Size", self.size)
        form.addRow("", custom)
        form.addRow("Format", self.format)
        form.addRow(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export…")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.view.currentIndexChanged.connect(self._fill_sizes)
        self.size.currentIndexChanged.connect(self._sync_custom)
        self.view.setCurrentIndex(_index_of(self.view, first_view))
        self.format.setCurrentIndex(_index_of(self.format, first_format))
        self._fill_sizes()
        if isinstance(first_size, tuple):
            custom = first_size[0] == "custom"
            w, h = first_size[1] if custom else first_size
            self.width_box.setValue(w)
            self.height_box.setValue(h)
            data = "custom" if custom else first_size
            self.size.setCurrentIndex(_index_of(self.size, data))
        self._sync_custom()

    def _fill_sizes(self) -> None:
        shown = self._shown[self.view.currentData()]
        kept = self.size.currentData()
        self.size.clear()
        self.size.addItem(f"As shown ({shown.width()} × {shown.height()} + caption)", None)
        for w, h in _SIZES:
            self.size.addItem(f"{w} × {h}", (w, h))
        self.size.addItem("Custom", "custom")
        if kept is not None:
            self.size.setCurrentIndex(_index_of(self.size, kept))
        self._sync_custom()

    def _sync_custom(self) -> None:
        """The width and height boxes only with "Custom": beside "As shown" they would say nothing."""
        custom = self.size.currentData() == "custom"
        self._form.setRowVisible(self.custom, custom)
        self.width_box.setEnabled(custom)
        self.height_box.setEnabled(custom)

    def size_choice(self) -> Any:
        """The size entry chosen, to start the next export from: None, (w, h) or ("custom", (w, h))."""
        size = self.size.currentData()
        return ("custom", (self.width_box.value(), self.height_box.value())) if size == "custom" else size

    def choice(self) -> tuple[str, tuple[int, int] | None, str]:
        size = self.size.currentData()
        if size == "custom":
            size = (self.width_box.value(), self.height_box.value())
        return self.view.currentData(), size, self.format.currentData()


class _DropFilter(QObject):
    """Accepts ``.tlrun`` files dropped anywhere on the window, even over a text box or the timeline."""

    def __init__(self, actions: FileActions) -> None:
        super().__init__(actions)
        self.actions = actions

    def install(self, window: QWidget) -> None:
        window.setAcceptDrops(True)
        window.installEventFilter(self)
        for child in window.findChildren(QWidget):
            if child.acceptDrops():
                child.installEventFilter(self)

    @staticmethod
    def saved_runs_in(event) -> list[Path]:
        mime = event.mimeData()
        if mime is None or not mime.hasUrls():
            return []
        return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile() and u.toLocalFile().endswith(SUFFIX)]

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if self.saved_runs_in(event):
                event.acceptProposedAction()
                return True
        elif kind == QEvent.Type.Drop:
            paths = self.saved_runs_in(event)
            if paths:
                event.acceptProposedAction()
                self.actions.open_path(paths[0])
                return True
        return False
