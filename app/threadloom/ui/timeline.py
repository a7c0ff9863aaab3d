"""The timeline: every task, worker and the GIL over time, fast enough for a million segments.

Public API (used by the main window and the exporters; keep it stable):

- ``TimelineWidget(parent=None, dark=False)``: a legend of states above a ``pg.PlotWidget``.

  - ``set_traces(traces, labels=None)``: one trace shows a single run; several are stacked in
    bands on one shared time axis (compare), each band titled with its label.
  - ``refresh()``: cheap, for live runs: re-reads only traces whose ``generation`` changed and
    appends just the new tail of their segments when it can.
  - ``follow_live(enabled, window_ms=None)``: keep the end of the run in view while it grows.
  - ``set_cursor_ms(ms | None)``: show or hide the vertical replay cursor.
  - ``cursorMoved(float)``: emitted (ms) when the user clicks or drags on the time axis or the cursor.
  - ``visible_range_ms() -> (start, end)``, ``set_visible_range_ms(start, end)``.
  - ``gil_holder_at(ms, band=0) -> task id | None``: who holds the GIL in the GIL lane at ``ms``.
  - ``set_dark(bool)``, ``plot_widget`` (for exporters), ``segment_item``.

- ``SegmentItem``: a ``pg.GraphicsObject`` drawing rows of coloured segments with level of detail.

Time is in milliseconds since the run's start on the x axis; rows go down the y axis.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QCursor, QFont, QFontMetrics, QImage, QPainter, QPixmap, QPolygonF
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolTip, QVBoxLayout, QWidget

from threadloom.model import STATES, Trace

from .palette import STATE_DESCRIPTIONS, state_colors, state_legend_items, theme

_NS_PER_MS = 1e6
_RUNNING = STATES.index("running")
#: Extra colour index after the seven states: the alternate shade of ``running`` in the GIL lane,
#: so that a hand-off from one holder to the next shows as a change of shade.
_RUNNING_ALT = len(STATES)
_LOOP_OCCUPYING = np.array([STATES.index(s) for s in ("running", "native", "blocked")])
_THREAD_OCCUPYING = np.array([STATES.index(s) for s in ("running", "native", "ready", "io", "blocked")])

#: Fraction of a row's height left empty above and below its segments: thin gaps between rows.
_ROW_INSET = 0.12
#: Segments narrower than this many pixels go into the per-pixel cells rather than drawRects:
#: a cell costs a numpy write, a rectangle about 0.2 us of Qt rasterising.
_CELL_MAX_PX = 12.0
#: Up to this many runs of equal cells in a row, cells are drawn as rectangles rather than image strips.
_RUNS_MAX = 20_000
#: Layers with at least this many segments get pre-merged levels of detail for far views...
_LEVEL_MIN_SEGMENTS = 50_000
#: ...as long as a level stays under this many cells (rows x bins), i.e. a few MB.
_LEVEL_MAX_CELLS = 4_000_000
#: Hand-off markers are drawn only when they are at least this many pixels apart on average.
_HANDOFF_MIN_SPACING_PX = 10.0


# --------------------------------------------------------------------------------------------
# The fast segment item
# --------------------------------------------------------------------------------------------


class PaintStats(NamedTuple):
    """What the last ``SegmentItem.paint`` did: for tests and benchmarks."""

    visible: int  # segments that overlapped the view, drawn directly (not through a pre-merged level)
    rects: int  # rectangles handed to drawRects (segments at least a pixel wide)
    lod_cells: int  # row x pixel-column cells filled from sub-pixel segments (directly or from a level)
    strips: int  # image strips drawn for those cells (one per row that has any)

    @property
    def primitives(self) -> int:
        """Rectangles plus image strips: what Qt actually rasterised."""
        return self.rects + self.strips


_COLUMNS = ("start", "end", "row", "color", "payload")


class _Bucket:
    """Segments whose lengths share a power of two, sorted by start.

    Knowing an upper bound on the length lets ``searchsorted`` on the starts find exactly the
    segments that overlap the view, and tells at once whether the whole bucket is wider or
    narrower than a pixel. Columns grow in place (capacity doubling) so that a live run's new
    tail costs only its own size.
    """

    def __init__(self, exp: int, start: np.ndarray, end: np.ndarray, row: np.ndarray, color: np.ndarray,
                 payload: np.ndarray) -> None:
        self.exp = exp  # lengths are in [2**(exp-1), 2**exp) ms
        self._cols = {"start": start, "end": end, "row": row, "color": color, "payload": payload}
        self.n = len(start)
        self.maxlen = float((end - start).max()) if self.n else 0.0
        self._argb = np.zeros(0, dtype=np.uint32)
        self._argb_n = 0
        self._argb_version = -1

    @property
    def start(self) -> np.ndarray:
        return self._cols["start"][: self.n]

    @property
    def end(self) -> np.ndarray:
        return self._cols["end"][: self.n]

    @property
    def row(self) -> np.ndarray:
        return self._cols["row"][: self.n]

    @property
    def color(self) -> np.ndarray:
        return self._cols["color"][: self.n]

    @property
    def payload(self) -> np.ndarray:
        return self._cols["payload"][: self.n]

    def argb(self, table: np.ndarray, version: int) -> np.ndarray:
        """Per-segment packed colour, cached until the colour table changes; appends extend it."""
        if self._argb_version != version or len(self._argb) < self.n or self._argb_n > self.n:
            if self._argb_version != version or self._argb_n > self.n:
                self._argb_n = 0
            grown = np.empty(len(self._cols["start"]), dtype=np.uint32)
            grown[: self._argb_n] = self._argb[: self._argb_n]
            self._argb = grown
            self._argb_version = version
        if self._argb_n < self.n:
            self._argb[self._argb_n: self.n] = table[self.color[self._argb_n:]]
            self._argb_n = self.n
        return self._argb[: self.n]

    def merge(self, other: _Bucket) -> None:
        """Add ``other``'s segments: in place when they start after ours (a live tail), else re-sort."""
        k = other.n
        in_order = not self.n or other.start[0] >= self.start[-1]
        if self.n + k > len(self._cols["start"]):
            capacity = max(self.n + k, 2 * len(self._cols["start"]))
            for name, col in self._cols.items():
                grown = np.empty(capacity, dtype=col.dtype)
                grown[: self.n] = col[: self.n]
                self._cols[name] = grown
        for name in _COLUMNS:
            self._cols[name][self.n: self.n + k] = getattr(other, name)
        self.n += k
        if not in_order:
            order = np.argsort(self.start, kind="stable")
            for name in _COLUMNS:
                self._cols[name][: self.n] = self._cols[name][: self.n][order]
            self._argb_n = 0
        self.maxlen = max(self.maxlen, other.maxlen)


def _bucketise(start: np.ndarray, end: np.ndarray, row: np.ndarray, color: np.ndarray,
               payload: np.ndarray) -> dict[int, _Bucket]:
    length = np.maximum(end - start, 0.0)
    exp = np.clip(np.frexp(length)[1], -40, 40).astype(np.int16)
    order = np.lexsort((start, exp))
    exp = exp[order]
    cuts = np.flatnonzero(np.diff(exp)) + 1
    bounds = np.concatenate([[0], cuts, [len(order)]])
    buckets: dict[int, _Bucket] = {}
    for lo, hi in itertools.pairwise(bounds.tolist()):
        if hi <= lo:
            continue
        idx = order[lo:hi]
        b = _Bucket(int(exp[lo]), start[idx], end[idx], row[idx], color[idx], payload[idx])
        buckets[b.exp] = b
    return buckets


def _ordered(buckets: dict[int, _Bucket]) -> list[_Bucket]:
    # Shortest first: when sub-pixel segments share a pixel, the longer one is drawn last and wins.
    return [buckets[k] for k in sorted(buckets)]


