"""Measure what a thread, a coroutine and a process cost, and the price of a switch, under an interpreter."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from .._files import write_atomic
from ..engine.cost import CostRequest
from ..errors import UsageError
from ._options import check_writable


class CostCommand:
    """Measure what a waiting thread, asyncio Task and process cost, and what a switch costs.

    Starts N threads, N coroutines (asyncio Tasks) and N processes that all
    wait, for N over a log range (threads to 10,000 or what the OS allows,
    coroutines to 100,000, processes to 32), each point in a fresh process
    under the chosen interpreter; then times hand-offs between two threads,
    two coroutines and two processes. Takes about half a minute.

    Examples:
      threadloom cost
      threadloom cost --interpreter python3.13 --json costs.json
    """

    name = "cost"

    def prepare_parser(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--interpreter", metavar="PATH", help="Python to measure (default: this one)")
        parser.add_argument("--json", metavar="OUT", help="write the figures as JSON")
        parser.add_argument("--quick", action="store_true", help="smaller N and shorter switch timings (a few seconds)")
        parser.add_argument("--force", action="store_true", help="overwrite an output file that exists")
        parser.add_argument("--quiet", "-q", action="store_true", help="print no table")

    def run(self, args: argparse.Namespace) -> int:
        from ..engine.cost import measure_costs_blocking

        if args.json:
            check_writable(Path(args.json), args.force)
            if Path(args.json).suffix.lower() != ".json":
                raise UsageError(f"--json: {args.json}: name the file OUT.json")
        request = dataclasses.replace(QUICK if args.quick else CostRequest(), interpreter=args.interpreter)

        def on_record(record, _report) -> None:
            if args.quiet or record.get("type") != "progress":
                return
            if "unit" in record:
                print(f"  {record['n']:>7,} × {record['unit']}…", file=sys.stderr)
            else:
                print(f"  switch: {record['switch']}…", file=sys.stderr)

        report = measure_costs_blocking(request, on_record)
        if not args.quiet:
            print(format_cost_table(report))
        if args.json:
            write_atomic(Path(args.json), json.dumps(report.to_json(), indent=2).encode())
            print(f"Wrote {args.json}", file=sys.stderr)
        return 0


#: ``--quick``: enough to see the orders of magnitude in a few seconds.
QUICK = CostRequest(None, (1, 10, 100, 1000), (1, 10, 100, 1000, 10000), (1, 2, 4), 0.1)


def format_cost_table(report) -> str:
    from ..viewmodel.cost import cost_lines

    return "\n".join(cost_lines(report))
