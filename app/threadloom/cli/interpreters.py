"""List the Pythons on this machine that can run the probe, and what each can run."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from .._files import write_atomic
from ..engine import InterpreterInfo, describe_interpreter, discover_interpreters
from ..errors import ProbeError
from ._options import check_writable


class InterpretersCommand:
    """List the interpreters found on PATH and in version managers (pyenv, uv), and the models each runs.

    Give more interpreters (a virtual environment's python, say) as arguments.
    Examples:
      threadloom interpreters
      threadloom interpreters ~/venvs/gevent/bin/python --json interpreters.json
    """

    name = "interpreters"

    def prepare_parser(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("extra", nargs="*", metavar="PYTHON", help="more interpreters to describe")
        parser.add_argument("--json", metavar="OUT", help='write {"interpreters": [...]} to OUT')
        parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")

    def run(self, args: argparse.Namespace) -> int:
        if args.json:
            check_writable(Path(args.json), args.force)
        paths = list(dict.fromkeys([*discover_interpreters(), *args.extra]))
        described, failed = asyncio.run(_describe_all(paths))
        for info in described:
            print(_line(info))
        for path, reason in failed:
            print(f"{path}\n    cannot run the probe: {reason}")
        if args.json:
            payload = {"interpreters": [info.to_json() for info in described]}
            write_atomic(Path(args.json), (json.dumps(payload, indent=2) + "\n").encode())
            print(f"Wrote {args.json}", file=sys.stderr)
        return 0


async def _describe_all(paths: list[str]) -> tuple[list[InterpreterInfo], list[tuple[str, str]]]:
    results = await asyncio.gather(*(describe_interpreter(p) for p in paths), return_exceptions=True)
    described, failed = [], []
    for path, result in zip(paths, results, strict=True):
        if isinstance(result, ProbeError):
            failed.append((path, str(result).removeprefix(f"{path}: ")))
        elif isinstance(result, BaseException):
            raise result
        else:
            described.append(result)
    return described, failed


def _line(info: InterpreterInfo) -> str:
    build = "free-threaded build, " if info.gil_optional else ""
    gil = "GIL on" if info.gil_enabled else "GIL off"
    head = f"{info.path}\n    {info.implementation} {info.version}, {build}{gil}"
    refused = info.unavailable()
    if not info.models() and len(set(refused.values())) == 1:
        return f"{head}; runs no model: {next(iter(refused.values()))}"
    text = f"{head}; runs {', '.join(info.models())}"
    for model, reason in refused.items():
        text += f"\n    not {model}: {reason}"
    return text