class _Layer:
    """One named set of segments (task rows, worker rows, GIL lane...), in length buckets."""

    def __init__(self) -> None:
        self.buckets: dict[int, _Bucket] = {}
        self.count = 0
        self.x_min = math.inf
        self.x_max = -math.inf
        self.rows: set[int] = set()
        self.levels: dict[int, _Level] = {}  # power-of-two bin width exponent -> level of detail

    def add(self, row: np.ndarray, start: np.ndarray, end: np.ndarray, color: np.ndarray,
            payload: np.ndarray | None) -> None:
        n = len(start)
        if not n:
            return
        start = np.asarray(start, dtype=np.float64)
        end = np.maximum(np.asarray(end, dtype=np.float64), start)
        row = np.asarray(row, dtype=np.int64)
        color = np.asarray(color, dtype=np.uint8)
        payload = np.arange(self.count, self.count + n, dtype=np.int64) if payload is None else \
            np.asarray(payload, dtype=np.int64)
        chunk = _bucketise(start, end, row, color, payload)
        self.count += n
        self.x_min = min(self.x_min, float(start.min()))
        self.x_max = max(self.x_max, float(end.max()))
        self.rows.update(np.unique(row).tolist())
        # Keep the levels of detail that can take the new segments in place; drop the others.
        for k, level in list(self.levels.items()):
            if not level.absorb(chunk, self):
                del self.levels[k]
        for exp, b in chunk.items():
            if exp in self.buckets:
                self.buckets[exp].merge(b)
            else:
                self.buckets[exp] = b

    def ordered(self) -> list[_Bucket]:
        return _ordered(self.buckets)


class _Level:
    """A layer's short segments merged into bins of ``bin_ms`` from ``x0``: colour index + 1 per
    (row, bin), 0 = empty. Built with room to the right so that a live run's tail fits in place."""

    def __init__(self, layer: _Layer, bin_ms: float, width: int) -> None:
        self.bin_ms = bin_ms
        self.x0 = layer.x_min
        self.rows = np.array(sorted(layer.rows), dtype=np.int64)  # global row of each line of ``cells``
        self.cells = np.zeros((len(self.rows), width), dtype=np.uint8)
        self._rasterise(layer.buckets)

    def _rasterise(self, buckets: dict[int, _Bucket]) -> None:
        sx = 1.0 / self.bin_ms
        x1 = self.x0 + self.cells.shape[1] * self.bin_ms
        _rasterise(_ordered(buckets), self.x0, x1, sx, -self.x0 * sx, self.cells.shape[1], self.cells.reshape(-1),
                   self.rows, lambda b, lo, hi: b.color[lo:hi] + np.uint8(1), None, 0.0)

    def absorb(self, chunk: dict[int, _Bucket], layer: _Layer) -> bool:
        """Merge new segments in; False when they fall outside this level (rebuild it instead)."""
        fits = layer.x_min >= self.x0 and layer.x_max < self.x0 + self.cells.shape[1] * self.bin_ms
        if not fits or not layer.rows.issubset(self.rows.tolist()):
            return False
        self._rasterise(chunk)
        return True


def _rasterise(buckets: list[_Bucket], x0: float, x1: float, sx: float, shift: float, ncols: int,
               cells: np.ndarray, row_index: np.ndarray | None, values, wide: list | None,
               min_len: float) -> tuple[int, int]:
    """Merge the segments of ``buckets`` overlapping [x0, x1] that are narrower than ``_CELL_MAX_PX`` into
    ``cells`` (rows x ``ncols`` flattened; column = ``x * sx + shift``); collect the wider ones in ``wide``.

    Buckets go shortest first, so where segments share a cell the longest one wins it. Segments shorter
    than ``min_len`` ms are skipped (a level of detail already holds them). ``row_index`` maps global
    rows to lines of ``cells`` (sorted global rows; None = identity). ``values(bucket, lo, hi)`` gives
    what to store per segment. Returns (segments seen, segments merged into cells).
    """
    visible = merged = 0
    for b in buckets:
        if math.ldexp(1.0, b.exp) <= min_len:
            continue
        lo = int(np.searchsorted(b.start, x0 - b.maxlen, "left"))
        hi = int(np.searchsorted(b.start, x1, "right"))
        if hi <= lo:
            continue
        s, e, r = b.start[lo:hi], b.end[lo:hi], b.row[lo:hi]
        v = values(b, lo, hi)
        c = b.color[lo:hi]
        keep = e >= x0
        if min_len > 0:
            keep &= (e - s) >= min_len
        if not keep.all():
            s, e, r, v, c = s[keep], e[keep], r[keep], v[keep], c[keep]
        if not len(s):
            continue
        visible += len(s)
        if row_index is not None:
            r = np.searchsorted(row_index, r)
        if math.ldexp(1.0, b.exp) * sx <= 1.0:
            # The whole bucket is sub-pixel: one cell each, at the segment's middle.
            col = s + e
            col *= 0.5 * sx
            col += shift
            np.clip(col, 0, ncols - 1, out=col)
            flat = r * ncols
            flat += col.astype(np.int64)
            cells[flat] = v
            merged += len(s)
            continue
        if math.ldexp(1.0, b.exp - 1) * sx < _CELL_MAX_PX:
            short = (e - s) * sx < _CELL_MAX_PX
            if short.any():
                ss, se, sr, sv = s[short], e[short], r[short], v[short]
                c0 = np.clip(ss * sx + shift, 0, ncols - 1).astype(np.int64)
                c1 = np.clip(se * sx + shift, 0, ncols - 1).astype(np.int64)
                counts = c1 - c0 + 1
                # Expand each segment into its run of cells without a Python loop.
                first = np.repeat(sr * ncols + c0 - (np.cumsum(counts) - counts), counts)
                cells[first + np.arange(int(counts.sum()))] = np.repeat(sv, counts)
                merged += len(ss)
            if short.all():
                continue
            s, e, r, c = s[~short], e[~short], r[~short], c[~short]
        if wide is not None:
            wide.append((s, e, r, c))
    return visible, merged


