"""Open the Threadloom window."""

from __future__ import annotations

import argparse


class GuiCommand:
    """Open the Threadloom window (the default when no command is given)."""

    name = "gui"

    def prepare_parser(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("scenario", nargs="?", help="a scenario file or preset to select at start")

    def run(self, args: argparse.Namespace) -> int:
        from ..ui.app import main as gui_main

        return gui_main(scenario=args.scenario)
