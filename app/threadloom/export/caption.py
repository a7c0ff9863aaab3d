"""What a picture says about itself, and how its size and format are asked for (Qt-free).

A screenshot travels alone (a slide, a blog post, a bug report), so it carries
a caption: the scenario, the model(s), the interpreter and its version, GIL on
or off, the switch interval, the pool size, the date and the states' legend.
The text is built here without Qt so the CLI can check options before a run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .. import __version__
from ..errors import UsageError
from ..model import Trace
from ..probe.models import MODELS

VIEWS = ("window", "timeline", "scheduler")
FORMATS = ("png", "svg", "pdf")
DEFAULT_SIZE = (1600, 900)
MIN_SIZE = (320, 240)
MAX_SIZE = (10_000, 10_000)

#: Legend text per state: what a reader who has never seen Threadloom needs.
STATE_LEGEND = {
    "running": "running: holds the GIL",
    "native": "native: C code, GIL released",
    "ready": "ready: waits for the GIL/CPU",
    "io": "io: waits on I/O or a timer",
    "blocked": "blocked: waits on a lock/queue",
    "queued": "queued: no worker yet",
    "idle": "idle: worker has nothing to do",
}


@dataclass(frozen=True)
class Caption:
    """The caption band's text: a title line and a settings line (the legend is drawn from the palette)."""

    title: str
    details: str


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


def picture_format(path: str | Path, option: str = "--screenshot") -> str:
    """The picture format from the file's extension: png, svg or pdf."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        got = f".{suffix}" if suffix else "no extension"
        raise UsageError(f"{option}: {path}: the name must end in .png, .svg or .pdf (got {got})")
    return suffix


def caption_for(traces: list[Trace], labels: list[str] | None = None, when: datetime | str | None = None) -> Caption:
    """The caption of a picture of ``traces`` (one run, or a comparison) recorded at ``when`` (default now)."""
    labels = list(labels) if labels is not None else [t.model for t in traces]
    scenario = next((str(t.header.get("scenario")) for t in traces if t.header.get("scenario")), "Threadloom")
    models = " vs ".join(labels) if labels else "no run"
    title = f"{scenario}  —  {models}"
    per_run = [_settings(t) for t in traces]
    if len(set(per_run)) <= 1:
        settings = per_run[0] if per_run else ""
    else:
        settings = "; ".join(f"{label}: {s}" for label, s in zip(labels, per_run, strict=True))
    cpus = {t.header.get("cpu_count") for t in traces if t.header.get("cpu_count")}
    parts = [settings] if settings else []
    if len(cpus) == 1:
        parts.append(f"{cpus.pop()} CPUs")
    if any(not t.complete for t in traces):
        parts.append("incomplete run")
    parts.append(_date(when))
    parts.append(f"Threadloom {__version__}")
    return Caption(title, "  ·  ".join(parts))


def _settings(trace: Trace) -> str:
    h = trace.header
    interp = h.get("interpreter") or {}
    gil = "GIL on" if h.get("gil_enabled", True) else "GIL off"
    free = " free-threaded build," if interp.get("free_threaded_build") else ""
    switch = h.get("switch_interval_ms")
    switch_text = f"switch interval {switch:g} ms" if isinstance(switch, (int, float)) else "switch interval ?"
    pool = h.get("pool_size") if uses_pool(trace.model) else None
    pool_text = f", pool {pool} workers" if pool else ""
    python = f"{interp.get('implementation', 'Python')} {interp.get('version', '?')}"
    return f"{python},{free} {gil}, {switch_text}{pool_text}"


def uses_pool(model: str) -> bool:
    """The probe reports the scenario's pool size under every model; only pool models use it."""
    module = MODELS.get(model)
    return module is None or module.SPEC.has_pool


def _date(when: datetime | str | None) -> str:
    if isinstance(when, str):
        try:
            when = datetime.fromisoformat(when.replace("Z", "+00:00"))
        except ValueError:
            return when
    when = (when or datetime.now(UTC)).astimezone(UTC)
    return when.strftime("%Y-%m-%d %H:%M UTC")
