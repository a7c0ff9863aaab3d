"""What the timeline says in words: the tooltip of a segment or an idle stretch, a compare band's subtitle.

Qt-free: the view finds what is under the mouse and shows the text these return.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..model import STATES, Trace
from .lanes import NS_PER_MS, Band
from .text import STATE_DESCRIPTIONS, RunSettings, duration_ms, metric_ms


def band_subtitle(trace: Trace) -> str:
    """What a compare band ran, for the text beside its title: "makespan 804 ms   model thread-pool   pool 2 ...".

    The makespan comes first, in the units a table uses (ms below 10 s), so a cut subtitle keeps it
    and bands stacked one above the other compare at a glance; the scenario, the same for every
    band of a comparison, comes last.
    """
    s = RunSettings.of(trace)
    parts = [
        f"makespan {metric_ms(trace.end_ns / NS_PER_MS)}" if trace.complete else "running\u2026",
        f"model {s.model}",
        s.pool,
        s.switch if s.switch_interval_ms is not None else "",
        s.scenario,
    ]
    return "   ".join(p for p in parts if p)


def describe_segment(band: Band, kind: str, i: int) -> str:
    """The tooltip of segment ``i`` of layer ``kind`` (see :data:`~.lanes.LAYERS`) in ``band``."""
    trace = band.trace
    if kind in ("tasks", "workers"):
        seg = trace.segments()
        task, worker, state, start, end = (
            int(seg.task[i]),
            int(seg.worker[i]),
            int(seg.state[i]),
            int(seg.start[i]),
            int(seg.end[i]),
        )
    elif kind in ("open", "workers_open"):
        task, worker, state, start, end = (int(a[i]) for a in band.open_seg)
    else:
        # GIL lane payloads point at the running segment: in the trace, or among the open ones.
        if kind == "gil":
            seg = trace.segments()
            t, w, s, e = int(seg.task[i]), int(seg.worker[i]), int(seg.start[i]), int(seg.end[i])
        else:
            t, w, _, s, e = (int(a[i]) for a in band.open_seg)
        ms0, ms1 = s / NS_PER_MS, e / NS_PER_MS
        info = trace.tasks[t] if 0 <= t < len(trace.tasks) else None
        who = info.label if info else f"task {t}"
        return (
            f"GIL held by {who} on {band.worker_labels.get(w, 'worker ?')}\n"
            f"from {duration_ms(ms0)} for {duration_ms(ms1 - ms0)}"
        )
    name = STATES[state] if 0 <= state < len(STATES) else "?"
    ms0, ms1 = start / NS_PER_MS, end / NS_PER_MS
    worker_text = band.worker_labels.get(worker, "none yet" if worker < 0 else f"worker {worker}")
    when = f"start {duration_ms(ms0)}, length {duration_ms(ms1 - ms0)}"
    if task < 0:
        return f"{worker_text}: idle\n{when}"
    info = trace.tasks[task] if task < len(trace.tasks) else None
    label = info.label if info else f"task {task}"
    group = info.group if info else "?"
    head = f"{worker_text} running {label}" if kind.startswith("workers") else f"{label} (group {group})"
    return f"{head}\nstate: {name}: {STATE_DESCRIPTIONS.get(name, '')}\nworker: {worker_text}\n{when}"


def describe_idle(bands: Sequence[Band], ms: float, row: int) -> str | None:
    """The tooltip of a worker row where nothing occupies it at ``ms``, or None outside its idle backdrop."""
    for band in bands:
        hits = np.flatnonzero(band.worker_rows == row)
        if len(hits):
            i = int(hits[0])
            x0, x1 = band.idle_extent(i)
            if x0 <= ms <= x1:
                name = band.worker_labels.get(int(band.worker_ids[i]), "worker")
                return f"{name}: idle\nstate: idle: {STATE_DESCRIPTIONS['idle']}"
    return None
