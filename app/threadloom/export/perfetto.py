"""Chrome trace event JSON, for Perfetto (ui.perfetto.dev) and ``chrome://tracing``.

Layout: each run gives two "processes" (pid), one holding a track (tid) per
task and one holding a track per worker, named with ``M`` metadata events.
Every segment becomes an ``X`` (complete) event named by its state, with
``ts``/``dur`` in microseconds since the run started, so the numbers read in
Perfetto are the numbers Threadloom shows. The run's settings go into the
``otherData`` metadata and into each process's name and labels. Where the
probe's threads share one GIL, the workers process also holds a track named
"GIL": one slice per stretch a task held it, named by the task.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .. import __version__
from ..model import STATES, Trace
from ..model.gil import GIL_ONE, gil_mode, gil_runs, in_probe_gil
from ..viewmodel.text import RunSettings

#: chrome://tracing's reserved colour names, so its colours read like Threadloom's (Perfetto picks its own).
_CNAME = {
    "running": "thread_state_running",
    "native": "thread_state_running",
    "ready": "thread_state_runnable",
    "io": "thread_state_iowait",
    "blocked": "thread_state_uninterruptible",
    "queued": "thread_state_sleeping",
    "idle": "thread_state_sleeping",
    "transfer": "thread_state_iowait",
}


def run_settings(trace: Trace) -> dict[str, Any]:
    """The settings of one run, as trace metadata: :class:`RunSettings`' keys, whether it finished, its makespan."""
    return {**RunSettings.of(trace).to_json(), "complete": trace.complete, "makespan_ms": trace.end_ns / 1e6}


def chrome_trace_json(traces: list[Trace], labels: list[str] | None = None) -> str:
    """The trace as Chrome trace event JSON text (built as text: runs have hundreds of thousands of slices)."""
    labels = list(labels) if labels is not None else [t.model for t in traces]
    events: list[str] = []
    runs_meta = []
    for i, (trace, label) in enumerate(zip(traces, labels, strict=True)):
        runs_meta.append({"label": label, **run_settings(trace)})
        tasks_pid, workers_pid = 2 * i + 1, 2 * i + 2
        line = RunSettings.of(trace).line("interpreter", "gil", "switch", "pool", "cpus")
        _process(events, tasks_pid, f"{label}: tasks", line, 2 * i)
        _process(events, workers_pid, f"{label}: workers", line, 2 * i + 1)
        task_names = [t.label for t in trace.tasks]
        for t in trace.tasks:
            _thread(events, tasks_pid, _tid(tasks_pid, t.id), t.label, t.id)
        worker_ids = sorted(trace.workers)
        worker_tid = {wid: _tid(workers_pid, k) for k, wid in enumerate(worker_ids)}
        worker_names = {wid: trace.workers[wid].name or f"worker {wid}" for wid in worker_ids}
        for wid in worker_ids:
            w = trace.workers[wid]
            _thread(events, workers_pid, worker_tid[wid], f"{worker_names[wid]} ({w.kind})", wid)

        seg = trace.segments()
        if not trace.complete:
            extra = trace.open_segments()
            seg = type(seg)(*(np.concatenate([a, b]) for a, b in zip(seg, extra, strict=True)))
        group_of = [t.group for t in trace.tasks]
        _slices(events, tasks_pid, seg, _tid(tasks_pid, seg.task.astype(np.int64)), task_names, group_of, worker_names)
        lanes = _without_overlaps(trace.worker_lanes())
        lane_tids = np.array([worker_tid[w] for w in lanes.worker.tolist()], dtype=np.int64)
        _slices(events, workers_pid, lanes, lane_tids, task_names, group_of, worker_names)
        if gil_mode(trace) == GIL_ONE:
            gil_tid = _tid(workers_pid, len(worker_ids))
            _thread(events, workers_pid, gil_tid, "GIL", -1)
            _gil_slices(events, workers_pid, gil_tid, gil_stretches(trace, seg), task_names, group_of)

    other = {
        "generator": f"Threadloom {__version__}",
        "scenario": traces[0].header.get("scenario", "") if traces else "",
        "time_unit": "microseconds since the run started",
        "runs": runs_meta,
    }
    return (
        '{"displayTimeUnit":"ms","otherData":'
        + json.dumps(other, allow_nan=False, default=str)
        + ',"traceEvents":[\n'
        + ",\n".join(events)
        + "\n]}\n"
    )


def _tid(pid: int, index):
    """Thread ids unique across the whole file, small and non-zero.

    Perfetto keys threads by tid: the same tid under two pids would be taken for one
    thread that moved, and 0 or ids beyond 32 bits have been mishandled.
    """
    return pid * 100_000 + index + 1


def _process(events: list[str], pid: int, name: str, labels: str, order: int) -> None:
    events.append(_meta("process_name", pid, 0, {"name": name}))
    events.append(_meta("process_labels", pid, 0, {"labels": labels}))
    events.append(_meta("process_sort_index", pid, 0, {"sort_index": order}))


