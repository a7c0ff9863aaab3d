"""The ``threadloom`` command: one module per subcommand.

Each subcommand module defines a class with ``name``, a docstring (its help
text), ``prepare_parser(parser)`` and ``run(args) -> int``. Qt is imported
only by the subcommands that draw (``gui``, ``open``, ``render`` and
``run --screenshot``), so ``run`` works on machines without a display.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Protocol

from .. import __version__
from .._text import printable
from ..errors import ThreadloomError


class Command(Protocol):
    name: str

    def prepare_parser(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _commands() -> list[Command]:
    from .code import CodeCommand
    from .cost import CostCommand
    from .gui import GuiCommand
    from .interpreters import InterpretersCommand
    from .open import OpenCommand
    from .presets import PresetsCommand
    from .render import RenderCommand
    from .run import RunCommand
    from .sweep import SweepCommand

    return [
        RunCommand(),
        SweepCommand(),
        CostCommand(),
        PresetsCommand(),
        InterpretersCommand(),
        GuiCommand(),
        OpenCommand(),
        RenderCommand(),
        CodeCommand(),
    ]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="threadloom",
        description="Measure how CPython schedules threads, pools, coroutines and processes, and watch it.",
        epilog="`threadloom` alone opens the app; `threadloom FILE.tlrun` opens a saved run.",
    )
    parser.add_argument("--version", action="version", version=f"threadloom {__version__}")
    parser.add_argument(
        "--install-desktop",
        action="store_true",
        help="install the desktop entry and icons for this user (Linux) and exit",
    )
    parser.add_argument("--uninstall-desktop", action="store_true", help="remove what --install-desktop wrote and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in _commands():
        doc = (type(command).__doc__ or "").strip()
        summary = doc.splitlines()[0] if doc else ""
        p = sub.add_parser(
            command.name, help=summary, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        command.prepare_parser(p)
        p.set_defaults(handler=command)
    return parser


def _dispatch_internal(argv: list[str]) -> bool:
    """Modes a frozen app re-executes itself in; handled before anything heavy is imported."""
    if argv[:1] == ["--probe"]:
        from ..probe.main import main as probe_main

        probe_main()
        return True
    if argv[:1] == ["--probe-cost"]:
        from ..probe.cost import main as cost_main

        cost_main(argv[1:])
        return True
    if argv[:1] == ["--probe-echo"]:
        from ..probe.echo import serve

        serve(float(argv[1]) if len(argv) > 1 else 0.0)
        return True
    return False


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if _dispatch_internal(argv):
        return 0
    # SIGTERM ends a run as Ctrl-C does, so the probe is stopped, not orphaned.
    signal.signal(signal.SIGTERM, _terminate)
    names = {c.name for c in _commands()}
    if argv and not argv[0].startswith("-") and argv[0] not in names and os.path.isfile(argv[0]):
        argv = ["open", *argv]
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.install_desktop:
        from ..desktop import install_desktop_entry

        return _guarded(install_desktop_entry)
    if args.uninstall_desktop:
        from ..desktop import uninstall_desktop_entry

        return _guarded(uninstall_desktop_entry)
    handler = getattr(args, "handler", None)
    if handler is None:
        args = parser.parse_args(["gui"])
        handler = args.handler
    return _guarded(lambda: handler.run(args))


def _guarded(fn) -> int:
    try:
        return int(fn() or 0)
    except ThreadloomError as exc:
        print(f"threadloom: {printable(exc, MAX_MESSAGE)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        from ..engine.session import sessions_started

        stopped = "; the probe and its processes were stopped" if sessions_started() else ""
        print(f"threadloom: interrupted{stopped}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1


#: The longest error line printed; values inside it are already cut where they are quoted.
MAX_MESSAGE = 2000
_terminating = False


def _terminate(signum, frame) -> None:
    """The first SIGTERM ends the command as Ctrl-C does; later ones are ignored while it cleans up
    (which is bounded), so cleaning up is never cut short into a traceback."""
    global _terminating
    if _terminating:
        return
    _terminating = True
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
