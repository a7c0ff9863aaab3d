"""Parsing and checking the subcommands' flags: each bad value is a :class:`UsageError` naming its flag.

Private to ``cli/``: the library below it raises errors about values and files,
and the commands here say which flag the value came from.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from ..errors import UsageError
from ..export.caption import DEFAULT_SIZE, MAX_SIZE, MIN_SIZE
from ..probe.models import MODELS, model_names
from ..scenario.load import MAX_POOL, MAX_SWITCH_INTERVAL_MS


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
    return parse_ms(value, "--switch-interval", maximum=MAX_SWITCH_INTERVAL_MS, open_low=True)


def parse_pool_size(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.strip().isdigit() or not 1 <= int(value) <= MAX_POOL:
        raise UsageError(f"--pool-size: must be a whole number from 1 to {MAX_POOL}, got {value!r}")
    return int(value)


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


def check_writable(path: Path, force: bool) -> None:
    """Refuse an output file before the run starts, so a long run is not wasted."""
    if path.exists() and not force:
        raise UsageError(f"{path}: already exists; pass --force to overwrite it")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{path}: the folder {parent} does not exist")


def ensure_qt(option: str) -> None:
    """Make Qt draw without a display, and fail early and clearly (naming ``option``) if it cannot load."""
    try:
        from ..ui.render import use_offscreen_qt
    except ImportError as exc:
        raise UsageError(f"{option}: Qt cannot be loaded here ({exc}); install the GUI libraries") from None
    use_offscreen_qt()
