"""Draw a saved run to PNG, SVG or PDF without showing a window."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .._files import write_atomic
from ..errors import UsageError
from ..export.caption import DEFAULT_SIZE, VIEWS, picture_format
from ..scenario import Scenario
from ._options import check_writable, ensure_qt, parse_at, parse_size


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
        check_writable(out, args.force, "--out")
        from ..export.savefile import load_runs

        saved = load_runs(args.file)
        ensure_qt("render")
        from ..ui.render import render_runs
        from ..ui.window import MainWindow

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
            window_class=MainWindow,
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
