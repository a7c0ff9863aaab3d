"""What a picture says about itself, what it can show, and its formats and sizes (Qt-free).

A screenshot travels alone (a slide, a blog post, a bug report), so it carries
a caption: the scenario, the model(s), the interpreter and its version, GIL on
or off, the switch interval, the pool size, the date and the states' legend.
The text, the views a picture can show, its formats and its size limits are
set here without Qt, so the CLI can check its options before a run; the
picture itself is drawn by :mod:`threadloom.ui.render`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .. import __version__
from ..errors import UsageError
from ..model import DISTURBED_AT, Trace
from ..viewmodel.text import RunSettings, disturbance_warning, uses_pool

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
    "blocked": "blocked: a lock or a blocking call",
    "queued": "queued: no worker yet",
    "idle": "idle: worker has nothing to do",
    "transfer": "transfer: data pickled and copied",
}


@dataclass(frozen=True)
class Caption:
    """The caption band's text: a title line and a settings line (the legend is drawn from the palette)."""

    title: str
    details: str
    #: "busy machine: ..." when other programs used enough CPU to disturb a run's timings (also in ``details``).
    warning: str = ""


def picture_format(path: str | Path, option: str | None = None) -> str:
    """The picture format from the file's extension: png, svg or pdf.

    A :class:`UsageError` otherwise; ``option`` (the flag or the menu item the
    name came from, said by the caller) starts its message.
    """
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        got = f".{suffix}" if suffix else "no extension"
        where = f"{option}: " if option else ""
        raise UsageError(f"{where}{path}: the name must end in .png, .svg or .pdf (got {got})")
    return suffix


def caption_for(traces: list[Trace], labels: list[str] | None = None, when: datetime | str | None = None) -> Caption:
    """The caption of a picture of ``traces`` (one run, or a comparison) recorded at ``when`` (default now)."""
    labels = list(labels) if labels is not None else [t.model for t in traces]
    scenario = next((str(t.header.get("scenario")) for t in traces if t.header.get("scenario")), "Threadloom")
    models = " vs ".join(labels) if labels else "no run"
    title = f"{scenario}  —  {models}"
    runs = [RunSettings.of(t) for t in traces]
    per_run = [_settings(s) for s in runs]
    if len(set(per_run)) <= 1:
        settings = per_run[0] if per_run else ""
    else:
        settings = "; ".join(f"{label}: {s}" for label, s in zip(labels, per_run, strict=True))
    cpus = {s.cpus for s in runs if s.cpus}
    parts = [settings] if settings else []
    if len(cpus) == 1:
        parts.append(cpus.pop())
    if any(not t.complete for t in traces):
        parts.append("incomplete run")
    warning = _disturbance(traces, labels)
    if warning:
        parts.append(warning)
    parts.append(_date(when))
    parts.append(f"Threadloom {__version__}")
    return Caption(title, "  ·  ".join(parts), warning)


def _disturbance(traces: list[Trace], labels: list[str]) -> str:
    """The busiest run's warning (naming it when there are several), or ""."""
    shares = []
    for trace, label in zip(traces, labels, strict=False):
        share = (trace.trailer or {}).get("other_cpu_utilization")
        if isinstance(share, (int, float)) and not isinstance(share, bool):
            shares.append((float(share), label))
    if not shares:
        return ""
    share, label = max(shares)
    warning = disturbance_warning(share, DISTURBED_AT)
    if warning and len(traces) > 1:
        warning += f" ({label})"
    return warning


def _settings(s: RunSettings) -> str:
    """ "CPython 3.13.1, free-threaded build, GIL off, switch interval 5 ms, pool 4 workers"."""
    free = "free-threaded build" if s.free_threaded_build else ""
    pool = f"{s.pool} workers" if s.pool else ""
    return ", ".join(part for part in (s.interpreter, free, s.gil, s.switch, pool) if part)


def _date(when: datetime | str | None) -> str:
    if isinstance(when, str):
        try:
            when = datetime.fromisoformat(when.replace("Z", "+00:00"))
        except ValueError:
            return when
    when = (when or datetime.now(UTC)).astimezone(UTC)
    return when.strftime("%Y-%m-%d %H:%M UTC")


__all__ = [
    "DEFAULT_SIZE",
    "FORMATS",
    "MAX_SIZE",
    "MIN_SIZE",
    "STATE_LEGEND",
    "VIEWS",
    "Caption",
    "caption_for",
    "picture_format",
    "uses_pool",
]
