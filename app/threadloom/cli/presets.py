"""List the scenarios that ship with Threadloom."""

from __future__ import annotations

import argparse
import textwrap

from ..scenario import list_presets


class PresetsCommand:
    """List the preset scenarios, with what each one shows.

    Run one with `threadloom run NAME`.
    """

    name = "presets"

    def prepare_parser(self, parser: argparse.ArgumentParser) -> None:
        pass

    def run(self, args: argparse.Namespace) -> int:
        for preset in list_presets():
            sc = preset.scenario
            print(f"{preset.key}  ({sc.model or 'threads'}, {sc.task_count} tasks)")
            print(textwrap.fill(sc.description, width=88, initial_indent="    ", subsequent_indent="    "))
        return 0
