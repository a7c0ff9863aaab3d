"""Parsing and checking the subcommands' flags: each bad value is a :class:`UsageError` naming its flag.

Private to ``cli/``: the library below it raises errors about values and files,
and the commands here say which flag the value came from.
"""

from __future__ import annotations

import math
import os
import re
import stat
from pathlib import Path

from .._files import special_file_kind
from ..errors import UsageError
from ..export.caption import DEFAULT_SIZE, MAX_SIZE, MIN_SIZE
from ..probe.models import MODELS, model_names, spec_of
from ..scenario.load import MAX_POOL, MAX_SWITCH_INTERVAL_MS, MIN_SWITCH_INTERVAL_MS


def parse_models(values: list[str] | None) -> list[str]:
    """``--model`` values, repeatable or comma-separated, in order and without repeats."""
    if not values:
        return []
    models = [m.strip() for v in values for m in v.split(",") if m.strip()]
    for model in models:
        if model not in MODELS:
            raise UsageError(f"--model: unknown model {model!r}; allowed: {', '.join(model_names())}")
    return list(dict.fromkeys(models))


def parse_ms(
    value: str, flag: str, *, minimum: float = 0.0, maximum: float = math.inf, open_low: bool = False
) -> float:
    """A duration flag in ms; bad values raise :class:`UsageError` naming the flag and the range."""
    try:
        ms = float(value)
    except ValueError:
        ms = math.nan
    above = ms > minimum if open_low else ms >= minimum
    if not (math.isfinite(ms) and above and ms <= maximum):
        low = f"greater than {minimum:g}" if open_low else f"{minimum:g} or more"
        high = f" and at most {maximum:g}" if math.isfinite(maximum) else ""
        raise UsageError(f"{flag}: must be a number of ms {low}{high}, got {value!r}")
    return ms


def parse_switch_interval(value: str | None) -> float | None:
    if value is None:
        return None
    # CPython keeps the interval in whole microseconds: less than one would become 0.
    return parse_ms(value, "--switch-interval", minimum=MIN_SWITCH_INTERVAL_MS, maximum=MAX_SWITCH_INTERVAL_MS)


def parse_pool_size(value: str | None) -> int | None:
    if value is None:
        return None
    # ASCII digits only: str.isdigit also says yes to "²", which int() refuses.
    if not re.fullmatch(r"\s*[0-9]{1,6}\s*", value) or not 1 <= int(value) <= MAX_POOL:
        raise UsageError(f"--pool-size: must be a whole number from 1 to {MAX_POOL}, got {value!r}")
    return int(value)


def check_pool_flag(models: list[str], pool_size: int | None) -> None:
    """``--pool-size`` against each model's own limit: a flag the user gave is a usage error, not the scenario's."""
    if pool_size is None:
        return
    for model in models:
        spec = spec_of(model)
        if spec.has_pool and spec.max_pool_size is not None and pool_size > spec.max_pool_size:
            raise UsageError(
                f"--pool-size: the {model} model takes at most {spec.max_pool_size} workers, got {pool_size}"
            )


def parse_gil(value: str | None) -> bool | None:
    """``--gil on|off``: a free-threaded build's GIL for the run."""
    if value is None:
        return None
    choice = {"on": True, "off": False}.get(value.strip().lower())
    if choice is None:
        raise UsageError(f"--gil: must be on or off, got {value!r}")
    return choice


def add_address_option(parser) -> None:
    """``--ray-address``, worded from the specs of the models that take an address."""
    parser.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="; ".join(
            f"{spec.name}: {spec.address_help}" for spec in map(spec_of, model_names()) if spec.takes_address
        ),
    )