def _thread(events: list[str], pid: int, tid: int, name: str, order: int) -> None:
    events.append(_meta("thread_name", pid, tid, {"name": name}))
    events.append(_meta("thread_sort_index", pid, tid, {"sort_index": order}))


def _meta(name: str, pid: int, tid: int, args: dict[str, Any]) -> str:
    return json.dumps({"ph": "M", "name": name, "pid": pid, "tid": tid, "args": args})


def _slices(
    events: list[str],
    pid: int,
    seg,
    tids: np.ndarray,
    task_names: list[str],
    group_of: list[str],
    worker_names: dict[int, str],
) -> None:
    task_json = [json.dumps(n) for n in task_names]
    group_json = [json.dumps(g) for g in group_of]
    worker_json = {wid: json.dumps(n) for wid, n in worker_names.items()}
    keep = seg.end > seg.start  # zero-length slices would nest oddly in Perfetto
    tasks = seg.task[keep].tolist()
    workers = seg.worker[keep].tolist()
    states = seg.state[keep].tolist()
    # Microseconds with nanosecond precision: ts and dur may be fractional.
    starts = (seg.start[keep] / 1e3).tolist()
    durs = ((seg.end[keep] - seg.start[keep]) / 1e3).tolist()
    for task, worker, state, tid, ts, dur in zip(
        tasks, workers, states, tids[keep].tolist(), starts, durs, strict=True
    ):
        name = STATES[state]
        args = [f'"state":"{name}"']
        if task >= 0:
            args.append(f'"task":{task_json[task]},"group":{group_json[task]}')
        if worker >= 0:
            args.append(f'"worker":{worker_json.get(worker, json.dumps(str(worker)))}')
        events.append(
            f'{{"ph":"X","name":"{name}","cat":"{name}","cname":"{_CNAME[name]}","pid":{pid},'
            f'"tid":{tid},"ts":{ts:.3f},"dur":{dur:.3f},"args":{{{",".join(args)}}}}}'
        )


def _without_overlaps(lanes):
    """Trim each worker's slices so none overlaps the one before.

    A worker runs one thing at a time, but clock noise between threads can
    overlap two slices by microseconds, and Perfetto drops overlapping slices.
    """
    if not len(lanes):
        return lanes
    order = np.lexsort((lanes.start, lanes.worker))
    task, worker, state, start, end = (a[order] for a in lanes)
    same = np.zeros(len(start), dtype=bool)
    same[1:] = worker[1:] == worker[:-1]
    reach = end.copy()
    # Running maximum of ends within each worker: a cumulative max reset at each new worker.
    boundaries = np.flatnonzero(~same)
    for k, b in enumerate(boundaries):
        e = boundaries[k + 1] if k + 1 < len(boundaries) else len(reach)
        reach[b:e] = np.maximum.accumulate(reach[b:e])
    prev_reach = np.empty_like(reach)
    prev_reach[0] = start[0]
    prev_reach[1:] = reach[:-1]
    start = np.where(same, np.maximum(start, prev_reach), start)
    keep = end > start
    return type(lanes)(task[keep], worker[keep], state[keep], start[keep], end[keep])


def gil_stretches(trace: Trace, seg) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(start, end, task)`` of each stretch one task held the probe's GIL, in order, none overlapping.

    From the GIL lane (:func:`threadloom.model.gil.gil_runs` over ``running`` segments on workers
    that share the GIL): a stretch ends where another task takes the GIL or where nobody holds it.
    Where two stretches overlap by a few microseconds (measured hand-offs), the later one starts
    where the earlier one ends.
    """
    run = (seg.state == STATES.index("running")) & in_probe_gil(trace, seg.worker) & (seg.end > seg.start)
    (start, end, task, _), _, _, _ = gil_runs(seg.start[run], seg.end[run], seg.task[run], seg.worker[run])
    if not len(start):
        return start, end, task
    reach = np.maximum.accumulate(end)
    new = np.ones(len(start), dtype=bool)
    new[1:] = (task[1:] != task[:-1]) | (start[1:] > reach[:-1])
    heads = np.flatnonzero(new)
    s = start[heads]
    e = reach[np.append(heads[1:] - 1, len(start) - 1)]
    s[1:] = np.maximum(s[1:], e[:-1])
    keep = e > s
    return s[keep], e[keep], task[heads][keep]


def _gil_slices(events: list[str], pid: int, tid: int, stretches, task_names: list[str], group_of: list[str]) -> None:
    start, end, task = stretches
    for ts, dur, t in zip((start / 1e3).tolist(), ((end - start) / 1e3).tolist(), task.tolist(), strict=True):
        name = json.dumps(task_names[t])
        events.append(
            f'{{"ph":"X","name":{name},"cat":"gil","cname":"thread_state_running","pid":{pid},'
            f'"tid":{tid},"ts":{ts:.3f},"dur":{dur:.3f},"args":{{"holder":{name},"group":{json.dumps(group_of[t])}}}}}'
        )
