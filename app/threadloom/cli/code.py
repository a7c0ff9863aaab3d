"""Write the plain Python program a scenario stands for under one model."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .._files import write_atomic
from ..codegen import code_models, generate_program
from ..errors import UsageError
from ..probe.models import DEFAULT_MODEL
from ..scenario.presets import resolve_scenario
from ._options import check_writable, parse_models, parse_pool_size, parse_switch_interval


class CodeCommand:
    """Print (or write) the plain program a scenario stands for under one model.

    Standard library only, no instrumentation: threads and join, a ThreadPoolExecutor,
    coroutines gathered on one loop, asyncio.to_thread for offloaded steps, a
    ProcessPoolExecutor. Run it outside Threadloom; it prints its makespan.
    Examples:
      threadloom code io-bound --model asyncio
      threadloom code blocking-in-loop --model asyncio-offload --output offload.py
      diff <(threadloom code io-bound -m threads) <(threadloom code io-bound -m asyncio)
    """

    name = "code"

    def prepare_parser(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("scenario", help="scenario file, or a preset name (see `threadloom presets`)")
        parser.add_argument(
            "--model",
            "-m",
            metavar="M",
            help=f"the program's model: {', '.join(code_models())} (default: the scenario's [run].model, else threads)",
        )
        parser.add_argument("--switch-interval", metavar="MS", help="sys.setswitchinterval for the program, in ms")
        parser.add_argument("--pool-size", metavar="N", help="workers for pool models")
        parser.add_argument(
            "--output", "-o", metavar="FILE.py", help="write the program to FILE.py (default: print it)"
        )
        parser.add_argument("--force", action="store_true", help="overwrite the output file if it exists")

    def run(self, args: argparse.Namespace) -> int:
        models = parse_models([args.model] if args.model else None)
        if len(models) > 1:
            raise UsageError("--model: one model at a time; run `threadloom code` once per model")
        if models and models[0] not in code_models():
            raise UsageError(f"--model: {models[0]} has no program yet; allowed: {', '.join(code_models())}")
        switch = parse_switch_interval(args.switch_interval)
        pool = parse_pool_size(args.pool_size)
        output = Path(args.output) if args.output else None
        if output is not None:
            check_writable(output, args.force)
        scenario = resolve_scenario(args.scenario)
        model = models[0] if models else (scenario.model or DEFAULT_MODEL)
        scenario.check_run(model, pool)
        text = generate_program(scenario, model, switch_interval_ms=switch, pool_size=pool)
        if output is None:
            sys.stdout.write(text)
            sys.stdout.flush()
            return 0
        write_atomic(output, text.encode("utf-8"))
        print(f"Wrote {output}")
        return 0


__all__ = ["CodeCommand"]
