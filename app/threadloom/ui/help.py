"""The Help menu's two boxes: the keyboard shortcuts and About Threadloom."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from .. import __version__

#: (keys, what they do), as the shortcuts box lists them.
SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("Ctrl+R / F5", "run the scenario (a comparison if several models are checked)"),
    ("Esc / Ctrl+.", "stop the run (the partial trace is kept)"),
    ("Space", "play / pause the replay"),
    ("Home / End", "replay: back to start / jump to end"),
    ("Ctrl+Left / Ctrl+Right", "replay: step back / forward"),
    (", / .", "replay: step back / forward"),
    ("[ / ]", "replay: slower / faster (1x down to 0.001x)"),
    ("Ctrl+0 / F", "fit the whole run in the timeline (or double-click it)"),
    ("Ctrl+L", "follow the live run"),
    ("Ctrl+Shift+D", "dark / light palette"),
    ("Ctrl+O", "open a scenario file"),
    ("Ctrl+E", "edit the scenario"),
    ("Ctrl+S", "save the run"),
    ("Ctrl+Shift+O", "open a saved run"),
    ("Ctrl+Shift+E", "export a picture"),
    ("Ctrl+Shift+C", "copy a picture to the clipboard"),
    ("Ctrl+Shift+W", "experiments: sweep one parameter and plot a metric against it"),
    ("Ctrl+Shift+U", "experiments: what a thread, a Task and a process cost"),
    ("F1", "this list"),
    ("Ctrl+Q", "quit"),
)


def show_shortcuts(parent: QWidget) -> None:
    html = "<table cellpadding=4>" + "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in SHORTCUTS)
    QMessageBox.information(parent, "Keyboard shortcuts", html + "</table>")


def show_about(parent: QWidget) -> None:
    QMessageBox.about(
        parent,
        "About Threadloom",
        f"<h3>Threadloom {__version__}</h3>"
        "<p>See how CPython really schedules threads, thread pools, coroutines and processes: "
        "real workloads run in a probe process on your machine, every scheduling state is recorded, "
        "and the run is drawn live and replayed in slow motion.</p>"
        "<p>The gold token is the GIL. Orange means ready: able to run, but waiting for the GIL.</p>"
        "<p>Built with Qt for Python (PySide6), pyqtgraph, qasync and NumPy. MIT licence.</p>",
    )


__all__ = ["SHORTCUTS", "show_about", "show_shortcuts"]
