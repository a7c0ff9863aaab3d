"""Take the Code tab's screenshot from the real app, offscreen: threads against asyncio, side by side.

    QT_QPA_PLATFORM=offscreen python docs/screenshots/make_code_screenshot.py [OUT.png]

Runs the blocking-in-loop preset under threads and asyncio with the real probe, shows both
runs as a comparison and grabs the window with the Code tab in front, scrolled to where the
programs part ways: every function that waits gained ``async``, every call to one ``await``,
and the blocking call stayed as it was.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from threadloom.engine import RunRequest, run_blocking
from threadloom.scenario import resolve_scenario
from threadloom.ui.app import make_app
from threadloom.ui.window import MainWindow

SIZE = (1920, 1080)
PRESET = "blocking-in-loop"
MODELS = ("threads", "asyncio")


def _settle(rounds: int = 20) -> None:
    for _ in range(rounds):
        QApplication.processEvents()


def shoot(out: Path) -> None:
    scenario = resolve_scenario(PRESET)
    traces = [run_blocking(RunRequest(scenario, model, None, None, None)) for model in MODELS]
    settings = QSettings(os.path.join(tempfile.mkdtemp(), "shots.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=settings)
    w.resize(*SIZE)
    w.show()
    _settle()
    w.select_scenario(PRESET)
    w.set_models(list(MODELS))
    w.show_traces(traces, list(MODELS))
    w.scheduler_dock.hide()
    w.summary_dock.hide()  # the code takes the height: both programs, whole
    w.centre_tabs.setCurrentWidget(w.code_view)
    _settle()
    # Start a few rows above the first function that changed colour.
    left = w.code_view.panes[0].editor
    rows = [i for i in w.code_view.comparison.panes[1].changed_rows if "def " in left.pane().lines[i].text]
    if rows:
        left.verticalScrollBar().setValue(max(0, rows[0] - 3))
    spans = ", ".join(f"{m} {t.end_ns / 1e6:,.0f} ms" for m, t in zip(MODELS, traces, strict=True))
    w.set_status(f"Measured makespans: {spans}. The blocking call, unchanged in both, holds asyncio's loop.")
    _settle()
    w.grab().save(str(out))
    w.close()


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "code-compare.png"
    app = make_app([])
    app.setQuitOnLastWindowClosed(False)
    shoot(out)
    print(f"Wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