class SegmentItem(pg.GraphicsObject):
    """Rows of coloured segments, drawn fast at any zoom.

    Data lives in named layers of ``(row, start_ms, end_ms, color_index, payload)``; rows map to
    ``(top, height)`` in item coordinates through :meth:`set_rows`. ``paint`` draws only the
    segments that overlap the view. Those at least a pixel wide become rectangles, batched into
    one ``drawRects`` call per colour; the narrower ones are merged per row and pixel column into a
    small image (the longest one wins a pixel) drawn as one strip per row. So a frame costs about
    the same at a million segments as at ten thousand. No pen, no antialiasing.
    """

    def __init__(self, colors: list[str]) -> None:
        super().__init__()
        self._layers: dict[str, _Layer] = {}
        self._row_top = np.zeros(0)
        self._row_height = np.zeros(0)
        self._bounds = QRectF()
        self._argb = np.zeros(0, dtype=np.uint32)
        self._qcolors: list[QColor] = []
        self._image: QImage | None = None
        self._color_version = 0
        self.last_paint = PaintStats(0, 0, 0, 0)
        self.set_colors(colors)

    # -- data --------------------------------------------------------------------------------
    def set_colors(self, colors: list[str]) -> None:
        """Colour table: ``color_index`` of a segment indexes this list of ``'#rrggbb'``."""
        self._qcolors = [QColor(c) for c in colors]
        self._argb = np.array([c.rgba() for c in self._qcolors], dtype=np.uint32)
        self._color_version += 1
        self.update()

    def set_rows(self, top: np.ndarray, height: np.ndarray) -> None:
        """Geometry of every row (index = row number): top and height in item (y) units."""
        self._row_top = np.asarray(top, dtype=np.float64)
        self._row_height = np.asarray(height, dtype=np.float64)
        self._data_changed()

    def clear(self) -> None:
        self._layers.clear()
        self._data_changed()

    def set_layer(self, name: str, row: np.ndarray, start: np.ndarray, end: np.ndarray, color: np.ndarray,
                  payload: np.ndarray | None = None) -> None:
        """Replace a layer. ``payload`` (default: position in the arrays) comes back from :meth:`segment_at`."""
        layer = _Layer()
        layer.add(row, start, end, color, payload)
        self._layers[name] = layer
        self._data_changed()

    def append_layer(self, name: str, row: np.ndarray, start: np.ndarray, end: np.ndarray, color: np.ndarray,
                     payload: np.ndarray | None = None) -> None:
        """Add segments to a layer (created if missing): only the new ones are packed."""
        self._layers.setdefault(name, _Layer()).add(row, start, end, color, payload)
        self._data_changed()

    def layer_count(self, name: str) -> int:
        layer = self._layers.get(name)
        return layer.count if layer else 0

    def _data_changed(self) -> None:
        self.prepareGeometryChange()
        self._bounds = self._compute_bounds()
        self.informViewBoundsChanged()
        self.update()

    def _compute_bounds(self) -> QRectF:
        layers = [lay for lay in self._layers.values() if lay.count]
        if not layers or not len(self._row_top):
            return QRectF()
        rows = np.array(sorted(set().union(*(lay.rows for lay in layers))), dtype=np.int64)
        rows = rows[(rows >= 0) & (rows < len(self._row_top))]
        if not len(rows):
            return QRectF()
        x0 = min(lay.x_min for lay in layers)
        x1 = max(lay.x_max for lay in layers)
        y0 = float(self._row_top[rows].min())
        y1 = float((self._row_top[rows] + self._row_height[rows]).max())
        return QRectF(x0, y0, max(x1 - x0, 1e-9), y1 - y0)

    # -- QGraphicsItem contract --------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        return QRectF(self._bounds)

    def dataBounds(self, axis: int, frac: float = 1.0, orthoRange=None):
        if self._bounds.isNull():
            return None
        if axis == 0:
            return self._bounds.left(), self._bounds.right()
        return self._bounds.top(), self._bounds.bottom()

    def paint(self, p: QPainter, *args) -> None:
        if self._bounds.isNull():
            self.last_paint = PaintStats(0, 0, 0, 0)
            return
        t = p.transform()
        sx, tx, sy, ty = t.m11(), t.dx(), t.m22(), t.dy()
        view = self.viewRect()
        x0, x1 = self._bounds.left(), self._bounds.right()
        if view is not None:
            x0, x1 = max(x0, view.left()), min(x1, view.right())
        if x1 < x0 or sx <= 0:
            self.last_paint = PaintStats(0, 0, 0, 0)
            return
        col0 = math.floor(x0 * sx + tx)
        ncols = max(1, math.ceil(x1 * sx + tx) - col0 + 1)
        # Rows in whole device pixels: every row gets the same crisp gap whatever the zoom.
        ya = np.rint(self._row_top * sy + ty)
        yb = np.rint((self._row_top + self._row_height) * sy + ty)
        row_y = np.minimum(ya, yb)
        row_h = np.maximum(np.abs(yb - ya), 1.0)
        nrows = len(row_y)

        image, cells = self._cell_image(nrows, ncols)
        grid = cells.reshape(nrows, ncols)
        wide: list[tuple[np.ndarray, ...]] = []
        visible = lod = 0
        shift = tx - col0
        for layer in self._layers.values():
            level = self._level_for(layer, 1.0 / sx)
            min_len = 0.0
            if level is not None:
                # Sub-pixel work was done once for this zoom level; only sample it per pixel column.
                lod += self._sample_level(layer, level, grid, col0, ncols, sx, tx)
                min_len = _CELL_MAX_PX * level.bin_ms
            n_vis, n_lod = _rasterise(layer.ordered(), x0, x1, sx, shift, ncols, cells, None,
                                      lambda b, lo, hi: b.argb(self._argb, self._color_version)[lo:hi], wide, min_len)
            visible += n_vis
            lod += n_lod

        p.save()
        p.resetTransform()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        p.setPen(Qt.PenStyle.NoPen)
        runs = self._cell_runs(cells, ncols) if lod else None
        nrects = self._draw_wide(p, wide, runs, sx, tx, col0, ncols, row_y, row_h)
        strips = self._draw_cells(p, image, cells, nrows, ncols, col0, row_y, row_h) if lod and runs is None else 0
        p.restore()
        self.last_paint = PaintStats(visible, nrects, lod, strips)

    def _cell_runs(self, cells: np.ndarray, ncols: int) -> tuple[np.ndarray, ...] | None:
        """Few filled cells (zoomed in): turn them into runs, drawn as rectangles, rather than image strips.

        Returns (first column, last column + 1, row, colour index), or None when strips are cheaper.
        """
        nz = np.flatnonzero(cells)
        if len(nz) > 8 * _RUNS_MAX:
            return None
        values = cells[nz]
        row = nz // ncols
        new = np.ones(len(nz), dtype=bool)
        new[1:] = (np.diff(nz) != 1) | (values[1:] != values[:-1]) | (row[1:] != row[:-1])
        starts = np.flatnonzero(new)
        if len(starts) > _RUNS_MAX:
            return None
        stops = np.append(starts[1:], len(nz))
        order = np.argsort(self._argb, kind="stable")
        color = order[np.searchsorted(self._argb[order], values[starts])]
        col = nz - row * ncols
        return col[starts], col[stops - 1] + 1, row[starts], color.astype(np.uint8)

    def _draw_wide(self, p: QPainter, wide: list, runs: tuple[np.ndarray, ...] | None, sx: float, tx: float,
                   col0: int, ncols: int, row_y: np.ndarray, row_h: np.ndarray) -> int:
        """One drawRects per colour for the wide segments (ms) and the cell runs (pixel columns)."""
        parts_x0, parts_x1, parts_r, parts_c = [], [], [], []
        for s, e, r, c in wide:
            # Clip to a pixel beyond the view: a 10-minute segment zoomed to microseconds would
            # otherwise ask the rasteriser for a rectangle billions of pixels wide.
            parts_x0.append(np.rint(np.clip(s * sx + tx, col0 - 2, col0 + ncols + 2)))
            parts_x1.append(np.rint(np.clip(e * sx + tx, col0 - 2, col0 + ncols + 2)))
            parts_r.append(r)
            parts_c.append(c)
        if runs is not None and len(runs[0]):
            parts_x0.append(runs[0] + float(col0))
            parts_x1.append(runs[1] + float(col0))
            parts_r.append(runs[2])
            parts_c.append(runs[3])
        if not parts_x0:
            return 0
        c = np.concatenate(parts_c)
        order = np.argsort(c, kind="stable")
        c = c[order]
        x0 = np.concatenate(parts_x0)[order]
        r = np.concatenate(parts_r)[order]
        rects = np.empty((len(c), 4), dtype=np.float64)
        rects[:, 0] = x0
        rects[:, 1] = row_y[r]
        rects[:, 2] = np.maximum(np.concatenate(parts_x1)[order] - x0, 1.0)
        rects[:, 3] = row_h[r]
        counts = np.bincount(c, minlength=len(self._qcolors))
        offset = 0
        base = rects.ctypes.data
        for ci, n in enumerate(counts.tolist()):
            if not n:
                continue
            p.setBrush(self._qcolors[ci])
            # PySide6 >= 6.4.3 accepts a pointer to a C array of QRectF plus a count: no Python
            # object per rectangle. ``rects`` stays alive for the duration of the call.
            p.drawRects(shiboken6.wrapInstance(base + offset * 32, QRectF), n)
            offset += n
        return len(c)

    def _level_for(self, layer: _Layer, px_ms: float) -> _Level | None:
        """The pre-merged level of detail for pixels ``px_ms`` wide, built on first use; None for direct drawing.

        Levels pay off for big layers seen from far away. Zoomed in, few segments are visible and
        drawing them directly is cheaper than a level that would be huge.
        """
        if layer.count < _LEVEL_MIN_SEGMENTS or px_ms <= 0:
            return None
        k = math.floor(math.log2(px_ms))
        bin_ms = math.ldexp(1.0, k)
        width = math.ceil((layer.x_max - layer.x_min) / bin_ms) + 1
        if width * len(layer.rows) > _LEVEL_MAX_CELLS:
            return None
        level = layer.levels.get(k)
        if level is None:
            # Room for the run to grow by half again: a live run's tail then merges in place.
            roomy = min(int(width * 1.5) + 16, max(width, _LEVEL_MAX_CELLS // max(len(layer.rows), 1)))
            level = layer.levels[k] = _Level(layer, bin_ms, roomy)
        return level

    def _sample_level(self, layer: _Layer, level: _Level, grid: np.ndarray, col0: int, ncols: int, sx: float,
                      tx: float) -> int:
        """Copy a level's cells under each pixel column into the frame's cells; returns cells written."""
        centers = (np.arange(col0, col0 + ncols) + 0.5 - tx) / sx
        bins = np.floor((centers - level.x0) / level.bin_ms).astype(np.int64)
        inside = (bins >= 0) & (bins < level.cells.shape[1])
        if not inside.any():
            return 0
        cols = np.flatnonzero(inside)
        sub = level.cells[:, bins[cols]]
        # A pixel holds one to two bins: when its centre bin is empty, look at the next one.
        nxt = level.cells[:, np.minimum(bins[cols] + 1, level.cells.shape[1] - 1)]
        sub = np.where(sub != 0, sub, nxt)
        lut = np.concatenate([[0], self._argb]).astype(np.uint32)
        block = lut[sub]
        target = grid[level.rows][:, cols[0]:cols[-1] + 1]
        grid[level.rows, cols[0]:cols[-1] + 1] = np.where(block != 0, block, target)
        return int(np.count_nonzero(sub))

    def _cell_image(self, nrows: int, ncols: int) -> tuple[QImage, np.ndarray]:
        """A cleared Qt-owned image and a numpy view of its pixels, one per row x pixel column.

        Qt owns the memory: wrapping a numpy buffer in a QImage crashed PySide6 6.12 on release.
        """
        image = self._image
        if image is None or image.width() != ncols or image.height() != nrows:
            image = self._image = QImage(ncols, nrows, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(0)
        cells = np.frombuffer(image.bits(), dtype=np.uint32, count=nrows * ncols)
        return image, cells

    @staticmethod
    def _draw_cells(p: QPainter, image: QImage, cells: np.ndarray, nrows: int, ncols: int, col0: int,
                    row_y: np.ndarray, row_h: np.ndarray) -> int:
        rows = np.flatnonzero(cells.reshape(nrows, ncols).any(axis=1))
        # Python floats, not numpy scalars: PySide6 6.12 mis-counts references on numpy scalars.
        ys, hs = row_y[rows].tolist(), row_h[rows].tolist()
        for r, y, h in zip(rows.tolist(), ys, hs, strict=True):
            p.drawImage(QRectF(col0, y, ncols, h), image, QRectF(0, r, ncols, 1))
        return len(rows)

    # -- hit testing -------------------------------------------------------------------------
    def segment_at(self, x: float, row: int, tolerance: float = 0.0) -> tuple[str, int] | None:
        """The segment in ``row`` under ``x`` (ms), within ``tolerance`` ms: ``(layer, payload)`` or None.

        An exact hit wins over a near one, and a longer segment over a shorter one.
        """
        best: tuple[float, float, str, int] | None = None
        for name, layer in self._layers.items():
            if row not in layer.rows:
                continue
            for b in layer.buckets.values():
                lo = np.searchsorted(b.start, x - tolerance - b.maxlen, "left")
                hi = np.searchsorted(b.start, x + tolerance, "right")
                if hi <= lo:
                    continue
                s, e = b.start[lo:hi], b.end[lo:hi]
                hit = np.flatnonzero((b.row[lo:hi] == row) & (e >= x - tolerance))
                if not len(hit):
                    continue
                dist = np.maximum(np.maximum(s[hit] - x, x - e[hit]), 0.0)
                length = e[hit] - s[hit]
                k = np.lexsort((-length, dist))[0]
                cand = (float(dist[k]), -float(length[k]), name, int(b.payload[lo + hit[k]]))
                if best is None or cand[:2] < best[:2]:
                    best = cand
        return None if best is None else (best[2], best[3])


class HandoffItem(pg.GraphicsObject):
    """Small triangles at each GIL hand-off, drawn only when zoomed in enough to be read.

    ``times`` (ms, sorted) mark where the GIL passes from one task to the next; the markers sit on
    the top edge of the GIL lane between ``top`` and ``top + height`` (item units). When they would
    be closer than ``_HANDOFF_MIN_SPACING_PX`` on average, none is drawn: the change of shade in
    the lane already shows the hand-offs, and a carpet of triangles would hide it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._times = np.zeros(0)
        self._top = 0.0
        self._height = 1.0
        self._color = QColor("#1F2328")
        self.last_drawn = 0

    def set_data(self, times: np.ndarray, top: float, height: float) -> None:
        self.prepareGeometryChange()
        self._times = np.asarray(times, dtype=np.float64)
        self._top, self._height = float(top), float(height)
        self.update()

    def set_color(self, color: str) -> None:
        self._color = QColor(color)
        self.update()

    def boundingRect(self) -> QRectF:
        if not len(self._times):
            return QRectF()
        x0, x1 = float(self._times[0]), float(self._times[-1])
        return QRectF(x0, self._top, max(x1 - x0, 1e-9), self._height)

    def paint(self, p: QPainter, *args) -> None:
        self.last_drawn = 0
        view = self.viewRect()
        if view is None or not len(self._times):
            return
        t = p.transform()
        sx, tx, sy, ty = t.m11(), t.dx(), t.m22(), t.dy()
        lo = np.searchsorted(self._times, view.left(), "left")
        hi = np.searchsorted(self._times, view.right(), "right")
        n = int(hi - lo)
        width_px = view.width() * sx
        if not n or n * _HANDOFF_MIN_SPACING_PX > width_px:
            return
        y = min(self._top * sy + ty, (self._top + self._height) * sy + ty)
        size = max(3.0, min(6.0, abs(self._height * sy) * 0.35))
        p.save()
        p.resetTransform()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self._color)
        xs = self._times[lo:hi] * sx + tx
        # Level of detail: at most one marker per marker width.
        _, first = np.unique(np.floor(xs / (2 * size)), return_index=True)
        for x in xs[first].tolist():
            p.drawConvexPolygon(QPolygonF([QPointF(x - size, y), QPointF(x + size, y), QPointF(x, y + size * 1.3)]))
        p.restore()
        self.last_drawn = n


class _Backdrop(pg.GraphicsObject):
    """Behind the segments: band backgrounds, the GIL lane's trough, band separators (full width) and
    each worker's idle stretch (``spans``), so worker rows only need their busy segments on top."""

    _SPAN = 1e12  # ms either side: wider than any run, so full-width fills never end on screen

    def __init__(self) -> None:
        super().__init__()
        self._fills: list[tuple[float, float, QColor]] = []  # (top, height, colour)
        self._spans: list[tuple[float, float, float, float]] = []  # (top, height, x0, x1)
        self._span_color = QColor("#D5D9DF")
        self._rect = QRectF()

    def set_fills(self, fills: list[tuple[float, float, str]]) -> None:
        self.prepareGeometryChange()
        self._fills = [(top, h, QColor(c)) for top, h, c in fills]
        if fills:
            y0 = min(f[0] for f in fills)
            y1 = max(f[0] + f[1] for f in fills)
            self._rect = QRectF(-self._SPAN, y0, 2 * self._SPAN, y1 - y0)
        else:
            self._rect = QRectF()
        self.update()

    def set_spans(self, spans: list[tuple[float, float, float, float]], color: str) -> None:
        """Spans lie inside the fills' rows, so the bounding rect does not change."""
        self._spans = spans
        self._span_color = QColor(color)
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(self._rect)

    def paint(self, p: QPainter, *args) -> None:
        view = self.viewRect()
        if view is None:
            return
        t = p.transform()
        sx, tx, sy, ty = t.m11(), t.dx(), t.m22(), t.dy()
        left, right = view.left() * sx + tx, view.right() * sx + tx

        def device(top: float, h: float, x0: float, x1: float) -> QRectF:
            # Whole pixels, rounded as SegmentItem rounds its rows, so that edges line up.
            ya, yb = round(top * sy + ty), round((top + h) * sy + ty)
            return QRectF(x0, min(ya, yb), x1 - x0, max(abs(yb - ya), 1))

        p.save()
        p.resetTransform()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for top, h, color in self._fills:
            p.fillRect(device(top, h, left, right), color)
        for top, h, x0, x1 in self._spans:
            a, b = max(round(x0 * sx + tx), left - 2), min(round(x1 * sx + tx), right + 2)
            if b > a:
                p.fillRect(device(top, h, a, b), self._span_color)
        p.restore()


# --------------------------------------------------------------------------------------------
# Axes
# --------------------------------------------------------------------------------------------


class _RowAxis(pg.AxisItem):
    """Left axis: one label per row, with bold titles and group headers."""

    def __init__(self) -> None:
        super().__init__("left")
        self._styles: dict[str, str] = {}
        self._muted = QColor("#5B636E")
        self.setStyle(tickLength=0, autoExpandTextSpace=False, tickTextOffset=10, hideOverlappingLabels=True)

    def set_rows(self, ticks: list[tuple[float, str, str]], muted: str) -> None:
        """``ticks``: (y centre, label, style) with style in {'title', 'header', 'lane', 'row'}."""
        self._styles = {label: style for _, label, style in ticks}
        self._muted = QColor(muted)
        # Size the axis to the widest label up front: pyqtgraph drops any label that does not fit
        # and only widens the axis after a paint, which leaves labels missing in a first render.
        bold = QFont(self.style["tickFont"] or QFont())
        bold.setBold(True)
        widest = max((QFontMetrics(bold).horizontalAdvance(label) for _, label, _ in ticks), default=20)
        self.setWidth(int(widest * 1.1) + 2 * self.style["tickTextOffset"][0] + 6)
        self.setTicks([[(y, label) for y, label, _ in ticks], []])

    def drawPicture(self, p: QPainter, axisSpec, tickSpecs, textSpecs) -> None:
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        base = self.style["tickFont"] or QFont()
        bold = QFont(base)
        bold.setBold(True)
        pen = self.textPen()
        p.setClipRect(self.boundingRect().toAlignedRect())
        # Titles, lanes and group headers first; then row labels where they do not overlap
        # (rows thinner than a line of text keep every other label, or fewer).
        taken: list[QRectF] = []
        for important in (True, False):
            for rect, flags, text in textSpecs:
                style = self._styles.get(text, "row")
                if (style != "row") != important:
                    continue
                if not important and any(rect.intersects(t) for t in taken):
                    continue
                taken.append(rect.adjusted(0, 1, 0, -1))
                p.setFont(bold if important else base)
                p.setPen(self._muted if style == "header" else pen.color())
                p.drawText(rect, int(flags), text)


class _TimeAxis(pg.AxisItem):
    """Bottom axis in ms; a click or drag on it scrubs the replay cursor instead of panning."""

    def __init__(self, on_scrub) -> None:
        super().__init__("bottom")
        self._on_scrub = on_scrub
        self.setLabel("time", units="ms")
        self.enableAutoSIPrefix(False)

    def _scrub(self, ev) -> None:
        view = self.linkedView()
        if view is None or ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        self._on_scrub(float(view.mapSceneToView(ev.scenePos()).x()))

    def mouseClickEvent(self, ev) -> None:
        self._scrub(ev)

    def mouseDragEvent(self, ev) -> None:
        self._scrub(ev)


class _TimeViewBox(pg.ViewBox):
    """The mouse wheel zooms time only: rows keep their height."""

    def wheelEvent(self, ev, axis=None) -> None:
        super().wheelEvent(ev, axis=0)


# --------------------------------------------------------------------------------------------
# Layout of rows
# --------------------------------------------------------------------------------------------

_ROW = 1.0
_MIN_VISIBLE_ROWS = 15.0
_MIN_ROW_PX = 8.0
_HEADER = 0.85
_SECTION_GAP = 0.35
_BAND_GAP = 0.9


@dataclass
class _Row:
    kind: str  # title, gil, header, worker, task
    label: str
    top: float
    height: float


_EMPTY_GIL = (np.zeros(0), np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64))


@dataclass
class _Band:
    """One trace's rows and the arrays behind its layers (kept for tooltips and the GIL lane)."""

    trace: Trace
    label: str
    index: int
    top: float = 0.0
    bottom: float = 0.0
    gil_row: int = -1
    task_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    worker_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # sorted
    worker_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    worker_labels: dict[int, str] = field(default_factory=dict)
    gil_mode: str = "gil"  # gil, nogil, processes
    generation: int = -1
    n_seen: int = 0
    n_tasks: int = 0
    n_workers: int = 0
    worker_loop: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # per worker_ids: an event loop?
    worker_pool: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # idle until the run ends?
    busy_from: np.ndarray = field(default_factory=lambda: np.zeros(0))  # ms, per worker_ids: first occupation
    busy_to: np.ndarray = field(default_factory=lambda: np.zeros(0))  # ms, per worker_ids: last occupation end
    open_seg: tuple[np.ndarray, ...] = ()  # the live run's open segments (task, worker, state, start, end)
    gil: tuple[np.ndarray, ...] = _EMPTY_GIL  # closed running segments: start ms, end ms, task, worker; by start
    gil_shade: int = 0  # shade of the last closed GIL segment, so that appended ones continue the alternation
    gil_open: tuple[np.ndarray, ...] = _EMPTY_GIL  # open running segments, same columns
    handoffs: np.ndarray = field(default_factory=lambda: np.zeros(0))
    open_handoffs: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def layer(self, kind: str) -> str:
        return f"{self.index}:{kind}"


def worker_labels(trace: Trace) -> dict[int, str]:
    """Readable names for a trace's workers: "thread 3", "pool-thread 1", "loop", "process 12345"."""
    counts: dict[str, int] = {}
    for info in trace.workers.values():
        counts[info.kind] = counts.get(info.kind, 0) + 1
    seen: dict[str, int] = {}
    labels: dict[int, str] = {}
    for wid, info in sorted(trace.workers.items()):
        seen[info.kind] = seen.get(info.kind, 0) + 1
        if info.kind == "process":
            labels[wid] = f"process {info.pid}"
        elif info.kind in ("loop", "main") and counts[info.kind] == 1:
            labels[wid] = "event loop" if info.kind == "loop" else "main thread"
        else:
            labels[wid] = f"{info.kind} {seen[info.kind]}"
    return labels


def _gil_mode(trace: Trace) -> str:
    if trace.model == "process-pool":
        return "processes"
    return "gil" if trace.header.get("gil_enabled", True) else "nogil"


_GIL_MODE_TEXT = {
    "nogil": "no GIL: threads run in parallel",
    "processes": "one GIL per process: processes run in parallel",
}


def _band_subtitle(trace: Trace) -> str:
    """What a compare band ran, for the text beside its title."""
    h = trace.header
    parts = [str(h.get("scenario", "")) or None, f"model {trace.model}"]
    if h.get("pool_size"):
        parts.append(f"pool {h['pool_size']}")
    if h.get("switch_interval_ms") is not None:
        parts.append(f"switch interval {h['switch_interval_ms']:g} ms")
    parts.append(f"makespan {format_ms(trace.end_ns / _NS_PER_MS)}" if trace.complete else "running\u2026")
    return "   ".join(p for p in parts if p)


def format_ms(ms: float) -> str:
    """A duration or time for people: 1.234 s, 12.35 ms, 87.5 us."""
    if abs(ms) >= 1000:
        return f"{ms / 1000:.3f} s"
    if abs(ms) >= 1:
        return f"{ms:.2f} ms"
    return f"{ms * 1000:.1f} \u00b5s"


def _gil_runs(start: np.ndarray, end: np.ndarray, task: np.ndarray, worker: np.ndarray, prev_task: int,
              prev_shade: int) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray, int]:
    """GIL lane segments from running segments (ms): sorted by start, a colour whose shade flips at each
    hand-off (continuing after ``prev_task`` drawn in ``prev_shade``), the hand-off times, the last shade."""
    order = np.argsort(start, kind="stable")
    start, end, task, worker = start[order], end[order], task[order], worker[order]
    prev = np.empty_like(task)
    prev[:1] = prev_task
    prev[1:] = task[:-1]
    change = task != prev
    shade = (prev_shade + np.cumsum(change)) % 2
    color = np.where(shade == 0, _RUNNING, _RUNNING_ALT).astype(np.uint8)
    handoffs = start[change & (prev >= 0)]
    last = int(shade[-1]) if len(shade) else prev_shade
    return (start, end, task, worker), color, handoffs, last


# --------------------------------------------------------------------------------------------
# The widget
# --------------------------------------------------------------------------------------------


class _Legend(QWidget):
    """A row of state swatches; hovering one explains the state."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(8, 4, 8, 0)
        self._layout.setSpacing(14)

    def set_dark(self, dark: bool) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        fg = theme(dark).foreground
        for entry in state_legend_items(dark):
            self._layout.addWidget(self._entry(QColor(entry.color), entry.state,
                                               f"{entry.state}: {entry.description}", fg, square=True))
        self._layout.addWidget(self._entry(QColor(fg), "GIL hand-off",
                                           "GIL lane: the GIL passes from one task to the next (shown when zoomed in)",
                                           fg, square=False))
        self._layout.addStretch(1)

    @staticmethod
    def _entry(color: QColor, text: str, tip: str, fg: str, square: bool) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(5)
        pix = QPixmap(QSize(12, 12))
        pix.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pix)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        if square:
            painter.drawRoundedRect(QRectF(0.5, 0.5, 11, 11), 2.5, 2.5)
        else:
            painter.drawConvexPolygon(QPolygonF([QPointF(1, 2), QPointF(11, 2), QPointF(6, 10)]))
        painter.end()
        swatch = QLabel()
        swatch.setPixmap(pix)
        label = QLabel(text)
        label.setStyleSheet(f"color: {fg};")
        row.addWidget(swatch)
        row.addWidget(label)
        box.setToolTip(tip)
        return box


class TimelineWidget(QWidget):
    """Timeline of one run, or of several stacked in bands for comparison.

    Rows, top to bottom in each band: the GIL lane (who holds the GIL; a change of shade and, when
    zoomed in, a small triangle mark each hand-off), one row per worker, then one row per task
    grouped by scenario group. Wheel zooms time, dragging pans it; clicking or dragging the time
    axis scrubs the replay cursor (``cursorMoved``). Hovering a segment shows its task, group,
    worker, state, start and length.

    Signals:
        cursorMoved(float): the user moved the replay cursor to this time (ms).
    """

    cursorMoved = Signal(float)

    def __init__(self, parent: QWidget | None = None, dark: bool = False) -> None:
        super().__init__(parent)
        self._dark = dark
        self._bands: list[_Band] = []
        self._rows: list[_Row] = []
        self._follow = False
        self._follow_window: float | None = None
        self._cursor_ms: float | None = None

        self._legend = _Legend(self)
        self._row_axis = _RowAxis()
        self._time_axis = _TimeAxis(self._scrub)
        self._view = _TimeViewBox(enableMenu=False)
        self._plot = pg.PlotWidget(viewBox=self._view, axisItems={"left": self._row_axis, "bottom": self._time_axis})
        self._plot.setAntialiasing(False)
        self._plot.hideButtons()
        self._plot.setMenuEnabled(False)
        self._view.invertY(True)
        self._view.setMouseEnabled(x=True, y=False)
        self._view.disableAutoRange()
        self._plot.getPlotItem().layout.setContentsMargins(4, 4, 16, 4)

        self._backdrop = _Backdrop()
        self._backdrop.setZValue(-10)
        self._plot.addItem(self._backdrop, ignoreBounds=True)
        self._segments = SegmentItem(self._colors())
        self._plot.addItem(self._segments)
        self._handoffs: list[HandoffItem] = []
        self._notes: list[tuple[pg.TextItem, int]] = []  # (item, row it labels)
        self._cursor = pg.InfiniteLine(angle=90, movable=True)
        self._cursor.setZValue(20)
        self._cursor.hide()
        self._cursor.sigDragged.connect(self._on_cursor_dragged)
        self._plot.addItem(self._cursor, ignoreBounds=True)
        self._view.sigXRangeChanged.connect(self._place_notes)
        self._plot.scene().sigMouseMoved.connect(self._on_mouse_moved)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self._legend)
        layout.addWidget(self._plot, 1)
        self.set_dark(dark)

    # -- public API --------------------------------------------------------------------------
    @property
    def plot_widget(self) -> pg.PlotWidget:
        """The underlying ``pg.PlotWidget`` (for exporters: render or grab it)."""
        return self._plot

    @property
    def segment_item(self) -> SegmentItem:
        """The item drawing every segment; ``segment_item.last_paint`` tells what a frame drew."""
        return self._segments

    def set_traces(self, traces: list[Trace], labels: list[str] | None = None) -> None:
        """Show these runs: one trace alone, or several in stacked bands titled by ``labels``.

        ``labels`` defaults to each trace's model. Live traces may be passed; call :meth:`refresh`
        when they change.
        """
        if labels is not None and len(labels) != len(traces):
            raise ValueError(f"set_traces: got {len(traces)} traces but {len(labels)} labels")
        names = labels if labels is not None else [t.model for t in traces]
        self._bands = [_Band(trace, str(name), i) for i, (trace, name) in enumerate(zip(traces, names, strict=True))]
        self._rebuild()
        self.fit_time()

    def refresh(self) -> None:
        """Catch up with live traces: cheap when nothing changed, appends only the new tail."""
        if any(self._layout_changed(b) for b in self._bands):
            self._rebuild()
        else:
            for band in self._bands:
                if band.trace.generation != band.generation:
                    self._load_band(band, full=False)
            self._after_data()
        if self._follow:
            self._apply_follow()

    def follow_live(self, enabled: bool, window_ms: float | None = None) -> None:
        """Keep the end of the run in view: the whole run so far, or its last ``window_ms``."""
        self._follow = enabled
        self._follow_window = window_ms
        if enabled:
            self._apply_follow()

    def fit_time(self) -> None:
        """Show every run from its start to the end of the longest one."""
        end = self._end_ms()
        self._view.setXRange(0.0, max(end, 1e-3), padding=0.01)

    def visible_range_ms(self) -> tuple[float, float]:
        """The time span on screen, in ms."""
        x0, x1 = self._view.viewRange()[0]
        return float(x0), float(x1)

    def set_visible_range_ms(self, start: float, end: float) -> None:
        self._view.setXRange(start, end, padding=0)

    def set_cursor_ms(self, ms: float | None) -> None:
        """Place the replay cursor at ``ms``, or hide it with None. Does not emit ``cursorMoved``."""
        self._cursor_ms = ms
        if ms is None:
            self._cursor.hide()
        else:
            self._cursor.setValue(float(ms))
            self._cursor.show()

    def cursor_ms(self) -> float | None:
        return self._cursor_ms

    def set_dark(self, dark: bool) -> None:
        """Switch between the light and dark palettes."""
        self._dark = dark
        th = theme(dark)
        self._plot.setBackground(th.background)
        for axis in (self._row_axis, self._time_axis):
            axis.setPen(pg.mkPen(th.grid))
            axis.setTextPen(pg.mkPen(th.foreground))
            font = QFont()
            font.setPointSizeF(9.0)
            axis.setTickFont(font)
        self._time_axis.label.setDefaultTextColor(QColor(th.muted))
        self._segments.set_colors(self._colors())
        for item in self._handoffs:
            item.set_color(th.foreground)
        for note, _ in self._notes:
            note.setColor(th.muted)
        pen = pg.mkPen(th.cursor, width=2)
        self._cursor.setPen(pen)
        self._cursor.setHoverPen(pg.mkPen(th.cursor, width=4))
        self._legend.set_dark(dark)
        self.setStyleSheet(f"background: {th.background};")
        if self._bands:
            self._apply_layout_decor()

    def is_dark(self) -> bool:
        return self._dark

    def gil_holder_at(self, ms: float, band: int = 0) -> int | None:
        """The task id whose ``running`` segment in the GIL lane of ``band`` covers ``ms``, or None.

        With the GIL off several tasks may run at once; then the one that started last is returned.
        """
        if not self._bands:
            return None
        b = self._bands[band]
        best: tuple[float, int] | None = None
        for start, end, task, _ in (b.gil, b.gil_open):
            hi = int(np.searchsorted(start, ms, "right"))
            cover = np.flatnonzero(end[:hi] > ms)
            if len(cover) and (best is None or start[cover[-1]] >= best[0]):
                best = (float(start[cover[-1]]), int(task[cover[-1]]))
        return None if best is None else best[1]

    def row_labels(self, band: int | None = None) -> list[str]:
        """Labels of the rows, top to bottom (of one band, or of all)."""
        if band is None:
            return [r.label for r in self._rows]
        b = self._bands[band]
        return [r.label for r in self._rows if b.top <= r.top < b.bottom]

    def describe_at(self, ms: float, y: float, tolerance_ms: float = 0.0) -> str | None:
        """The tooltip text for the segment at time ``ms`` and row coordinate ``y``, or None."""
        row = self._row_at(y)
        if row is None:
            return None
        hit = self._segments.segment_at(ms, row, tolerance_ms)
        if hit is None:
            return self._describe_idle(ms, row)
        layer, payload = hit
        band_index, kind = layer.split(":")
        return self._describe(self._bands[int(band_index)], kind, payload)

    def _describe_idle(self, ms: float, row: int) -> str | None:
        for band in self._bands:
            hits = np.flatnonzero(band.worker_rows == row)
            if len(hits):
                i = int(hits[0])
                pool = band.worker_pool[i] or (band.open_seg and int(band.worker_ids[i]) in band.open_seg[1])
                x1 = max(band.busy_to[i], band.trace.end_ns / _NS_PER_MS) if pool else band.busy_to[i]
                if band.busy_from[i] <= ms <= x1:
                    name = band.worker_labels.get(int(band.worker_ids[i]), "worker")
                    return f"{name}: idle\nstate: idle: {STATE_DESCRIPTIONS['idle']}"
        return None

    # -- building ----------------------------------------------------------------------------
    def _colors(self) -> list[str]:
        colors = state_colors(self._dark)
        alt = QColor(colors["running"])
        alt = alt.lighter(128) if self._dark else alt.darker(135)
        return [colors[s] for s in STATES] + [alt.name()]

    @staticmethod
    def _layout_changed(band: _Band) -> bool:
        t = band.trace
        return len(t.tasks) != band.n_tasks or len(t.workers) != band.n_workers or _gil_mode(t) != band.gil_mode

    def _rebuild(self) -> None:
        self._segments.clear()
        self._rows = []
        y = 0.0
        compare = len(self._bands) > 1
        for band in self._bands:
            y = self._layout_band(band, y, compare) + _BAND_GAP
        self._segments.set_rows(np.array([r.top + r.height * _ROW_INSET for r in self._rows]),
                                np.array([r.height * (1 - 2 * _ROW_INSET) for r in self._rows]))
        for item in self._handoffs:
            self._plot.removeItem(item)
        for note, _ in self._notes:
            self._plot.removeItem(note)
        self._handoffs, self._notes = [], []
        th = theme(self._dark)
        for band in self._bands:
            handoff = HandoffItem()
            handoff.set_color(th.foreground)
            handoff.setZValue(10)
            self._plot.addItem(handoff, ignoreBounds=True)
            self._handoffs.append(handoff)
            if band.gil_mode != "gil":
                self._add_note(band.gil_row, _GIL_MODE_TEXT[band.gil_mode], italic=True)
            if compare:
                self._add_note(band.gil_row - 1, _band_subtitle(band.trace), italic=False)
        for band in self._bands:
            self._load_band(band, full=True)
        self._apply_layout_decor()
        self._after_data()

    def _add_row(self, kind: str, label: str, y: float, height: float) -> int:
        self._rows.append(_Row(kind, label, y, height))
        return len(self._rows) - 1

    def _layout_band(self, band: _Band, y: float, compare: bool) -> float:
        trace = band.trace
        band.top = y
        band.n_tasks, band.n_workers = len(trace.tasks), len(trace.workers)
        band.gil_mode = _gil_mode(trace)
        if compare:
            self._add_row("title", band.label, y, _ROW)
            y += _ROW
        band.gil_row = self._add_row("gil", "GIL" if band.gil_mode == "gil" else "GIL (none)", y, _ROW)
        y += _ROW + _SECTION_GAP
        band.worker_labels = worker_labels(trace)
        ids = sorted(trace.workers)
        if ids:
            self._add_row("header", "workers", y, _HEADER)
            y += _HEADER
        rows = []
        for wid in ids:
            rows.append(self._add_row("worker", band.worker_labels[wid], y, _ROW))
            y += _ROW
        band.worker_ids = np.array(ids, dtype=np.int64)
        band.worker_rows = np.array(rows, dtype=np.int64)
        band.worker_loop = np.array([trace.workers[w].kind == "loop" for w in ids], dtype=bool)
        band.worker_pool = np.array([trace.workers[w].kind in ("pool-thread", "process", "loop") for w in ids],
                                    dtype=bool)
        n_ids = max((t.id for t in trace.tasks), default=-1) + 1
        band.task_rows = np.full(n_ids, -1, dtype=np.int64)
        for group in trace.groups():
            members = [t for t in trace.tasks if t.group == group]
            y += _SECTION_GAP
            self._add_row("header", group, y, _HEADER)
            y += _HEADER
            for t in members:
                band.task_rows[t.id] = self._add_row("task", t.label, y, _ROW)
                y += _ROW
        band.bottom = y
        band.generation = -1
        band.n_seen = 0
        return y

    def _apply_layout_decor(self) -> None:
        th = theme(self._dark)
        ticks = []
        style = {"title": "title", "gil": "lane", "header": "header", "worker": "row", "task": "row"}
        for r in self._rows:
            ticks.append((r.top + r.height / 2, r.label, style[r.kind]))
        self._row_axis.set_rows(ticks, th.muted)
        fills: list[tuple[float, float, str]] = []
        for band in self._bands:
            if band.index % 2 == 1:
                fills.append((band.top - _BAND_GAP / 2, band.bottom - band.top + _BAND_GAP, th.band))
            gil = self._rows[band.gil_row]
            fills.append((gil.top + 0.04, gil.height - 0.08, th.grid))
            if band.index > 0:
                fills.append((band.top - _BAND_GAP / 2 - 0.015, 0.03, th.muted))
        self._backdrop.set_fills(fills)
        self._update_idle()
        self._apply_y_range()

    def _update_idle(self) -> None:
        spans = [span for band in self._bands for span in self._idle_spans(band)]
        self._backdrop.set_spans(spans, state_colors(self._dark)["idle"])
        self._place_notes()

    def _apply_y_range(self) -> None:
        """Fit the rows to the height: a few rows must not become giant bars, hundreds stay readable.

        Rows get at least _MIN_ROW_PX pixels; what does not fit scrolls (drag vertically).
        """
        if not self._rows:
            return
        top = -0.2
        bottom = self._rows[-1].top + self._rows[-1].height + 0.2
        height_px = max(self._view.height(), self._plot.height() * 0.8, 100.0)
        fits = height_px / _MIN_ROW_PX
        shown = min(max(bottom - top, _MIN_VISIBLE_ROWS), fits)
        scrolls = bottom - top > shown + 1e-9
        self._view.setMouseEnabled(x=True, y=scrolls)
        self._view.setLimits(yMin=top, yMax=max(bottom, top + shown), minYRange=shown, maxYRange=shown)
        y0 = self._view.viewRange()[1][0] if scrolls else top
        y0 = min(max(y0, top), max(bottom - shown, top))
        self._view.setYRange(y0, y0 + shown, padding=0)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._apply_y_range()

    def _worker_row(self, band: _Band, worker: np.ndarray) -> np.ndarray:
        if not len(band.worker_ids):
            return np.full(len(worker), -1, dtype=np.int64)
        pos = np.clip(np.searchsorted(band.worker_ids, worker), 0, len(band.worker_ids) - 1)
        return np.where(band.worker_ids[pos] == worker, band.worker_rows[pos], -1)

    def _task_row(self, band: _Band, task: np.ndarray) -> np.ndarray:
        valid = (task >= 0) & (task < len(band.task_rows))
        return np.where(valid, band.task_rows[np.clip(task, 0, max(len(band.task_rows) - 1, 0))], -1) \
            if len(band.task_rows) else np.full(len(task), -1, dtype=np.int64)

    def _occupies(self, band: _Band, worker: np.ndarray, state: np.ndarray) -> np.ndarray:
        """Which segments occupy their worker, as ``Trace.worker_lanes`` counts it (an event loop is
        occupied only by what runs on it; a thread also by its task's waits)."""
        if not len(band.worker_ids):
            return np.zeros(len(worker), dtype=bool)
        pos = np.clip(np.searchsorted(band.worker_ids, worker), 0, len(band.worker_ids) - 1)
        known = band.worker_ids[pos] == worker
        loop = band.worker_loop[pos]
        return known & np.where(loop, np.isin(state, _LOOP_OCCUPYING), np.isin(state, _THREAD_OCCUPYING))

    def _load_band(self, band: _Band, full: bool) -> None:
        """Load a band's segments: all of them, or (``full=False``) only those added since last time.

        Closed segments only ever get appended to a trace, so a live refresh packs just the new tail
        into the task rows, worker rows and GIL lane; the few open segments are redrawn each time.
        """
        trace = band.trace
        seg = trace.segments()
        n = len(seg)
        item = self._segments
        first = 0 if full or n < band.n_seen else band.n_seen
        if first == 0:
            band.busy_from = np.full(len(band.worker_ids), np.inf)
            band.busy_to = np.full(len(band.worker_ids), -np.inf)
            band.gil, band.gil_shade, band.handoffs = _EMPTY_GIL, 0, np.zeros(0)
        put = item.set_layer if first == 0 else item.append_layer
        tail = slice(first, n)
        task = seg.task[tail].astype(np.int64)
        worker, state = seg.worker[tail], seg.state[tail]
        start, end = seg.start[tail] / _NS_PER_MS, seg.end[tail] / _NS_PER_MS
        index = np.arange(first, n, dtype=np.int64)

        rows = self._task_row(band, task)
        ok = rows >= 0
        put(band.layer("tasks"), rows[ok], start[ok], end[ok], state[ok], index[ok])

        occ = self._occupies(band, worker, state)
        wrows = self._worker_row(band, worker[occ])
        put(band.layer("workers"), wrows, start[occ], end[occ], state[occ], index[occ])
        self._note_busy(band, worker[occ], start[occ], end[occ])

        run = state == _RUNNING
        self._append_gil(band, start[run], end[run], task[run], worker[run].astype(np.int64), first == 0)
        band.n_seen = n

        live = trace.open_segments() if not trace.complete else None
        if live is None or not len(live):
            band.open_seg, band.gil_open, band.open_handoffs = (), _EMPTY_GIL, np.zeros(0)
            for kind in ("open", "workers_open", "gil_open"):
                item.set_layer(band.layer(kind), *_empty_layer())
        else:
            self._load_open(band, live)
        band.generation = trace.generation

    def _note_busy(self, band: _Band, worker: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
        if not len(worker):
            return
        pos = np.searchsorted(band.worker_ids, worker)
        np.minimum.at(band.busy_from, pos, start)
        np.maximum.at(band.busy_to, pos, end)

    def _append_gil(self, band: _Band, start: np.ndarray, end: np.ndarray, task: np.ndarray, worker: np.ndarray,
                    reset: bool) -> None:
        old = band.gil
        if not reset and len(old[0]) and len(start) and float(start.min()) < float(old[0][-1]):
            # A segment closed late started before the lane's end: rebuild the lane in order.
            start, end = np.concatenate([old[0], start]), np.concatenate([old[1], end])
            task, worker = np.concatenate([old[2], task]), np.concatenate([old[3], worker])
            old, reset = _EMPTY_GIL, True
        prev_task = int(old[2][-1]) if len(old[2]) else -1
        cols, color, handoffs, band.gil_shade = _gil_runs(start, end, task, worker, prev_task,
                                                          0 if reset else band.gil_shade)
        band.gil = tuple(np.concatenate([o, c]) for o, c in zip(old, cols, strict=True))
        band.handoffs = np.concatenate([band.handoffs if not reset else np.zeros(0), handoffs])
        if band.gil_mode != "gil":
            cols = tuple(c[:0] for c in cols)
            color = color[:0]
        put = self._segments.set_layer if reset else self._segments.append_layer
        put(band.layer("gil"), np.full(len(cols[0]), band.gil_row, np.int64), cols[0], cols[1], color)

    def _load_open(self, band: _Band, live) -> None:
        item = self._segments
        band.open_seg = tuple(np.asarray(a) for a in live)
        task = live.task.astype(np.int64)
        start, end = live.start / _NS_PER_MS, live.end / _NS_PER_MS
        rows = self._task_row(band, task)
        ok = rows >= 0
        item.set_layer(band.layer("open"), rows[ok], start[ok], end[ok], live.state[ok], np.flatnonzero(ok))
        occ = self._occupies(band, live.worker, live.state)
        item.set_layer(band.layer("workers_open"), self._worker_row(band, live.worker[occ]), start[occ], end[occ],
                       live.state[occ], np.flatnonzero(occ))
        run = live.state == _RUNNING
        prev_task = int(band.gil[2][-1]) if len(band.gil[2]) else -1
        cols, color, handoffs, _ = _gil_runs(start[run], end[run], task[run], live.worker[run].astype(np.int64),
                                             prev_task, band.gil_shade)
        band.gil_open, band.open_handoffs = cols, handoffs
        if band.gil_mode != "gil":
            cols, color = tuple(c[:0] for c in cols), color[:0]
        item.set_layer(band.layer("gil_open"), np.full(len(cols[0]), band.gil_row, np.int64), cols[0], cols[1], color)

    def _idle_spans(self, band: _Band) -> list[tuple[float, float, float, float]]:
        """(top, height, x0, x1) of each worker's idle backdrop: from its first occupation to its last,
        or to the end of the run for pool threads, processes and event loops."""
        spans = []
        end_ms = band.trace.end_ns / _NS_PER_MS
        live_end = dict.fromkeys(band.open_seg[1].tolist(), end_ms) if band.open_seg else {}
        for i, (wid, row) in enumerate(zip(band.worker_ids.tolist(), band.worker_rows.tolist(), strict=True)):
            x0, x1 = float(band.busy_from[i]), float(band.busy_to[i])
            if band.worker_pool[i] or wid in live_end:
                x1 = max(x1, end_ms)
            if math.isfinite(x0) and x1 > x0:
                r = self._rows[row]
                spans.append((r.top + r.height * _ROW_INSET, r.height * (1 - 2 * _ROW_INSET), x0, x1))
        return spans

    def _after_data(self) -> None:
        for band, handoff in zip(self._bands, self._handoffs, strict=True):
            gil = self._rows[band.gil_row]
            times = np.concatenate([band.handoffs, band.open_handoffs]) if band.gil_mode == "gil" else np.zeros(0)
            handoff.set_data(times, gil.top + gil.height * _ROW_INSET, gil.height * (1 - 2 * _ROW_INSET))
        if self._rows:
            self._update_idle()
        end = self._end_ms()
        pad = max(end * 0.02, 1.0)
        self._view.setLimits(xMin=-pad, xMax=end + pad, minXRange=1e-3)
        self._cursor.setBounds([0.0, max(end, 0.0)])

    def _end_ms(self) -> float:
        ends = [b.trace.end_ns / _NS_PER_MS for b in self._bands]
        return max(ends, default=0.0)

    def _apply_follow(self) -> None:
        end = self._end_ms()
        if self._follow_window is None:
            self._view.setXRange(0.0, max(end, 1e-3), padding=0.01)
        else:
            self._view.setXRange(max(0.0, end - self._follow_window), max(end, self._follow_window), padding=0)

    def _add_note(self, row: int, text: str, italic: bool) -> None:
        note = pg.TextItem(text, color=theme(self._dark).muted, anchor=(0, 0.5))
        font = QFont()
        font.setPointSizeF(9.0)
        font.setItalic(italic)
        note.setFont(font)
        note.setZValue(12)
        self._plot.addItem(note, ignoreBounds=True)
        self._notes.append((note, row))

    def _place_notes(self, *args) -> None:
        """Keep notes at the left edge of the view: they label rows, not moments."""
        x0, x1 = self.visible_range_ms()
        for note, row in self._notes:
            r = self._rows[row]
            note.setPos(x0 + (x1 - x0) * 0.004, r.top + r.height / 2)

    # -- interaction -------------------------------------------------------------------------
    def _scrub(self, ms: float) -> None:
        ms = max(0.0, min(ms, self._end_ms()))
        self.set_cursor_ms(ms)
        self.cursorMoved.emit(ms)

    def _on_cursor_dragged(self) -> None:
        ms = max(0.0, min(float(self._cursor.value()), self._end_ms()))
        self._cursor_ms = ms
        self.cursorMoved.emit(ms)

    def _row_at(self, y: float) -> int | None:
        for i, r in enumerate(self._rows):
            if r.top <= y < r.top + r.height:
                return i
        return None

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        if not self._view.sceneBoundingRect().contains(scene_pos):
            QToolTip.hideText()
            return
        pt = self._view.mapSceneToView(scene_pos)
        px = self._view.viewPixelSize()[0]
        text = self.describe_at(pt.x(), pt.y(), tolerance_ms=2 * px)
        if text:
            QToolTip.showText(QCursor.pos(), text, self._plot)
        else:
            QToolTip.hideText()

    def _describe(self, band: _Band, kind: str, i: int) -> str:
        trace = band.trace
        if kind in ("tasks", "workers"):
            seg = trace.segments()
            task, worker, state, start, end = (int(seg.task[i]), int(seg.worker[i]), int(seg.state[i]),
                                               int(seg.start[i]), int(seg.end[i]))
        elif kind in ("open", "workers_open"):
            task, worker, state, start, end = (int(a[i]) for a in band.open_seg)
        else:
            s, e, t, w = band.gil if kind == "gil" else band.gil_open
            ms0, ms1 = float(s[i]), float(e[i])
            info = trace.tasks[int(t[i])] if 0 <= int(t[i]) < len(trace.tasks) else None
            who = info.label if info else f"task {int(t[i])}"
            return (f"GIL held by {who} on {band.worker_labels.get(int(w[i]), 'worker ?')}\n"
                    f"from {format_ms(ms0)} for {format_ms(ms1 - ms0)}")
        name = STATES[state] if 0 <= state < len(STATES) else "?"
        ms0, ms1 = start / _NS_PER_MS, end / _NS_PER_MS
        worker_text = band.worker_labels.get(worker, "none yet" if worker < 0 else f"worker {worker}")
        when = f"start {format_ms(ms0)}, length {format_ms(ms1 - ms0)}"
        if task < 0:
            return f"{worker_text}: idle\n{when}"
        info = trace.tasks[task] if task < len(trace.tasks) else None
        label = info.label if info else f"task {task}"
        group = info.group if info else "?"
        head = f"{worker_text} running {label}" if kind.startswith("workers") else f"{label} (group {group})"
        return f"{head}\nstate: {name}: {STATE_DESCRIPTIONS.get(name, '')}\nworker: {worker_text}\n{when}"


def _empty_layer() -> tuple[np.ndarray, ...]:
    z = np.zeros(0)
    return z.astype(np.int64), z, z, z.astype(np.uint8)
