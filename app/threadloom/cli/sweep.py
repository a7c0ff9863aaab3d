"""Run a scenario at each value of one parameter, under one or more models, and write the curves' data."""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from .._files import write_atomic
from ..errors import ScenarioError, UsageError
from ..probe.models import DEFAULT_MODEL, model_names
from ..scenario.presets import resolve_scenario
from ..scenario.sweep import PARAM_FORMS, parse_param, parse_values
from ._options import (
    add_address_option,
    check_interpreter_runs,
    check_writable,
    parse_address,
    parse_models,
    parse_pool_size,
    parse_size,
    parse_switch_interval,
)

MAX_REPEAT = 100
_OUTPUTS = ("csv", "json", "plot", "save")


class SweepCommand:
    """Run a scenario at each value of one parameter and write one row per run.

    Every point is a real probe run with its full trace, one after another;
    --repeat runs each point several times (the plot shows their median and
    the band from min to max).

    parameters (--param):
      switch-interval      sys.setswitchinterval in the probe, in ms
      pool-size            workers of the pool models
      count:GROUP          how many tasks GROUP has
      amount:GROUP:STEP    the amount of one step of GROUP (STEP: its number from 0, or its kind)
    values (--values): 1,2,4,8   or 1..8 (whole numbers)   or 0.5..5:0.5 (a step)   or 1..64*2 (times 2)

    Examples:
      threadloom sweep pool-starvation --param pool-size --values 1,2,4,8 --model thread-pool,asyncio --csv pools.csv
      threadloom sweep convoy --param switch-interval --values 0.1..100*10 --model threads --repeat 3 --plot convoy.png
    """

    name = "sweep"

    def prepare_parser(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("scenario", help="scenario file, or a preset name (see `threadloom presets`)")
        parser.add_argument("--param", "-p", required=True, metavar="PARAM", help=f"what to vary: {PARAM_FORMS}")
        parser.add_argument(
            "--values", "-v", required=True, metavar="LIST", help="its values: 1,2,4,8 or 1..8 or 1..64*2"
        )
        parser.add_argument(
            "--model",
            "-m",
            action="append",
            metavar="M",
            help=f"model(s), repeatable or comma-separated: {', '.join(model_names())} "
            f"(default: the scenario's [run].model, else {DEFAULT_MODEL})",
        )
        parser.add_argument(
            "--repeat", "-r", default="1", metavar="N", help=f"runs per point, 1 to {MAX_REPEAT} (default 1)"
        )
        parser.add_argument("--switch-interval", metavar="MS", help="switch interval of every run (unless swept)")
        parser.add_argument("--pool-size", metavar="N", help="pool size of every run (unless swept)")
        parser.add_argument("--interpreter", metavar="PATH", help="Python that runs the probe (default: this one)")
        add_address_option(parser)
        parser.add_argument(
            "--csv", metavar="OUT.csv", help="one row per run: param, value, model, repeat, every metric"
        )
        parser.add_argument("--json", metavar="OUT.json", help="the sweep and every run's metrics as JSON")
        parser.add_argument("--plot", metavar="OUT", help="picture of the curves: OUT.png, .svg or .pdf (headless)")
        parser.add_argument(
            "--metric", default="makespan_ms", help="what --plot draws (a CSV column; default makespan_ms)"
        )
        parser.add_argument("--size", metavar="WxH", help="--plot size in pixels (default 1600x900)")
        parser.add_argument("--save", metavar="OUT.tlrun", help="save the sweep, every run's trace with it, to reopen")
        parser.add_argument("--force", action="store_true", help="overwrite output files that exist")
        parser.add_argument("--quiet", "-q", action="store_true", help="print no progress and no table")

    def run(self, args: argparse.Namespace) -> int:
        from ..engine.sweep import SweepPlan

        models = parse_models(args.model)
        switch = parse_switch_interval(args.switch_interval)
        pool = parse_pool_size(args.pool_size)
        repeat = _repeat(args.repeat)
        self._check_outputs(args)
        scenario = resolve_scenario(args.scenario)
        models = models or [scenario.model or DEFAULT_MODEL]
        address = parse_address(args.ray_address, models)
        check_interpreter_runs(models, args.interpreter)
        try:
            param = parse_param(args.param, scenario)
        except ScenarioError as exc:
            raise UsageError(f"--param: {exc}") from None
        try:
            values = parse_values(args.values, param)
        except ScenarioError as exc:
            raise UsageError(f"--values: {exc}") from None
        if param.kind == "switch-interval" and switch is not None:
            raise UsageError("--switch-interval: the sweep varies it already; drop one of the two")
        if param.kind == "pool-size" and pool is not None:
            raise UsageError("--pool-size: the sweep varies it already; drop one of the two")
        plan = SweepPlan(
            scenario,
            param,
            tuple(values),
            tuple(models),
            repeat,
            switch if switch is not None else scenario.switch_interval_ms,
            pool if pool is not None else scenario.pool_size,
            args.interpreter,
            address,
        )
        try:
            plan.points()
        except ScenarioError as exc:
            raise UsageError(f"--values: {exc}") from None
        sweep = _run(plan, args.quiet)
        if not args.quiet:
            print(format_sweep_table(sweep, args.metric if args.metric else "makespan_ms"))
        self._write(args, sweep)
        return 0

    def _check_outputs(self, args: argparse.Namespace) -> None:
        seen: dict[Path, str] = {}
        for option in _OUTPUTS:
            value = getattr(args, option)
            if not value:
                continue
            path = Path(value)
            if path.resolve() in seen:
                raise UsageError(
                    f"--{option}: {path} is also the --{seen[path.resolve()]} output; give each its own file"
                )
            seen[path.resolve()] = option
            check_writable(path, args.force)
        if args.size is not None and not args.plot:
            raise UsageError("--size: only applies to --plot; add --plot OUT.png")
        if args.plot:
            from ..export.caption import picture_format
            from ._options import ensure_qt

            picture_format(args.plot, option="--plot")
            parse_size(args.size)
            ensure_qt("--plot")
        if args.save and not args.save.endswith(".tlrun"):
            raise UsageError(f"--save: {args.save}: a saved sweep is a .tlrun file; name it OUT.tlrun")

    def _write(self, args: argparse.Namespace, sweep) -> None:
        from ..export.sweep_export import sweep_csv, sweep_json, sweep_to_bytes

        if not sweep.points:
            return
        if args.csv:
            _write(args.csv, sweep_csv(sweep).encode("utf-8"))
        if args.json:
            _write(args.json, sweep_json(sweep).encode("utf-8"))
        if args.save:
            _write(args.save, sweep_to_bytes(sweep))
        if args.plot:
            from ..ui.sweep_page import render_sweep
            from ..viewmodel.sweep import metric_choices

            choices = metric_choices(sweep)
            if args.metric not in choices:
                raise UsageError(
                    f"--metric: the runs have no metric {args.metric!r}; they have {', '.join(choices[:12])}, …"
                )
            _write(
                args.plot,
                render_sweep(sweep, args.metric, Path(args.plot).suffix.lstrip(".").lower(), parse_size(args.size)),
            )


def _repeat(text: str) -> int:
    if not str(text).strip().isdigit() or not 1 <= int(text) <= MAX_REPEAT:
        raise UsageError(f"--repeat: must be a whole number from 1 to {MAX_REPEAT}, got {text!r}")
    return int(text)


def _run(plan, quiet: bool):
    from ..engine.sweep import run_sweep_blocking
    from ..viewmodel.sweep import progress

    planned = plan.points()

    def on_start(point, sweep) -> None:
        if not quiet:
            print(progress(sweep, planned, point).text, file=sys.stderr)

    def on_done(point, sweep) -> None:
        if not quiet:
            print(f"    makespan {point.metrics.makespan_ms:,.1f} ms in {point.wall_s:.1f} s", file=sys.stderr)

    return run_sweep_blocking(plan, on_start, on_done)


def format_sweep_table(sweep, metric: str) -> str:
    """Per value, the median of ``metric`` for each model (the metric as named in the CSV)."""
    from ..viewmodel.sweep import metric_values

    values = metric_values(sweep, metric)
    width = max(12, *(len(m) for m in sweep.models))
    lines = [
        f"{metric} (median over {sweep.repeat} repeat(s)) by {sweep.param}:",
        f"{sweep.param:>16}  " + "  ".join(f"{m:>{width}}" for m in sweep.models),
    ]
    for value in sweep.values:
        cells = []
        for model in sweep.models:
            got = [
                values[i]
                for i, p in enumerate(sweep.points)
                if p.model == model and p.value == value and values[i] is not None
            ]
            cells.append(f"{statistics.median(got):>{width},.2f}" if got else f"{'-':>{width}}")
        lines.append(f"{value:>16g}  " + "  ".join(cells))
    return "\n".join(lines)


def _write(path: str, data: bytes) -> None:
    write_atomic(Path(path), data)
    print(f"Wrote {path}", file=sys.stderr)
