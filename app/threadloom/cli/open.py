"""Open a saved run in the app, for replay; nothing is run."""

from __future__ import annotations

import argparse


class OpenCommand:
    """Open a saved run (.tlrun) in the app and replay it; nothing is run.

    `threadloom FILE.tlrun` does the same. The file is checked before the
    window opens: a damaged, edited or newer file is refused with one line.
    """

    name = "open"

    def prepare_parser(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("file", metavar="SAVED_RUN", help="a file written by File > Save run or `run --save`")

    def run(self, args: argparse.Namespace) -> int:
        from ..export.savefile import load_runs

        saved = load_runs(args.file)
        from .gui import start_gui

        def hand_over() -> None:
            from ..ui.file_actions import open_on_start

            open_on_start(saved)

        return start_gui(before=hand_over)
