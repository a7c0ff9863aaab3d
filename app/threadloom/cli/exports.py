"""`threadloom run`'s export options: --save, --trace, --csv, --screenshot [--size].

Checked before the run (names, sizes, writability, Qt for pictures), written
after it. Qt is imported only for --screenshot, through :mod:`threadloom.ui.render`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .._files import write_atomic
from ..errors import UsageError
from ..export.caption import picture_format
from ..model import Trace
from ..scenario import Scenario
from ._options import check_writable, ensure_qt, parse_size

_OPTIONS = ("json", "save", "trace", "csv", "screenshot")


def check_export_options(args: argparse.Namespace) -> None:
    """Refuse bad export options before anything runs (UsageError: one line, exit 2)."""
    seen: dict[Path, str] = {}
    for option in _OPTIONS:
        value = getattr(args, option, None)
        if not value:
            continue
        path = Path(value)
        if path.resolve() in seen:
            raise UsageError(f"--{option}: {path} is also the --{seen[path.resolve()]} output; give each its own file")
        seen[path.resolve()] = option
        if option != "json":  # --json is checked by run itself
            check_writable(path, args.force, f"--{option}")
    if args.size is not None and not args.screenshot:
        raise UsageError("--size: only applies to --screenshot; add --screenshot OUT.png")
    if args.screenshot:
        picture_format(args.screenshot, option="--screenshot")
        parse_size(args.size)
        ensure_qt("--screenshot")


def write_exports(args: argparse.Namespace, scenario: Scenario, traces: list[Trace]) -> None:
    labels = [t.model for t in traces]
    if args.save:
        from ..export.savefile import runs_to_bytes

        _write(args.save, runs_to_bytes(traces, scenario.text, labels, scenario_name=scenario.name))
    if args.trace:
        from ..export.perfetto import chrome_trace_json

        _write(args.trace, chrome_trace_json(traces, labels).encode("utf-8"))
    if args.csv:
        from ..export.csv_export import segments_csv

        _write(args.csv, segments_csv(traces, labels).encode("utf-8"))
    if args.screenshot:
        from ..ui.render import render_runs
        from ..ui.window import MainWindow

        fmt, size = picture_format(args.screenshot, option="--screenshot"), parse_size(args.size)
        data = render_runs(traces, labels, fmt, size, scenario=scenario, window_class=MainWindow)
        _write(args.screenshot, data)


def _write(path: str, data: bytes) -> None:
    write_atomic(Path(path), data)
    print(f"Wrote {path}", file=sys.stderr)
