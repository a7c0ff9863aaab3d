"""The timeline's rows and what goes in them, without drawing: Qt-free.

A :class:`Band` is one trace laid out as rows (its GIL lane, one row per
worker, one per task, grouped) and packed into layers of segments
``(row, start ms, end ms, value, payload)``: task rows, worker rows (what
occupies each worker, by :mod:`threadloom.model.occupancy`) and the GIL lane (by
:mod:`threadloom.model.gil`). :meth:`Band.load` packs a live trace's new tail
only and returns :class:`LayerUpdate` objects that the view draws; the band
keeps what tooltips and the GIL lane need to answer questions later.

Rows are in row units (a row is 1.0 high); the view decides how many pixels
that is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ..model import STATES, Trace, worker_labels
from ..model.gil import GIL_ONE, gil_mode, gil_runs
from ..model.occupancy import WorkerTable

NS_PER_MS = 1e6
RUNNING = STATES.index("running")

#: Fraction of a row's height left empty above and below its segments: thin gaps between rows.
ROW_INSET = 0.12
#: Heights and gaps of rows, in row units.
ROW = 1.0
HEADER = 0.85
SECTION_GAP = 0.35
BAND_GAP = 0.9

#: The layers of a band: closed segments of tasks, of workers and of the GIL lane; then the same for
#: the live run's open segments (redrawn at each refresh).
LAYERS = ("tasks", "workers", "gil", "open", "workers_open", "gil_open")
#: Layers whose values are GIL-lane shades (0 or 1, flipping at each hand-off) rather than state codes.
SHADED = frozenset(("gil", "gil_open"))

EMPTY_GIL = (np.zeros(0), np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64))

#: Rows per block of :class:`Columns`: appending copies at most one block.
COLUMN_BLOCK = 1 << 17


class Columns:
    """Parallel arrays appended to in blocks, so that a live tail costs its own size: a full block is
    sealed and a new one started, rather than the whole store being copied to grow it."""

    def __init__(self, *dtypes: type) -> None:
        self._dtypes = dtypes
        self._sealed: list[tuple[np.ndarray, ...]] = []
        self._sealed_n = 0
        self._tail = [np.empty(64, dtype=d) for d in dtypes]
        self._tail_n = 0
        self._view: tuple[np.ndarray, ...] | None = None

    @property
    def n(self) -> int:
        return self._sealed_n + self._tail_n

    def view(self) -> tuple[np.ndarray, ...]:
        """Every row, as one array per column (joined on demand and cached until the next change)."""
        if self._view is None:
            tail = tuple(c[: self._tail_n] for c in self._tail)
            self._view = (
                tail
                if not self._sealed
                else tuple(np.concatenate([block[i] for block in self._sealed] + [tail[i]]) for i in range(len(tail)))
            )
        return self._view

    def tail(self) -> tuple[int, tuple[np.ndarray, ...]]:
        """The rows of the open block and the index of its first row."""
        return self._sealed_n, tuple(c[: self._tail_n] for c in self._tail)

    def last(self) -> tuple[np.ndarray, ...]:
        """The last row (empty arrays when there is none)."""
        if self._tail_n or not self._sealed:
            return tuple(c[max(self._tail_n - 1, 0) : self._tail_n] for c in self._tail)
        return tuple(c[-1:] for c in self._sealed[-1])

    def blocks(self, column: int) -> list[np.ndarray]:
        """One column as its blocks, without joining them."""
        return [block[column] for block in self._sealed] + [self._tail[column][: self._tail_n]]

    def suffix(self, column: int, value: float) -> tuple[int, tuple[np.ndarray, ...]]:
        """The last blocks, from the last one whose first value in ``column`` is at most ``value`` (all of
        them when none is), joined, and the index of their first row. For a sorted column that is every
        row after ``value`` and at least one before it: what re-deriving from ``value`` on needs,
        without joining the whole store."""
        blocks = [b for b in [*self._sealed, tuple(c[: self._tail_n] for c in self._tail)] if len(b[0])]
        if not blocks:
            return self.n, tuple(c[:0] for c in self._tail)
        take = len(blocks)
        for i in range(len(blocks) - 1, -1, -1):
            if float(blocks[i][column][0]) <= value:
                take = len(blocks) - i
                break
        chosen = blocks[-take:]
        base = self.n - sum(len(b[0]) for b in chosen)
        if len(chosen) == 1:
            return base, chosen[0]
        return base, tuple(np.concatenate([b[i] for b in chosen]) for i in range(len(self._dtypes)))

    def truncate(self, n: int) -> None:
        if n >= self.n:
            return
        self._view = None
        if n >= self._sealed_n:
            self._tail_n = n - self._sealed_n
            return
        # Into a sealed block (a segment that closed late starts before the open block): keep the
        # blocks before it, and what is kept of that block becomes the open one.
        sealed, acc = [], 0
        for block in self._sealed:
            k = len(block[0])
            if acc + k > n:
                part = n - acc
                self._tail = [np.empty(COLUMN_BLOCK, dtype=d) for d in self._dtypes]
                for c, b in zip(self._tail, block, strict=True):
                    c[:part] = b[:part]
                self._tail_n = part
                break
            sealed.append(block)
            acc += k
        self._sealed, self._sealed_n = sealed, acc

    def extend(self, *arrays: np.ndarray) -> None:
        k = len(arrays[0])
        if not k:
            return
        self._view = None
        if self._tail_n + k > COLUMN_BLOCK and self._tail_n:
            self._sealed.append(tuple(c[: self._tail_n] for c in self._tail))
            self._sealed_n += self._tail_n
            self._tail = [np.empty(min(max(k, 64), COLUMN_BLOCK), dtype=d) for d in self._dtypes]
            self._tail_n = 0
        if self._tail_n + k > len(self._tail[0]):
            capacity = max(self._tail_n + k, min(2 * len(self._tail[0]), COLUMN_BLOCK))
            grown = []
            for c in self._tail:
                g = np.empty(capacity, dtype=c.dtype)
                g[: self._tail_n] = c[: self._tail_n]
                grown.append(g)
            self._tail = grown
        for c, a in zip(self._tail, arrays, strict=True):
            c[self._tail_n : self._tail_n + k] = a
        self._tail_n += k


def gil_columns() -> Columns:
    # start ms, end ms, task, worker, shade (0 or 1), index of the segment in the trace
    return Columns(np.float64, np.float64, np.int64, np.int64, np.uint8, np.int64)


@dataclass
class Row:
    kind: str  # title, gil, header, worker, task
    label: str
    top: float
    height: float


class LayerUpdate(NamedTuple):
    """Segments for one layer of a band: replace the layer with them, or append them to it."""

    kind: str  # one of LAYERS
    replace: bool
    rows: np.ndarray
    start: np.ndarray  # ms
    end: np.ndarray  # ms
    values: np.ndarray  # state codes; shades (0 or 1) for the layers in SHADED
    payload: np.ndarray | None  # what a hit on a segment returns: its index in the trace (or in the open ones)


def _empty_update(kind: str) -> LayerUpdate:
    z = np.zeros(0)
    return LayerUpdate(kind, True, z.astype(np.int64), z, z, z.astype(np.uint8), None)


@dataclass
class Band:
    """One trace's rows and the arrays behind its layers (kept for tooltips and the GIL lane)."""

    trace: Trace
    label: str
    index: int
    top: float = 0.0
    bottom: float = 0.0
    gil_row: int = -1
    task_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    workers: WorkerTable = field(default_factory=WorkerTable)  # ids sorted, with their traits
    worker_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # per workers.ids
    worker_labels: dict[int, str] = field(default_factory=dict)
    gil_mode: str = GIL_ONE
    generation: int = -1
    n_seen: int = 0
    rewrites: int = 0  # the trace's rewrites when its segments were last packed from the start
    n_tasks: int = 0
    n_workers: int = 0
    busy_from: np.ndarray = field(default_factory=lambda: np.zeros(0))  # ms, per worker: first occupation
    busy_to: np.ndarray = field(default_factory=lambda: np.zeros(0))  # ms, per worker: last occupation end
    open_seg: tuple[np.ndarray, ...] = ()  # the live run's open segments (task, worker, state, start, end)
    gil_cols: Columns = field(default_factory=gil_columns)  # closed running segments, by start
    gil_open: tuple[np.ndarray, ...] = EMPTY_GIL  # open running segments: start ms, end ms, task, worker
    handoff_cols: Columns = field(default_factory=lambda: Columns(np.float64))  # hand-off times, sorted
    open_handoffs: np.ndarray = field(default_factory=lambda: np.zeros(0))
    complete: bool = False  # whether the trace was complete when its subtitle was written

    @property
    def worker_ids(self) -> np.ndarray:
        return self.workers.ids

    @property
    def gil(self) -> tuple[np.ndarray, ...]:
        """Closed running segments: start ms, end ms, task, worker; sorted by start."""
        return self.gil_cols.view()[:4]

    @property
    def handoffs(self) -> np.ndarray:
        return self.handoff_cols.view()[0]

    @property
    def draws_gil(self) -> bool:
        """Whether the GIL lane has segments to draw: not when there is no GIL, or one per process."""
        return self.gil_mode == GIL_ONE

    def handoff_times(self) -> list[np.ndarray]:
        """Hand-off times in blocks of sorted arrays (closed, then open), or none without a shared GIL."""
        return [*self.handoff_cols.blocks(0), self.open_handoffs] if self.draws_gil else []

    def layer(self, kind: str) -> str:
        return f"{self.index}:{kind}"

    def layout_changed(self) -> bool:
        """Whether the trace gained tasks or workers, or its GIL mode changed, since it was laid out."""
        t = self.trace
        return len(t.tasks) != self.n_tasks or len(t.workers) != self.n_workers or gil_mode(t) != self.gil_mode

    # -- rows --------------------------------------------------------------------------------
    def lay_out(self, rows: list[Row], y: float, compare: bool) -> float:
        """Append this band's rows to ``rows`` from ``y`` down; returns the bottom of the band."""

        def add(kind: str, label: str, y: float, height: float) -> int:
            rows.append(Row(kind, label, y, height))
            return len(rows) - 1

        trace = self.trace
        self.top = y
        self.n_tasks, self.n_workers = len(trace.tasks), len(trace.workers)
        self.complete = trace.complete
        self.gil_mode = gil_mode(trace)
        if compare:
            add("title", self.label, y, ROW)
            y += ROW
        self.gil_row = add("gil", "GIL" if self.draws_gil else "GIL (none)", y, ROW)
        y += ROW + SECTION_GAP
        self.worker_labels = worker_labels(trace)
        self.workers = WorkerTable.of(trace.workers)
        ids = self.workers.ids.tolist()
        if ids:
            add("header", "workers", y, HEADER)
            y += HEADER
        worker_rows = []
        for wid in ids:
            worker_rows.append(add("worker", self.worker_labels[wid], y, ROW))
            y += ROW
        self.worker_rows = np.array(worker_rows, dtype=np.int64)
        n_ids = max((t.id for t in trace.tasks), default=-1) + 1
        self.task_rows = np.full(n_ids, -1, dtype=np.int64)
        for group in trace.groups():
            members = [t for t in trace.tasks if t.group == group]
            y += SECTION_GAP
            add("header", group, y, HEADER)
            y += HEADER
            for t in members:
                self.task_rows[t.id] = add("task", t.label, y, ROW)
                y += ROW
        self.bottom = y
        self.generation = -1
        self.n_seen = 0
        return y

    def worker_row(self, worker: np.ndarray) -> np.ndarray:
        ids = self.workers.ids
        if not len(ids):
            return np.full(len(worker), -1, dtype=np.int64)
        pos = np.clip(np.searchsorted(ids, worker), 0, len(ids) - 1)
        return np.where(ids[pos] == worker, self.worker_rows[pos], -1)

    def task_row(self, task: np.ndarray) -> np.ndarray:
        valid = (task >= 0) & (task < len(self.task_rows))
        return (
            np.where(valid, self.task_rows[np.clip(task, 0, max(len(self.task_rows) - 1, 0))], -1)
            if len(self.task_rows)
            else np.full(len(task), -1, dtype=np.int64)
        )

    # -- idle stretches ----------------------------------------------------------------------
    def idle_extent(self, i: int) -> tuple[float, float]:
        """From the first occupation of worker ``i`` (position in ``workers``) to its last, or to the end
        of the run for a long-lived worker (a pool's, an event loop) and for one that is busy now."""
        x0, x1 = float(self.busy_from[i]), float(self.busy_to[i])
        if self.workers.long_lived[i] or (self.open_seg and int(self.workers.ids[i]) in self.open_seg[1]):
            x1 = max(x1, self.trace.end_ns / NS_PER_MS)
        return x0, x1

    def idle_spans(self, rows: list[Row]) -> list[tuple[float, float, float, float]]:
        """(top, height, x0, x1) of each worker's idle backdrop (see :meth:`idle_extent`)."""
        spans = []
        for i, row in enumerate(self.worker_rows.tolist()):
            x0, x1 = self.idle_extent(i)
            if math.isfinite(x0) and x1 > x0:
                r = rows[row]
                spans.append((r.top + r.height * ROW_INSET, r.height * (1 - 2 * ROW_INSET), x0, x1))
        return spans

    # -- packing segments --------------------------------------------------------------------
    def load(self, full: bool, budget: int | None = None) -> tuple[bool, list[LayerUpdate]]:
        """Pack the band's segments: all of them, or (``full=False``) only those added since last time,
        at most ``budget`` of them. Returns whether the band has caught up with its trace, and what to draw.

        Closed segments get appended to a live trace, so a live refresh packs just the new tail
        into the task rows, worker rows and GIL lane; the few open segments are redrawn each time.
        A trace whose segments were rewritten (GIL exclusion, when the run completes) is packed
        again from the start.
        """
        trace = self.trace
        seg = trace.segments()
        total = len(seg)
        rewritten = trace.rewrites != self.rewrites
        first = 0 if full or rewritten or total < self.n_seen else self.n_seen
        n = total if budget is None else min(total, first + budget)
        replace = first == 0
        if replace:
            self.rewrites = trace.rewrites
            self.busy_from = np.full(len(self.workers), np.inf)
            self.busy_to = np.full(len(self.workers), -np.inf)
        tail = slice(first, n)
        task = seg.task[tail].astype(np.int64)
        worker, state = seg.worker[tail], seg.state[tail]
        start, end = seg.start[tail] / NS_PER_MS, seg.end[tail] / NS_PER_MS
        index = np.arange(first, n, dtype=np.int64)

        updates = []
        rows = self.task_row(task)
        ok = rows >= 0
        updates.append(LayerUpdate("tasks", replace, rows[ok], start[ok], end[ok], state[ok], index[ok]))

        occ = self.workers.occupied(worker, state)
        wrows = self.worker_row(worker[occ])
        updates.append(LayerUpdate("workers", replace, wrows, start[occ], end[occ], state[occ], index[occ]))
        self._note_busy(worker[occ], start[occ], end[occ])

        run = state == RUNNING
        updates.append(
            self._append_gil(start[run], end[run], task[run], worker[run].astype(np.int64), index[run], replace)
        )
        self.n_seen = n
        if n < total:
            # Still behind: the open segments wait until the closed ones before them are in.
            return False, updates

        live = trace.open_segments() if not trace.complete else None
        if live is None or not len(live):
            self.open_seg, self.gil_open, self.open_handoffs = (), EMPTY_GIL, np.zeros(0)
            updates.extend(_empty_update(kind) for kind in ("open", "workers_open", "gil_open"))
        else:
            updates.extend(self._load_open(live))
        self.generation = trace.generation
        return True, updates

    def _note_busy(self, worker: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
        if not len(worker):
            return
        pos = np.searchsorted(self.workers.ids, worker)
        np.minimum.at(self.busy_from, pos, start)
        np.maximum.at(self.busy_to, pos, end)

    def _append_gil(
        self,
        start: np.ndarray,
        end: np.ndarray,
        task: np.ndarray,
        worker: np.ndarray,
        index: np.ndarray,
        reset: bool,
    ) -> LayerUpdate:
        """Add closed running segments (``index``: their place in the trace) to the GIL lane, sorted by start.

        A segment that closed late may start before the lane's end; then only the lane from that
        point on is re-derived (shades and hand-offs), never the whole lane. Segments already drawn
        keep their shade, so the alternation may repeat a shade once there: drawing stays append-only.
        """
        lane, handoffs = self.gil_cols, self.handoff_cols
        if reset:
            lane.truncate(0)
            handoffs.truncate(0)
        fresh = np.ones(len(start), dtype=bool)
        base, old = lane.tail()
        first = lane.n
        if len(start) and lane.n and float(start.min()) < float(old[0][-1] if len(old[0]) else -math.inf):
            if float(start.min()) < float(old[0][0]):
                # Only the blocks from the one where the late segment goes: never the whole lane.
                base, old = lane.suffix(0, float(start.min()))
            first = base + int(np.searchsorted(old[0], float(start.min()), "right"))
            k = first - base
            start, end = np.concatenate([old[0][k:], start]), np.concatenate([old[1][k:], end])
            task, worker = np.concatenate([old[2][k:], task]), np.concatenate([old[3][k:], worker])
            index = np.concatenate([old[5][k:], index])
            fresh = np.concatenate([np.zeros(lane.n - first, dtype=bool), fresh])
        elif len(old[0]) == 0 and lane.n:
            base, old = lane.suffix(0, math.inf)  # the open block is empty: the last sealed one
        k = first - base
        prev_task = int(old[2][k - 1]) if k > 0 else -1
        prev_shade = int(old[4][k - 1]) if k > 0 else 0
        order = np.argsort(start, kind="stable")
        cols, shade, times, _ = gil_runs(start, end, task, worker, prev_task, prev_shade)
        fresh, index = fresh[order], index[order]
        if len(cols[0]):
            base, (times_tail,) = handoffs.tail()
            if not len(times_tail) or float(cols[0][0]) < float(times_tail[0]):
                base, (times_tail,) = handoffs.suffix(0, float(cols[0][0]))
            # Kept segments may start at the same instant as the first re-derived one (cut pieces
            # resume together): their hand-offs at that instant stay, later ones are derived again.
            handoffs.truncate(base + int(np.searchsorted(times_tail, float(cols[0][0]), "right")))
        lane.truncate(first)
        lane.extend(*cols, shade, index)
        handoffs.extend(times)
        if not self.draws_gil:
            fresh[:] = False
        return LayerUpdate(
            "gil",
            reset,
            np.full(int(fresh.sum()), self.gil_row, np.int64),
            cols[0][fresh],
            cols[1][fresh],
            shade[fresh],
            index[fresh],
        )

    def _load_open(self, live) -> list[LayerUpdate]:
        self.open_seg = tuple(np.asarray(a) for a in live)
        task = live.task.astype(np.int64)
        start, end = live.start / NS_PER_MS, live.end / NS_PER_MS
        rows = self.task_row(task)
        ok = rows >= 0
        updates = [LayerUpdate("open", True, rows[ok], start[ok], end[ok], live.state[ok], np.flatnonzero(ok))]
        occ = self.workers.occupied(live.worker, live.state)
        updates.append(
            LayerUpdate(
                "workers_open",
                True,
                self.worker_row(live.worker[occ]),
                start[occ],
                end[occ],
                live.state[occ],
                np.flatnonzero(occ),
            )
        )
        run = live.state == RUNNING
        _, _, last_task, _, last_shade, _ = self.gil_cols.last()
        prev_task = int(last_task[0]) if len(last_task) else -1
        prev_shade = int(last_shade[0]) if len(last_shade) else 0
        cols, shade, handoffs, _ = gil_runs(
            start[run], end[run], task[run], live.worker[run].astype(np.int64), prev_task, prev_shade
        )
        self.gil_open, self.open_handoffs = cols, handoffs
        if not self.draws_gil:
            cols, shade = tuple(c[:0] for c in cols), shade[:0]
        updates.append(
            LayerUpdate(
                "gil_open",
                True,
                np.full(len(cols[0]), self.gil_row, np.int64),
                cols[0],
                cols[1],
                shade,
                np.flatnonzero(run)[np.argsort(start[run], kind="stable")],
            )
        )
        return updates
