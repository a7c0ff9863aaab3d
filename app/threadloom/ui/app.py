"""Start the GUI: one QApplication, asyncio integrated through qasync, one main window.

Order matters (see docs on qasync): PySide6 is imported before qasync so qasync
binds to it, the QApplication exists before the loop, tasks start inside the
running loop, and ``main()`` returns only after every probe has been stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys

# PySide6 before qasync: qasync binds to the Qt binding already imported.
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

import qasync  # isort: skip

from .. import __version__
from .fonts import load_bundled_fonts
from .window import APP_ID, MainWindow, window_icon


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
    quitting = asyncio.Event()
    app.aboutToQuit.connect(quitting.set)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Ctrl-C in the terminal, or a session logout: quit the way the Quit action does.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, app.quit)
    window = MainWindow()
    if scenario:
        window.select_scenario(scenario)
    window.show()
    window.start_background()
    await quitting.wait()
    await window.shutdown()
    return 0


def main(scenario: str | None = None) -> int:
    """Open the window (optionally with ``scenario`` selected) and return the exit status when it closes."""
    app = make_app()
    app.setQuitOnLastWindowClosed(True)
    try:
        return qasync.run(_run_window(app, scenario))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else None))
