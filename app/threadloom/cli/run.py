"""Run a scenario under one or more models and report what the scheduler did."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from .._files import write_atomic
from .._text import printable
from ..engine import RunRequest, describe_interpreter, run_blocking
from ..errors import ThreadloomError, UsageError
from ..model import compute_metrics
from ..probe.models import DEFAULT_MODEL, model_names, spec_of
from ..report import format_run_table
from ..scenario.presets import resolve_scenario
from ..viewmodel.text import count
from ._options import (
    add_address_option,
    check_interpreter_runs,
    check_pool_flag,
    check_writable,
    parse_address,
    parse_gil,
    parse_models,
    parse_pool_size,
    parse_switch_interval,
)


def models_help() -> str:
    """The models, as each one's spec describes it, for ``--help``."""
    width = max(len(name) for name in model_names())
    lines = [f"  {spec.name:<{width}}  {spec.description}" for spec in map(spec_of, model_names())]
    return "models:\n" + "\n".join(lines)


def check_free_threaded(interpreter: str | None) -> None:
    """``--gil`` means something only to a free-threaded build: refuse it elsewhere, before anything runs."""
    info = asyncio.run(describe_interpreter(interpreter or ""))
    if not info.gil_optional:
        raise UsageError(
            f"--gil: {info.path} ({info.label}) is not a free-threaded build, so its GIL is always on; "
            "give --interpreter a python3.13t or newer free-threaded build"
        )


def cluster_lines(header: dict) -> list[str]:
    """What a run on a cluster says about its nodes and their clocks, for the report (none for other runs)."""
    ray = header.get("ray")
    if not isinstance(ray, dict) or not isinstance(ray.get("nodes"), list):
        return []
    nodes = [n for n in ray["nodes"] if isinstance(n, dict)]
    where = "a local Ray" if ray.get("address") == "local" else f"the Ray cluster at {ray.get('address')}"
    lines = [f"  ray: {where}, {count(len(nodes))} node{'s' if len(nodes) != 1 else ''}"]
    for node in nodes:
        if node.get("same_clock"):
            clock = "this machine's clock"
            if isinstance(node.get("measured_offset_ns"), int) and isinstance(node.get("round_trip_ns"), int):
                clock += (
                    f" (the round trips measured {node['measured_offset_ns'] / 1e6:+,.3f} ms, "
                    f"best trip {node['round_trip_ns'] / 1e6:.3f} ms)"
                )
        else:
            offset, spread = node.get("clock_offset_ns", 0), node.get("uncertainty_ns", 0)
            clock = f"clock offset {offset / 1e6:+,.3f} ms ± {spread / 1e6:.3f} ms (applied)"
        lines.append(f"    node {node.get('node', '?')}: {clock}")
    return [printable(line, 300) for line in lines]


class RunCommand:
    """Run a scenario (a TOML file or a preset's name) and print its metrics.

    Each --model runs separately, one after another, in a fresh probe process.
    Examples:
      threadloom run convoy
      threadloom run io-bound --model threads --model asyncio --json out.json
      threadloom run convoy --switch-interval 0.5 --interpreter python3.13
    """

    name = "run"

    def prepare_parser(self, parser: argparse.ArgumentParser) -> None:
        parser.epilog = models_help()
        parser.add_argument("scenario", help="scenario file, or a preset name (see `threadloom presets`)")
        parser.add_argument(
            "--model",
            "-m",
            action="append",
            metavar="M",
            help=f"model to run, repeatable or comma-separated: {', '.join(model_names())} "
            f"(default: the scenario's [run].model, else {DEFAULT_MODEL})",
        )
        parser.add_argument("--switch-interval", metavar="MS", help="sys.setswitchinterval in the probe, in ms")
        parser.add_argument("--pool-size", metavar="N", help="workers for pool models")
        parser.add_argument("--interpreter", metavar="PATH", help="Python that runs the probe (default: this one)")
        parser.add_argument(
            "--gil",
            metavar="on|off",
            help="a free-threaded build's GIL for the run (sets PYTHON_GIL); default: as the interpreter decides",
        )
        add_address_option(parser)
        parser.add_argument("--json", metavar="OUT", help='write {"runs": [...]} metrics to OUT')
        parser.add_argument("--save", metavar="OUT.tlrun", help="save the run(s) to reopen later (`threadloom open`)")
        parser.add_argument(
            "--trace", metavar="OUT.json", help="write Chrome trace event JSON (Perfetto, chrome://tracing)"
        )
        parser.add_argument("--csv", metavar="OUT.csv", help="write one row per segment (spreadsheets, pandas)")
        parser.add_argument(
            "--screenshot", metavar="OUT", help="picture of the window after the run: OUT.png, .svg or .pdf (headless)"
        )
        parser.add_argument("--size", metavar="WxH", help="--screenshot size in pixels (default 1600x900)")
        parser.add_argument("--force", action="store_true", help="overwrite output files that exist")
        parser.add_argument("--quiet", "-q", action="store_true", help="print no table")

    def run(self, args: argparse.Namespace) -> int:
        self.before_runs(args)
        models = parse_models(args.model)
        switch = parse_switch_interval(args.switch_interval)
        pool = parse_pool_size(args.pool_size)
        gil = parse_gil(args.gil)
        if gil is not None:
            check_free_threaded(args.interpreter)
        if args.json:
            check_writable(Path(args.json), args.force, "--json")
        scenario = resolve_scenario(args.scenario)
        models = models or [scenario.model or DEFAULT_MODEL]
        switch = switch if switch is not None else scenario.switch_interval_ms
        check_pool_flag(models, pool)
        address = parse_address(args.ray_address, models)
        pool = pool if pool is not None else scenario.pool_size
        for model in models:
            scenario.check_run(model, pool)
        check_interpreter_runs(models, args.interpreter)

        traces, metrics = [], []
        for model in models:
            request = RunRequest(scenario, model, switch, pool, args.interpreter, gil=gil, address=address)
            trace = run_blocking(request, on_silence=_note)
            traces.append(trace)
            metrics.append(compute_metrics(trace))
            if not args.quiet:
                print(format_run_table(metrics[-1]) + "".join(line + "\n" for line in cluster_lines(trace.header)))
                sys.stdout.flush()
        if args.json:
            payload = json.dumps({"runs": [m.to_json() for m in metrics]}, indent=2)
            write_atomic(Path(args.json), payload.encode())
            print(f"Wrote {args.json}", file=sys.stderr)
        self.after_runs(args, scenario, traces, metrics)
        return 0

    def before_runs(self, args: argparse.Namespace) -> None:
        """Check the export options before anything runs, so a long run is not wasted on a typo."""
        from .exports import check_export_options

        check_export_options(args)

    def after_runs(self, args, scenario, traces, metrics) -> None:
        """Write the export options' files (saved run, trace, CSV, screenshot)."""
        from .exports import write_exports

        write_exports(args, scenario, traces)


def _note(message: str) -> None:
    print(f"threadloom: {printable(message, 500)} (Ctrl-C)", file=sys.stderr, flush=True)


__all__ = ["RunCommand", "ThreadloomError"]
