"""Placeholder until the export issue lands: open needs saved runs."""

from __future__ import annotations

import argparse

from ..errors import UsageError


class OpenCommand:
    """(not yet available) open a saved run."""

    name = "open"

    def prepare_parser(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("file")

    def run(self, args: argparse.Namespace) -> int:
        raise UsageError("saved runs are not supported yet")