def parse_address(value: str | None, models: list[str]) -> str | None:
    """``--ray-address``: the cluster that the models which take an address run on (see ``ModelSpec.address_help``).

    Its form (host:port, ray://host:port, auto) is the probe's to check, where the
    address is used; here: not blank, one printable word, and meant for a model that runs.
    """
    if value is None:
        return None
    address = value.strip()
    if not address or len(address) > 1000 or any(ch.isspace() or not ch.isprintable() for ch in address):
        raise UsageError(f"--ray-address: must be host:port, ray://host:port or auto, got {value!r}")
    if not any(spec_of(m).takes_address for m in models):
        takers = [name for name in model_names() if spec_of(name).takes_address]
        raise UsageError(
            f"--ray-address: none of the models to run ({', '.join(models)}) takes an address; "
            f"it is for {', '.join(takers)}: add --model {takers[0] if takers else 'M'}"
        )
    return address


def parse_at(value: str | None) -> float | None:
    """``render --at``: a replay time in ms, or None for the end of the run."""
    return None if value is None else parse_ms(value, "--at")


def parse_size(text: str | None, option: str = "--size") -> tuple[int, int]:
    """``"1600x900"`` -> ``(1600, 900)``; anything else is a :class:`UsageError` naming the allowed form."""
    if text is None:
        return DEFAULT_SIZE
    m = re.fullmatch(r"\s*(\d{1,6})\s*[xX×]\s*(\d{1,6})\s*", text)
    if m:
        w, h = int(m.group(1)), int(m.group(2))
        if MIN_SIZE[0] <= w <= MAX_SIZE[0] and MIN_SIZE[1] <= h <= MAX_SIZE[1]:
            return w, h
    raise UsageError(
        f"{option}: expected WIDTHxHEIGHT in pixels, each from {MIN_SIZE[0]}x{MIN_SIZE[1]} "
        f"to {MAX_SIZE[0]}x{MAX_SIZE[1]} (for example 1600x900), got {text!r}"
    )


def check_writable(path: Path, force: bool, option: str = "") -> None:
    """Refuse an output file before the run starts, so a long run is not wasted; ``option`` names its flag."""
    try:
        _check_writable(Path(path), force)
    except UsageError as exc:
        raise UsageError(f"{option}: {exc}" if option else str(exc)) from None


def _check_writable(path: Path, force: bool) -> None:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = None
    if mode is not None and not force:
        raise UsageError(f"{path}: already exists; pass --force to overwrite it")
    if mode is not None and (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
        if not os.access(path, os.W_OK):
            raise UsageError(f"{path}: cannot be written (permission denied)")
        return  # written through, as a shell's > would: /dev/null, /dev/stdout, a named pipe
    if mode is not None and not stat.S_ISREG(mode):
        raise UsageError(f"{path}: {special_file_kind(mode)}, not a file; give the name of a file to write")
    real = Path(os.path.realpath(path))
    if real.parts[1:2] in (("proc",), ("sys",)):
        raise UsageError(f"{path}: is under /{real.parts[1]}, which holds no ordinary files; give another file")
    parent = real.parent
    if not parent.is_dir():
        raise UsageError(f"{path}: the folder {path.parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{path}: cannot write in the folder {parent} (permission denied)")


def ensure_qt(option: str) -> None:
    """Make Qt draw without a display, and fail early and clearly (naming ``option``) if it cannot load."""
    try:
        from ..ui.render import use_offscreen_qt
    except ImportError as exc:
        raise UsageError(f"{option}: Qt cannot be loaded here ({exc}); install the GUI libraries") from None
    use_offscreen_qt()


#: The oldest Python the probe runs under at all: a model that needs no newer one is checked by the probe itself.
MIN_PYTHON = (3, 9)


def check_interpreter_runs(models: list[str], interpreter: str | None) -> None:
    """Refuse, before anything runs, a model the probe's interpreter cannot run (too old, a package missing).

    Only models with a requirement are checked, so a plain run asks no interpreter anything.
    """
    import asyncio

    from ..engine import describe_interpreter, this_interpreter

    needy = [m for m in models if spec_of(m).packages or spec_of(m).min_python > MIN_PYTHON]
    if not needy:
        return
    info = asyncio.run(describe_interpreter(interpreter)) if interpreter else this_interpreter()
    refused = info.unavailable()
    for model in needy:
        if model in refused:
            raise UsageError(f"the {model} model cannot run under {info.label} ({info.path}): {refused[model]}")
