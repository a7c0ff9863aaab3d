"""Draw a saved run to PNG, SVG or PDF without showing a window."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from ..errors import UsageError
from ..export.caption import DEFAULT_SIZE, VIEWS, caption_for, parse_size, picture_format
from ..model import Trace
from ..probe.models import MODELS
from ..scenario import Scenario
from .outputs import check_writable, write_atomic
from .run import parse_ms


class RenderCommand:
    """Draw a saved run (.tlrun) to a picture, headless: no display needed, no window shown.

    The picture is exactly --size pixels, caption included, and looks like the
    app: the same views, colours and bundled font.
    Examples:
      threadloom render convoy.tlrun --out convoy.png
      threadloom render compare.tlrun --out timeline.svg --view timeline --size 1920x1080
      threadloom render convoy.tlrun --out gil.pdf --view scheduler --at 250
    """

    name = "render"

    def prepare_parser(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("file", metavar="SAVED_RUN", help="a file written by File > Save run or `run --save`")
        parser.add_argument("--out", "-o", required=True, metavar="OUT", help="OUT.png, OUT.svg or OUT.pdf")
        parser.add_argument(
            "--size", metavar="WxH", help=f"picture size in pixels (default {DEFAULT_SIZE[0]}x{DEFAULT_SIZE[1]})"
        )
        parser.add_argument(
            "--view", default="window", metavar="VIEW", help=f"what to draw: {', '.join(VIEWS)} (default window)"
        )
        parser.add_argument("--at", metavar="MS", help="replay time in ms since the run started (default: the end)")
        parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")

    def run(self, args: argparse.Namespace) -> int:
        out = Path(args.out)
        fmt = picture_format(out, option="--out")
        size = parse_size(args.size)
        if args.view not in VIEWS:
            raise UsageError(f"--view: unknown view {args.view!r}; allowed: {', '.join(VIEWS)}")
        at_ms = parse_at(args.at)
        check_writable(out, args.force)
        from ..export.savefile import load_runs

        saved = load_runs(args.file)
        use_offscreen_qt()
        status = f"Opened {Path(args.file).name}, recorded {saved.created or 'at an unknown date'}; nothing was run."
        data = render_runs(
            saved.traces,
            saved.labels,
            fmt,
            size,
            view=args.view,
            at_ms=at_ms,
            when=saved.created,
            scenario=saved_scenario(saved),
            status=status,
        )
        write_atomic(out, data)
        print(f"Wrote {out}", file=sys.stderr)
        return 0


def saved_scenario(saved) -> Scenario | None:
    """The saved run's scenario, to show in the controls; None if it was not saved or no longer validates."""
    if not saved.scenario_text:
        return None
    from ..errors import ScenarioError
    from ..scenario import parse_scenario

    try:
        return parse_scenario(saved.scenario_text, source=saved.scenario_name or "saved scenario")
    except ScenarioError:
        return None


def parse_at(value: str | None) -> float | None:
    return None if value is None else parse_ms(value, "--at")


def use_offscreen_qt() -> None:
    """Headless pictures draw offscreen, display or not, so they come out the same on every machine."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_API", "pyside6")


def render_runs(
    traces: list[Trace],
    labels: list[str],
    fmt: str,
    size: tuple[int, int],
    view: str = "window",
    at_ms: float | None = None,
    when: str | None = None,
    dark: bool = False,
    scenario: Scenario | None = None,
    status: str | None = None,
) -> bytes:
    """The picture of ``view`` showing ``traces`` at replay time ``at_ms`` (default: the end), encoded as ``fmt``.

    The view is a fresh copy, laid out offscreen at exactly ``size`` (caption included). For the
    window, ``scenario`` is selected in its controls and ``status`` shown in its status bar, so the
    picture looks like the window right after the run.
    """
    use_offscreen_qt()
    from PySide6.QtWidgets import QApplication

    from ..export.picture import prepare_offscreen, render_bytes
    from ..ui.fonts import load_bundled_fonts

    app = QApplication.instance() or QApplication(["threadloom"])
    load_bundled_fonts()
    _quiet_offscreen_warnings(app)
    end_ms = max((t.end_ns for t in traces), default=0) / 1e6
    at = end_ms if at_ms is None else min(at_ms, end_ms)
    # The scheduler view shows one run; its caption names that run only.
    caption = caption_for(traces[:1], labels[:1], when) if view == "scheduler" else caption_for(traces, labels, when)
    with tempfile.TemporaryDirectory(prefix="threadloom-render-") as tmp:
        widget = _view(view, traces, labels, dark, Path(tmp), scenario, status)
        try:
            prepare_offscreen(widget, size[0], size[1], caption)
            # Seek once laid out: views place the cursor and the scheduler's cards from their size.
            _seek(widget, view, at)
            app.processEvents()
            return render_bytes(widget, fmt, size, caption, dark=dark, title=caption.title)
        finally:
            # deleteLater, not close: closing the window would save its (throwaway) settings.
            widget.hide()
            widget.deleteLater()
            app.sendPostedEvents(None, 0)


def _view(
    view: str,
    traces: list[Trace],
    labels: list[str],
    dark: bool,
    tmp: Path,
    scenario: Scenario | None,
    status: str | None,
):
    if view == "timeline":
        from ..ui.timeline import TimelineWidget

        widget = TimelineWidget(dark=dark)
        widget.set_traces(traces, labels)
        widget.refresh()
    elif view == "scheduler":
        from ..ui.scheduler_view import SchedulerView

        widget = SchedulerView()
        widget.set_dark(dark)
        widget.set_trace(traces[0], labels[0])
    else:
        from PySide6.QtCore import QSettings

        from ..ui.window import MainWindow

        # Fresh settings: the picture must not depend on this user's saved layout, and must not change it.
        settings = QSettings(str(tmp / "render.ini"), QSettings.Format.IniFormat)
        settings.setValue("view/dark", dark)
        widget = MainWindow(settings)
        if scenario is not None:
            widget.select_scenario(scenario)
        models = [label for label in labels if label in MODELS]
        if models:
            widget.set_models(models)
        widget.show_traces(traces, labels)
        widget.set_status(status or finished_message(traces, labels))
    return widget


#: Qt warnings that say nothing useful about a headless picture; anything else still reaches stderr.
_HARMLESS = ("does not support propagateSizeHints", "unable to create a gradient between colors of different spec")
_quieted = False


def _quiet_offscreen_warnings(app) -> None:
    global _quieted
    if _quieted or app.platformName() != "offscreen":
        return
    from PySide6.QtCore import qInstallMessageHandler

    def handler(_mode, _context, message: str) -> None:
        if not any(text in message for text in _HARMLESS):
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)
    _quieted = True


def finished_message(traces: list[Trace], labels: list[str]) -> str:
    ends = ", ".join(f"{label} {t.end_ns / 1e6:,.0f} ms" for t, label in zip(traces, labels, strict=True))
    return f"Finished: {ends}."


def _seek(widget, view: str, at_ms: float) -> None:
    if view == "timeline":
        widget.set_cursor_ms(at_ms)
    elif view == "scheduler":
        widget.set_time_ms(at_ms)
    else:
        widget.set_replay_time(at_ms)
