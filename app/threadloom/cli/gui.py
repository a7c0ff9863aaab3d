"""Open the Threadloom window."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from ..errors import DisplayError


class GuiCommand:
    """Open the Threadloom window (the default when no command is given)."""

    name = "gui"

    def prepare_parser(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("scenario", nargs="?", help="a scenario file or preset to select at start")

    def run(self, args: argparse.Namespace) -> int:
        return start_gui(scenario=args.scenario)


def start_gui(scenario: str | None = None, before: Callable[[], None] | None = None) -> int:
    """Check that a window can open here, then open it; raise :class:`DisplayError` in one line if not.

    Qt aborts the process (a core dump) when it has no display or misses a
    library, so both are checked before Qt is imported. ``before`` runs once Qt
    can be imported, just before the window opens.
    """
    from ..syslibs import CORE, install_line, missing, startup_problem

    problem = startup_problem()
    if problem:
        raise DisplayError(problem)
    try:
        from ..ui.app import main as gui_main
    except ImportError as exc:  # PySide6 links against a system library that is not there
        absent = missing(CORE)
        fix = install_line(absent) if absent else "reinstall Threadloom (`make run` sets it up)"
        raise DisplayError(f"Qt cannot load ({exc}): {fix}") from None
    if before is not None:
        before()
    return gui_main(scenario)


def main() -> int:
    """The ``threadloom-gui`` launcher: the window, or one line saying why it cannot open."""
    try:
        return start_gui(sys.argv[1] if len(sys.argv) > 1 else None)
    except DisplayError as exc:
        print(f"threadloom: {exc}", file=sys.stderr)
        return exc.exit_code
