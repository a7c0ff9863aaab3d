"""Start the GUI: one QApplication, asyncio integrated through qasync, one main window.

Order matters (see docs on qasync): PySide6 is imported before qasync so qasync
binds to it, the QApplication exists before the loop, tasks start inside the
running loop, and ``main()`` returns only after every probe has been stopped.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

# PySide6 before qasync: qasync binds to the Qt binding already imported.
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

import qasync  # isort: skip

# numpy imports numpy.ma on the first np.unique, which comes in a run's first live frame, and PySide's
# import hook reads the source of every module imported after it: that stalled the frame over 100 ms.
import numpy.ma  # noqa: F401  # isort: skip

from .. import __version__
from ..desktop import APP_ID
from ..resources import resource_path
from .fonts import load_bundled_fonts
from .window import MainWindow


def window_icon() -> QIcon:
    """The app's icon at every size shipped, else the desktop theme's icon of that name."""
    icon = QIcon()
    for size in (48, 128, 256):
        try:
            icon.addFile(str(resource_path("icons", f"{APP_ID}-{size}.png")))
        except FileNotFoundError:
            pass
    return icon if not icon.isNull() else QIcon.fromTheme(APP_ID)


def make_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication, named for QSettings and the desktop, with the bundled font (created once)."""
    app = QApplication.instance()
    if app is None:
        QCoreApplication.setOrganizationName("Threadloom")
        QCoreApplication.setOrganizationDomain("threadloom.github.io")
        QCoreApplication.setApplicationName("Threadloom")
        QCoreApplication.setApplicationVersion(__version__)
        app = QApplication(argv if argv is not None else sys.argv[:1])
        app.setDesktopFileName(APP_ID)  # lets Wayland match the window to its .desktop file and icon
        app.setWindowIcon(window_icon())
        load_bundled_fonts()
    assert isinstance(app, QApplication)
    return app


async def _run_window(app: QApplication, scenario: str | None) -> int:
    """Show the window and return once it is closed or a quit was asked for, with every probe stopped.

    Quitting never stops Qt's loop directly: that would end qasync's loop while
    this coroutine still has probes to stop ("Event loop stopped before Future
    completed"). Every way out sets ``quitting`` and lets this coroutine finish.
    """
    loop = asyncio.get_running_loop()
    quitting = asyncio.Event()

    def request_quit(*_args: object) -> None:
        loop.call_soon_threadsafe(quitting.set)  # also safe from a signal handler

    app.setQuitOnLastWindowClosed(False)
    app.lastWindowClosed.connect(request_quit)
    app.aboutToQuit.connect(request_quit)
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Ctrl-C in the terminal, or SIGTERM at logout: quit the way the Quit action does.
        signal.signal(sig, request_quit)
    # Python runs signal handlers only when it gets control; a light timer lets it in.
    wake = QTimer(app)
    wake.setInterval(200)
    wake.timeout.connect(lambda: None)
    wake.start()

    window = MainWindow()
    if scenario:
        window.select_scenario(scenario)
    if os.environ.get("THREADLOOM_EXIT_AFTER_PAINT") == "1":
        window.installEventFilter(_AnnounceFirstPaint(window, request_quit))
    window.show()
    window.start_background()
    await quitting.wait()
    await window.shutdown()
    if window.isVisible():
        window.close()
    wake.stop()
    return 0


class _AnnounceFirstPaint(QObject):
    """THREADLOOM_EXIT_AFTER_PAINT=1: print when the window first paints, then quit (benchmarks/bench_startup.py)."""

    def __init__(self, parent: QObject, request_quit) -> None:
        super().__init__(parent)
        self._request_quit = request_quit

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            print("threadloom: first paint", flush=True)
            self._request_quit()
        return False


def main(scenario: str | None = None) -> int:
    """Open the window (optionally with ``scenario`` selected) and return the exit status when it closes."""
    app = make_app()
    try:
        return qasync.run(_run_window(app, scenario))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else None))
