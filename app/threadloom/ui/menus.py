"""The main window's menus and shortcuts: File, Run, Replay, View and Help.

:class:`WindowMenus` builds the actions on the window's menu bar and connects
them to the window's slots; it keeps the actions whose state changes (Run and
Stop, the dark palette, following the live run) and the recent-files menu.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import QObject, QSignalBlocker
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu


def add_action(
    menu: QMenu,
    parent: QObject,
    text: str,
    slot: Callable,
    shortcuts: Iterable[str | QKeySequence.StandardKey] = (),
    tip: str = "",
    checkable: bool = False,
) -> QAction:
    """An action on ``menu`` that calls ``slot``, with its shortcuts and a tooltip that is also its status tip.

    A key given twice (``StandardKey.Quit`` is Ctrl+Q on most desktops) is kept once: Qt treats a
    key bound twice as ambiguous and then triggers nothing. Standard keys a platform leaves unbound
    are dropped.
    """
    action = QAction(text, parent)
    sequences: list[QKeySequence] = []
    for spec in shortcuts:
        seq = QKeySequence(spec)
        if not seq.isEmpty() and seq not in sequences:
            sequences.append(seq)
    if sequences:
        action.setShortcuts(sequences)
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    action.setCheckable(checkable)
    action.triggered.connect(slot)
    menu.addAction(action)
    return action


class WindowMenus:
    """The menu bar of one main window.

    Attributes
    ----------
    file_menu, recent_menu: the File menu (file actions add to it) and its Recent Scenarios submenu.
    view_menu: the View menu.
    quit_action, run_action, stop_action, dark_action, follow_action: the actions whose state changes.
    fit_action: View > Fit to the Run.
    """

    def __init__(self, window: QMainWindow) -> None:
        # The window is a MainWindow; naming it here would make the two modules import each other.
        self._window = w = window
        bar = w.menuBar()

        def action(menu, text, slot, shortcuts=(), tip="", checkable=False) -> QAction:
            return add_action(menu, w, text, slot, shortcuts, tip, checkable)

        self.file_menu = bar.addMenu("&File")
        action(self.file_menu, "&Open Scenario…", w.open_scenario_dialog, ["Ctrl+O"], "Open a scenario TOML file")
        action(
            self.file_menu,
            "&Edit Scenario…",
            w.open_editor,
            ["Ctrl+E"],
            "Edit the scenario's TOML, validated as you type",
        )
        self.recent_menu = self.file_menu.addMenu("Recent Scenarios")
        self.file_menu.addSeparator()
        self.file_menu.addSeparator()
        self.quit_action = action(self.file_menu, "&Quit", w.close, ["Ctrl+Q"], "Close the window")

        run_menu = bar.addMenu("&Run")
        self.run_action = action(
            run_menu, "&Run", w.start_run, ["Ctrl+R", "F5"], "Run the scenario under every checked model"
        )
        self.stop_action = action(
            run_menu, "&Stop", w.stop_run, ["Escape", "Ctrl+."], "Stop the run; the partial trace is kept"
        )
        self.stop_action.setEnabled(False)

        replay = w.replay
        replay_menu = bar.addMenu("Re&play")
        action(replay_menu, "&Play / Pause", replay.toggle, ["Space"], "Play or pause the replay")
        action(replay_menu, "Back to &Start", lambda: w.set_replay_time(0), ["Home"])
        action(replay_menu, "Jump to &End", lambda: w.set_replay_time(replay.clock.duration_ms), ["End"])
        action(replay_menu, "Step &Back", lambda: self._step(-1), ["Ctrl+Left", ","])
        action(replay_menu, "Step &Forward", lambda: self._step(+1), ["Ctrl+Right", "."])
        replay_menu.addSeparator()
        action(replay_menu, "&Slower", lambda: replay.step_speed(False), ["["])
        action(replay_menu, "F&aster", lambda: replay.step_speed(True), ["]"])

        self.view_menu = view_menu = bar.addMenu("&View")
        self.fit_action = action(
            view_menu,
            "&Fit to the Run",
            w.timeline.fit_time,
            ["Ctrl+0", "F"],
            "Show the whole run, from its start to its end (or double-click the timeline)",
        )
        self.dark_action = action(
            view_menu,
            "&Dark Palette",
            w.set_dark,
            ["Ctrl+Shift+D"],
            "Switch between the light and dark palettes",
            checkable=True,
        )
        self.follow_action = action(
            view_menu,
            "&Follow the Live Run",
            w.timeline.follow_live,
            ["Ctrl+L"],
            "Keep the newest events in view while a run is live",
            checkable=True,
        )
        self.follow_action.setChecked(True)
        view_menu.addSeparator()
        view_menu.addAction(w.controls_dock.toggleViewAction())
        view_menu.addAction(w.scheduler_dock.toggleViewAction())
        view_menu.addAction(w.summary_dock.toggleViewAction())
        action(view_menu, "&Reset Layout", w.reset_layout, [], "Show every panel at its default size")

        help_menu = bar.addMenu("&Help")
        action(help_menu, "&Keyboard Shortcuts", w.show_shortcuts, ["F1"])
        action(help_menu, "&About Threadloom", w.show_about)

    def keep_quit_last(self) -> None:
        """Move Quit back to the end of the File menu, after whatever was added to it."""
        self.file_menu.removeAction(self.quit_action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)

    def set_running(self, running: bool) -> None:
        self.run_action.setEnabled(not running)
        self.stop_action.setEnabled(running)

    def set_dark(self, dark: bool) -> None:
        """Tick the Dark Palette action without triggering it."""
        with QSignalBlocker(self.dark_action):
            self.dark_action.setChecked(dark)

    def set_recent(self, paths: list[str], open_path: Callable[[str], object]) -> None:
        """List ``paths`` under Recent Scenarios; choosing one calls ``open_path`` with it."""
        self.recent_menu.clear()
        for path in paths:
            entry = self.recent_menu.addAction(Path(path).name)
            entry.setToolTip(path)
            entry.triggered.connect(lambda _checked=False, p=path: open_path(p))
        self.recent_menu.setEnabled(bool(paths))

    def _step(self, direction: int) -> None:
        target = self._window.replay.clock.stepped(direction)
        if target is not None:
            self._window.set_replay_time(target)


__all__ = ["WindowMenus", "add_action"]
