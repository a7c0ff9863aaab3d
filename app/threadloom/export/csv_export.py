"""Segments as CSV, one row per segment, for spreadsheets and pandas.

Columns: ``run, task, group, worker, state, start_ms, end_ms``. ``run`` is the
run's label (the model, unless the runs were labelled otherwise), so a
comparison fits in one file and ``df.groupby("run")`` splits it again;
``worker`` is empty while a task waits in a queue with no worker yet. Times
are milliseconds since the run started, with nanosecond precision.
"""

from __future__ import annotations

import csv
import io

import numpy as np

from ..model import STATES, Trace

COLUMNS = ("run", "task", "group", "worker", "state", "start_ms", "end_ms")


def segments_csv(traces: list[Trace], labels: list[str] | None = None) -> str:
    """All segments of ``traces`` as CSV text, ordered by run, then start time."""
    labels = list(labels) if labels is not None else [t.model for t in traces]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for trace, label in zip(traces, labels, strict=True):
        seg = trace.segments()
        if not trace.complete:
            extra = trace.open_segments()
            seg = type(seg)(*(np.concatenate([a, b]) for a, b in zip(seg, extra, strict=True)))
        order = np.argsort(seg.start, kind="stable")
        task_label = [t.label for t in trace.tasks]
        task_group = [t.group for t in trace.tasks]
        worker_name = {wid: w.name or str(wid) for wid, w in trace.workers.items()}
        starts = [f"{v:.6f}" for v in (seg.start[order] / 1e6).tolist()]
        ends = [f"{v:.6f}" for v in (seg.end[order] / 1e6).tolist()]
        writer.writerows(
            (label, task_label[t], task_group[t], worker_name.get(w, "") if w >= 0 else "", STATES[s], a, b)
            for t, w, s, a, b in zip(
                seg.task[order].tolist(),
                seg.worker[order].tolist(),
                seg.state[order].tolist(),
                starts,
                ends,
                strict=True,
            )
        )
    return out.getvalue()
