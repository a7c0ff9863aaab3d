"""The fast drawing item behind the timeline: rows of coloured segments with level of detail.

``SegmentItem`` keeps named layers of segments ``(row, start_ms, end_ms, color_index, payload)``
in buckets of similar length, sorted by start, so that a frame touches only what is on screen.
Segments at least a pixel wide become rectangles (one ``drawRects`` per colour); narrower ones are
merged per row and pixel column into a small image. Big layers also keep pre-merged levels of
detail for far views. Layers only grow: a live run appends its new tail, which costs the size of
the tail (plus amortised capacity doubling), never the size of the run.

While a run is live its growing layers are not packed at all: each tail is kept as it came (a
``_Chunk``) and written into one raster (``_Raster``: a key per row and time bin no wider than a
pixel, the longest segment winning), and a frame reads the raster per pixel column and draws it as
one image. Packing 200,000+ segments a second into buckets and levels cost more than the GUI has;
the raster costs a few vectorised numpy calls per tail. When the run is over the layers are packed
(off the GUI thread when big) and drawn exactly again.

A complete layer of hundreds of thousands of segments seen where no level of detail serves (zoomed
in) is drawn directly once, while a thread merges the view and its surroundings into a raster of
the same kind (a tile); the frames after that only sample it.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from typing import NamedTuple

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter

#: Segments narrower than this many pixels go into the per-pixel cells rather than drawRects:
#: a cell costs a numpy write, a rectangle about 0.2 us of Qt rasterising.
_CELL_MAX_PX = 12.0
#: A frame puts segments up to this wide in its cells too (clipped to the view, so at most a row of
#: pixels each), drawn as one image strip per row: Qt took some 2 us to rasterise each rectangle of
#: ``drawRects``, which made a frame zoomed to 1 % of ten million segments (20,000 rectangles) miss
#: 16 ms, while a strip costs the same whatever it shows. Pixel columns are what either draws.
_DIRECT_CELL_MAX_PX = math.inf
#: Up to this many runs of equal cells in a row, cells are drawn as rectangles rather than image strips.
_RUNS_MAX = 2_000
#: Layers with at least this many segments get pre-merged levels of detail for far views...
_LEVEL_MIN_SEGMENTS = 50_000
#: ...as long as a level stays under this many cells (rows x bins), i.e. a few MB.
_LEVEL_MAX_CELLS = 4_000_000
#: Levels kept per layer, most recently used first: each one takes every live tail, so few are kept.
_LEVELS_KEPT = 2
#: A bucket grows in place up to this many segments; then the next tail starts a new block of the same
#: length class. Growing copies the bucket, so this caps what one live refresh can copy at a few MB.
_BLOCK = 1 << 17
#: The live raster stays under this many cells (rows x bins, 4 bytes each): some 32 MB at most.
_LIVE_MAX_CELLS = 8_000_000
#: A live raster that a new tail does not fit merges its bins this many times over before it is rebuilt.
_LIVE_COARSEN_MAX = 4
#: Complete layers this big, seen where no level of detail serves, are drawn from a tile (see _tile_for)...
_TILE_MIN_SEGMENTS = 250_000
#: ...made this many segments at a time, handing the GIL over between slices.
_TILE_SLICE = 32_768


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

    def __init__(
        self, exp: int, start: np.ndarray, end: np.ndarray, row: np.ndarray, color: np.ndarray, payload: np.ndarray
    ) -> None:
        self.exp = exp  # lengths are in [2**(exp-1), 2**exp) ms
        self._cols = {"start": start, "end": end, "row": row, "color": color, "payload": payload}
        self.n = len(start)
        self.maxlen = float((end - start).max()) if self.n else 0.0
        self._argb = np.zeros(0, dtype=np.uint32)
        self._argb_n = 0
        self._argb_version = -1

    @property
    def capacity(self) -> int:
        return len(self._cols["start"])

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
            self._argb[self._argb_n : self.n] = table[self.color[self._argb_n :]]
            self._argb_n = self.n
        return self._argb[: self.n]

    def merge(self, other: _Bucket) -> None:
        """Add ``other``'s segments (sorted by start), keeping ours sorted.

        Only our segments that start after ``other``'s first one are re-sorted with it. In a live
        run that is a short stretch at the end: a segment of this bucket that closes now started at
        most ``2**exp`` ms ago. So a refresh costs the size of its tail, not of the run.
        """
        k = other.n
        if not k:
            return
        n = self.n
        if n + k > len(self._cols["start"]):
            capacity = max(n + k, 2 * len(self._cols["start"]))
            for name, col in self._cols.items():
                grown = np.empty(capacity, dtype=col.dtype)
                grown[:n] = col[:n]
                self._cols[name] = grown
        for name in _COLUMNS:
            self._cols[name][n : n + k] = getattr(other, name)
        first = int(np.searchsorted(self.start, other.start[0], "right")) if n else 0
        self.n = n + k
        if first < n:
            order = np.argsort(self._cols["start"][first : n + k], kind="stable")
            for name in _COLUMNS:
                col = self._cols[name]
                col[first : n + k] = col[first : n + k][order]
            self._argb_n = min(self._argb_n, first)
        self.maxlen = max(self.maxlen, other.maxlen)


def _bucketise(
    start: np.ndarray, end: np.ndarray, row: np.ndarray, color: np.ndarray, payload: np.ndarray
) -> dict[int, _Bucket]:
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
    """One named set of segments (task rows, worker rows, GIL lane...), in length buckets.

    A length class may hold several buckets (blocks of up to ``_BLOCK``, each sorted by start on its
    own), so that appending never copies more than one block.
    """

    def __init__(self) -> None:
        self.buckets: dict[int, list[_Bucket]] = {}
        self._ordered: list[_Bucket] | None = []
        self.count = 0
        self.x_min = math.inf
        self.x_max = -math.inf
        self.rows: set[int] = set()
        self.row_min = 0  # lowest and highest row, for the bounding rect
        self.row_max = -1
        self.levels: dict[int, _Level] = {}  # power-of-two bin width exponent -> level of detail
        #: A live layer keeps what arrives unpacked, in chunks (see :meth:`defer`): it is drawn through the
        #: item's live raster, and packed into buckets only when the run is over (or off the GUI thread).
        self.rastered = False
        self._sealed: list[_Chunk] = []  # full blocks of _BLOCK segments
        self._open: list[np.ndarray] = []  # the block being filled: columns at full capacity
        self._open_n = 0
        self._open_lo, self._open_hi = math.inf, -math.inf

    def _columns(self, row, start, end, color, payload) -> tuple[np.ndarray, ...]:
        """New segments in the layer's dtypes, ends no earlier than starts; ``payload`` None: their
        positions in the layer, counted on from the segments it has."""
        start = np.asarray(start, dtype=np.float64)
        end = np.maximum(np.asarray(end, dtype=np.float64), start)
        n = len(start)
        payload = (
            np.arange(self.count, self.count + n, dtype=np.int64)
            if payload is None
            else np.asarray(payload, dtype=np.int64)
        )
        return np.asarray(row, dtype=np.int64), start, end, np.asarray(color, dtype=np.uint8), payload

    def _note_extent(self, row: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
        self.x_min = min(self.x_min, float(start.min()))
        self.x_max = max(self.x_max, float(end.max()))
        # A bincount, not np.unique: no sort of the whole tail just to learn which few rows it touches.
        lo, hi = int(row.min()), int(row.max())
        self.rows.update((np.flatnonzero(np.bincount(row)) if lo >= 0 else np.unique(row)).tolist())
        self.row_min, self.row_max = (
            (lo, hi) if self.row_max < self.row_min else (min(self.row_min, lo), max(self.row_max, hi))
        )

    def defer(
        self, row: np.ndarray, start: np.ndarray, end: np.ndarray, color: np.ndarray, payload: np.ndarray | None
    ) -> _Chunk | None:
        """Keep new segments as they come, unpacked: a live run's tail costs a copy, not a sort into buckets.

        They are copied once into blocks of ``_BLOCK`` segments (like ``viewmodel.lanes.Columns``), so that
        there stay few chunks to loop over (a hit test, a raster rebuild) and no segment is copied twice.
        Returns the new segments as a chunk of their own, for the raster.
        """
        n = len(start)
        self.rastered = True
        if not n:
            return None
        row, start, end, color, payload = self._columns(row, start, end, color, payload)
        chunk = _Chunk(row, start, end, color, payload, float(start.min()), float(end.max()))
        self.count += n
        self._note_extent(row, start, end)
        if self._open and self._open_n + n > len(self._open[0]):
            self._sealed.append(self._open_chunk())
            self._open, self._open_n = [], 0
            self._open_lo, self._open_hi = math.inf, -math.inf
        if not self._open:
            self._open = [np.empty(max(_BLOCK, n), dtype=c.dtype) for c in chunk[:5]]
        for dst, src in zip(self._open, chunk[:5], strict=True):
            dst[self._open_n : self._open_n + n] = src
        self._open_n += n
        self._open_lo, self._open_hi = min(self._open_lo, chunk.lo), max(self._open_hi, chunk.hi)
        return chunk

    def _open_chunk(self) -> _Chunk:
        k = self._open_n
        return _Chunk(*(c[:k] for c in self._open), self._open_lo, self._open_hi)

    @property
    def chunks(self) -> list[_Chunk]:
        """What :meth:`defer` kept, in blocks."""
        return self._sealed + ([self._open_chunk()] if self._open_n else [])

    def flush(self) -> None:
        """Pack the deferred chunks into buckets: the layer is then drawn exactly, like a complete one."""
        chunks = self.chunks
        self._sealed, self._open, self._open_n = [], [], 0
        self._open_lo, self._open_hi = math.inf, -math.inf
        self.rastered = False
        if not chunks:
            return
        cols = [np.concatenate([c[i] for c in chunks]) for i in range(5)]
        count, self.count = self.count, self.count - len(cols[1])
        self.add(*cols)
        self.count = count

    def add(
        self, row: np.ndarray, start: np.ndarray, end: np.ndarray, color: np.ndarray, payload: np.ndarray | None
    ) -> None:
        n = len(start)
        if not n:
            return
        row, start, end, color, payload = self._columns(row, start, end, color, payload)
        chunk = _bucketise(start, end, row, color, payload)
        self.count += n
        self._note_extent(row, start, end)
        # Keep the levels of detail that can take the new segments in place; drop the others.
        for k, level in list(self.levels.items()):
            if not level.absorb(chunk, self):
                del self.levels[k]
        for exp, b in chunk.items():
            blocks = self.buckets.setdefault(exp, [])
            if blocks and blocks[-1].n + b.n <= max(blocks[-1].capacity, _BLOCK):
                blocks[-1].merge(b)
            else:
                blocks.append(b)
                self._ordered = None

    def ordered(self) -> list[_Bucket]:
        """Every bucket, shortest length class first."""
        if self._ordered is None:
            self._ordered = [b for k in sorted(self.buckets) for b in self.buckets[k]]
        return self._ordered


class _Chunk(NamedTuple):
    """Segments of a live layer as they arrived (not sorted), with their time extent."""

    row: np.ndarray
    start: np.ndarray
    end: np.ndarray
    color: np.ndarray
    payload: np.ndarray
    lo: float  # earliest start
    hi: float  # latest end


def _raster_keys(start: np.ndarray, end: np.ndarray, color: np.ndarray) -> np.ndarray:
    """One uint32 per segment that orders by length, then colour: the bits of its length as a float32
    (for non-negative floats they order like the numbers) with the colour index + 1 in the low byte.
    The maximum of keys in a cell is then its longest segment, as the exact drawing puts it on top,
    and 0 stays "nothing here"."""
    length = (end - start).astype(np.float32)
    return (length.view(np.uint32) & np.uint32(0xFFFFFF00)) | (color.astype(np.uint32) + np.uint32(1))


class _Raster:
    """The live view's picture: one uint32 key (see :func:`_raster_keys`) per row and time bin.

    Bins are ``2**k`` ms from ``x0``, with ``k`` chosen so that a bin is at most a pixel wide: a pixel
    column then reads the one to three bins it covers. New segments are written in with one vectorised
    ``np.maximum.at`` (so a frame costs what arrived since the last one, never the run), zooming out
    merges pairs of bins, and whatever the raster cannot serve (zoomed in, panned left, too wide) makes
    it be rebuilt from the layer's chunks. Qt-free.
    """

    def __init__(self, nrows: int, x0: float, k: int, width: int) -> None:
        self.k = k
        self.bin_ms = math.ldexp(1.0, k)
        self.x0 = x0
        self.cells = np.zeros((nrows, max(width, 1)), dtype=np.uint32)

    @property
    def x1(self) -> float:
        """Where the bins end."""
        return self.x0 + self.cells.shape[1] * self.bin_ms

    def coarsen(self) -> None:
        """Bins twice as wide: each the max of the pair it replaces (the longer segment still wins)."""
        nrows, width = self.cells.shape
        if width % 2:
            self.cells = np.concatenate([self.cells, np.zeros((nrows, 1), dtype=np.uint32)], axis=1)
        self.cells = np.maximum(self.cells[:, 0::2], self.cells[:, 1::2])
        self.k += 1
        self.bin_ms *= 2.0

    def grow(self, x_end: float, max_cells: int) -> bool:
        """Make room for bins up to ``x_end`` (half as much again, so appends rarely copy); False when that
        would pass ``max_cells`` (the caller rebuilds the raster around the view then)."""
        nrows, width = self.cells.shape
        need = math.ceil((x_end - self.x0) / self.bin_ms) + 1
        if need <= width:
            return True
        wanted = int(need * 1.5) + 16
        if nrows * need > max_cells:
            return False
        wanted = min(wanted, max(need, max_cells // max(nrows, 1)))
        grown = np.zeros((nrows, wanted), dtype=np.uint32)
        grown[:, :width] = self.cells
        self.cells = grown
        return True

    def clear_rows(self, rows: list[int]) -> None:
        rows = [r for r in rows if 0 <= r < self.cells.shape[0]]
        if rows:
            self.cells[rows] = 0

    def add(self, row: np.ndarray, start: np.ndarray, end: np.ndarray, key: np.ndarray) -> None:
        """Write segments in (those outside the bins are left out: the raster is rebuilt to show them)."""
        width = self.cells.shape[1]
        keep = (end >= self.x0) & (start < self.x1) & (row >= 0) & (row < self.cells.shape[0])
        if not keep.all():
            row, start, end, key = row[keep], start[keep], end[keep], key[keep]
        if not len(start):
            return
        sx = 1.0 / self.bin_ms
        a = (start - self.x0) * sx
        b = (end - self.x0) * sx
        # A segment under a bin long goes in the bin of its middle, as the exact drawing puts it in a pixel.
        tiny = (b - a) <= 1.0
        mid = (a + b) * 0.5
        a = np.where(tiny, mid, a)
        b = np.where(tiny, mid, np.maximum(np.ceil(b) - 1.0, a))
        c0 = np.clip(a, 0, width - 1).astype(np.int64)
        c1 = np.clip(b, 0, width - 1).astype(np.int64)
        counts = c1 - c0 + 1
        total = int(counts.sum())
        first = np.repeat(row * width + c0 - (np.cumsum(counts) - counts), counts)
        np.maximum.at(self.cells.reshape(-1), first + np.arange(total), np.repeat(key, counts))

    def sample(self, lines: np.ndarray, left: np.ndarray, px_ms: float) -> np.ndarray:
        """The key each pixel column shows, per raster line in ``lines``: the max over the bins that start
        in the pixel ``[left, left + px_ms)``. A bin is at most a pixel wide, so each pixel gets one or two
        and each bin goes to one pixel: a segment is not widened into the pixels beside it."""
        width = self.cells.shape[1]
        b0 = np.ceil((left - self.x0) / self.bin_ms).astype(np.int64)
        b1 = np.maximum(np.ceil((left + px_ms - self.x0) / self.bin_ms).astype(np.int64) - 1, b0)
        cells = self.cells[lines]
        out = np.zeros((len(lines), len(left)), dtype=np.uint32)
        for step in range(int((b1 - b0).max(initial=0)) + 1):
            b = b0 + step
            ok = (b <= b1) & (b >= 0) & (b < width)
            if not ok.any():
                continue
            cols = np.flatnonzero(ok)
            out[:, cols] = np.maximum(out[:, cols], cells[:, b[cols]])
        return out


class _Level:
    """A layer's short segments merged into bins of ``bin_ms`` from ``x0``: colour index + 1 per
    (row, bin), 0 = empty. It holds the segments shorter than ``_CELL_MAX_PX`` bins; longer ones are
    drawn directly. Built with room to the right, and grown geometrically, so that a live run's tail
    merges in place."""

    def __init__(self, bin_ms: float, x0: float, rows: np.ndarray, width: int) -> None:
        self.bin_ms = bin_ms
        self.x0 = x0
        self.rows = rows  # global row of each line of ``cells``, sorted
        self.cells = np.zeros((len(rows), width), dtype=np.uint8)

    @classmethod
    def build(cls, layer: _Layer, bin_ms: float, width: int) -> _Level:
        level = cls(bin_ms, layer.x_min, np.array(sorted(layer.rows), dtype=np.int64), width)
        level._rasterise(layer.ordered(), 0.0)
        return level

    def coarser(self, layer: _Layer) -> _Level:
        """The level with bins twice as wide, made from this one rather than from every segment.

        Pairs of bins merge (the later one wins where both are set); then only the segments too long
        for this level but short enough for the new one are added. When a live run that is followed
        doubles in length, the view zooms out a level: this keeps that step from costing the whole run.
        """
        nrows, width = self.cells.shape
        half = (width + 1) // 2
        pairs = np.zeros((nrows, 2 * half), dtype=np.uint8)
        pairs[:, :width] = self.cells
        pairs = pairs.reshape(nrows, half, 2)
        level = _Level(2 * self.bin_ms, self.x0, self.rows, half)
        level.cells[:] = np.where(pairs[:, :, 1] != 0, pairs[:, :, 1], pairs[:, :, 0])
        level._rasterise(layer.ordered(), _CELL_MAX_PX * self.bin_ms)
        return level

    def _rasterise(self, buckets: list[_Bucket], min_len: float) -> None:
        sx = 1.0 / self.bin_ms
        x1 = self.x0 + self.cells.shape[1] * self.bin_ms
        _rasterise(
            buckets,
            self.x0,
            x1,
            sx,
            -self.x0 * sx,
            self.cells.shape[1],
            self.cells.reshape(-1),
            self.rows,
            lambda b, lo, hi: b.color[lo:hi] + np.uint8(1),
            None,
            min_len,
        )

    def absorb(self, chunk: dict[int, _Bucket], layer: _Layer) -> bool:
        """Merge new segments in, growing to new rows or to the right; False when the level cannot
        take them (they start before it, or it would get too big): drop it then."""
        if layer.x_min < self.x0:
            return False
        nrows, width = self.cells.shape
        need = math.ceil((layer.x_max - self.x0) / self.bin_ms) + 1
        if need > width or len(layer.rows) != nrows:
            rows = np.array(sorted(layer.rows), dtype=np.int64) if len(layer.rows) != nrows else self.rows
            width = max(width, int(need * 1.5) + 16) if need > width else width
            if len(rows) * width > _LEVEL_MAX_CELLS:
                return False
            cells = np.zeros((len(rows), width), dtype=np.uint8)
            cells[np.searchsorted(rows, self.rows), : self.cells.shape[1]] = self.cells
            self.rows, self.cells = rows, cells
        self._merge_tail(_ordered(chunk))
        return True

    def _merge_tail(self, buckets: list[_Bucket]) -> None:
        """Merge a live tail in all at once (its buckets joined, shortest first), rather than bucket
        by bucket as ``_rasterise`` does for a view: a tail is small, and lies wholly inside the level."""
        if not buckets:
            return
        start = np.concatenate([b.start for b in buckets])
        end = np.concatenate([b.end for b in buckets])
        sx = 1.0 / self.bin_ms
        short = (end - start) * sx < _CELL_MAX_PX
        start, end = start[short], end[short]
        if not len(start):
            return
        row = np.searchsorted(self.rows, np.concatenate([b.row for b in buckets])[short])
        value = np.concatenate([b.color for b in buckets])[short] + np.uint8(1)
        ncols = self.cells.shape[1]
        c0 = np.clip((start - self.x0) * sx, 0, ncols - 1).astype(np.int64)
        c1 = np.clip((end - self.x0) * sx, 0, ncols - 1).astype(np.int64)
        # Sub-bin segments take the bin of their middle, as ``_rasterise`` puts them; longer ones their run.
        tiny = (end - start) * sx <= 1.0
        c0[tiny] = c1[tiny] = np.clip(((start[tiny] + end[tiny]) * 0.5 - self.x0) * sx, 0, ncols - 1).astype(np.int64)
        counts = c1 - c0 + 1
        first = np.repeat(row * ncols + c0 - (np.cumsum(counts) - counts), counts)
        self.cells.reshape(-1)[first + np.arange(int(counts.sum()))] = np.repeat(value, counts)


def _rasterise(
    buckets: list[_Bucket],
    x0: float,
    x1: float,
    sx: float,
    shift: float,
    ncols: int,
    cells: np.ndarray,
    row_index: np.ndarray | None,
    values,
    wide: list | None,
    min_len: float,
    row_shown: np.ndarray | None = None,
    cell_max_px: float = _CELL_MAX_PX,
) -> tuple[int, int]:
    """Merge the segments of ``buckets`` overlapping [x0, x1] that are narrower than ``_CELL_MAX_PX`` into
    ``cells`` (rows x ``ncols`` flattened; column = ``x * sx + shift``); collect the wider ones in ``wide``.
    With ``row_shown`` (per global row), segments of rows not shown are skipped.

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
        if row_shown is not None:
            keep &= row_shown[r]  # rows scrolled out of view: no work for them
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
        if math.ldexp(1.0, b.exp - 1) * sx < cell_max_px:
            short = (e - s) * sx < cell_max_px
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


def _level_for(layer: _Layer, px_ms: float) -> _Level | None:
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
        finer = layer.levels.get(k - 1)
        if finer is not None:
            level = finer.coarser(layer)
        else:
            # Room for the run to grow by half again: a live run's tail then merges in place.
            roomy = min(int(width * 1.5) + 16, max(width, _LEVEL_MAX_CELLS // max(len(layer.rows), 1)))
            level = _Level.build(layer, bin_ms, roomy)
    layer.levels.pop(k, None)
    layer.levels[k] = level  # most recently used last
    for stale in list(layer.levels)[:-_LEVELS_KEPT]:
        del layer.levels[stale]
    return level


def pack_layer(
    row: np.ndarray, start: np.ndarray, end: np.ndarray, color: np.ndarray, payload: np.ndarray | None = None
) -> _Layer:
    """A layer packed from scratch. Qt-free and touching nothing shared, so it may run off the GUI
    thread; hand the result to :meth:`SegmentItem.install_layer` on the GUI thread."""
    layer = _Layer()
    layer.add(row, start, end, color, payload)
    return layer


def prepare_level(layer: _Layer, px_ms: float) -> None:
    """Build ``layer``'s level of detail for pixels ``px_ms`` wide now (off the GUI thread, say), so
    that the first frame at that zoom does not pay for merging every segment."""
    _level_for(layer, px_ms)


class SegmentItem(pg.GraphicsObject):
    """Rows of coloured segments, drawn fast at any zoom.

    Data lives in named layers of ``(row, start_ms, end_ms, color_index, payload)``; rows map to
    ``(top, height)`` in item coordinates through :meth:`set_rows`. ``paint`` draws only the
    segments that overlap the view. Those at least a pixel wide become rectangles, batched into
    one ``drawRects`` call per colour; the narrower ones are merged per row and pixel column into a
    small image (the longest one wins a pixel) drawn as one strip per row. So a frame costs about
    the same at a million segments as at ten thousand. No pen, no antialiasing.
    """

    #: A tile made off the GUI thread is ready (emitted from that thread; delivered queued).
    tileReady = Signal()

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
        self._pending = False  # appended without notify: bounds and repaint still to do
        self._raster: _Raster | None = None  # the live layers' picture, built at the first frame that needs it
        self._tile: _Raster | None = None  # big complete layers merged for the zoom on screen (see _tile_for)
        self._tile_gen = 0  # bumped at every change of the data: a tile made before is dropped
        self._tile_wanted: tuple[int, int] | None = None
        self._tile_span = (0.0, 0.0)
        self._tile_thread: threading.Thread | None = None
        self._tile_done: tuple[int, _Raster] | None = None
        # Queued: the tile is made on a thread of its own and installed on the GUI thread.
        self.tileReady.connect(self._on_tile_ready, Qt.ConnectionType.QueuedConnection)
        self.raster_rebuilds = 0  # how often it was built from every chunk (zooming in, panning left): for benchmarks
        #: How many levels coarser than the pixels the live raster may be before it is built again: none
        #: while live; some while a finished run is packed off the GUI thread (see TimelineWidget), when
        #: a rebuild would redo every chunk on the GUI thread for a picture the exact one soon replaces.
        self.raster_slack = 0
        self.last_paint = PaintStats(0, 0, 0, 0)
        self.last_frame: tuple | None = None
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
        self._raster = None
        self._tile = None
        self._data_changed()

    def clear(self) -> None:
        self._layers.clear()
        self._raster = None
        self._data_changed()

    def set_layer(
        self,
        name: str,
        row: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        color: np.ndarray,
        payload: np.ndarray | None = None,
        notify: bool = True,
        live: bool = False,
    ) -> None:
        """Replace a layer. ``payload`` (default: position in the arrays) comes back from :meth:`segment_at`.

        ``live``: the layer belongs to a run in progress and will be appended to: keep its segments
        unpacked and draw them through the live raster (see :meth:`append_layer`).
        """
        self._tile_gen += 1
        self._tile = None
        layer = _Layer()
        if live:
            chunk = layer.defer(row, start, end, color, payload)
        else:
            chunk = None
            layer.add(row, start, end, color, payload)
        self._replace(name, layer)
        if chunk is not None:
            self._raster_add(chunk)
        if notify:
            self._data_changed()
        else:
            self._pending = True

    def append_layer(
        self,
        name: str,
        row: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        color: np.ndarray,
        payload: np.ndarray | None = None,
        notify: bool = True,
        live: bool = False,
    ) -> None:
        """Add segments to a layer (created if missing): only the new ones are packed.

        With ``notify=False`` the item is not told to repaint (nor its bounds updated) until
        :meth:`notify_changed`: a live catch-up spread over several turns repaints once, not every turn.

        With ``live`` (or to a layer that is live already), the segments are not packed at all: they are
        kept as they came and written into the live raster, a few vectorised numpy calls for the whole
        tail, and the frame draws that raster as one image. Packing every segment into buckets and levels
        of detail cost more than a flood of 200,000 segments a second leaves the GUI. :meth:`flush_live`
        (or a layer packed off the GUI thread, :meth:`install_layer`) ends that when the run is over.
        """
        self._tile_gen += 1
        self._tile = None
        layer = self._layers.get(name)
        if layer is None:
            layer = self._layers[name] = _Layer()
        if layer.rastered or (live and not layer.count):
            chunk = layer.defer(row, start, end, color, payload)
            if chunk is not None:
                self._raster_add(chunk)
        else:
            layer.add(row, start, end, color, payload)
        if notify:
            self._data_changed()
        else:
            self._pending = True

    def notify_changed(self) -> None:
        """Repaint for what was appended with ``notify=False`` (a no-op when nothing was)."""
        if self._pending:
            self._pending = False
            self._data_changed()

    def install_layer(self, name: str, layer: _Layer) -> None:
        """Put a layer made by :func:`pack_layer` in place of the one called ``name``."""
        self._replace(name, layer)
        self._data_changed()

    def _replace(self, name: str, layer: _Layer) -> None:
        old = self._layers.get(name)
        self._layers[name] = layer
        if old is not None and old.rastered and self._raster is not None:
            # The layers of a band have rows of their own: clearing those rows takes the old one out.
            self._raster.clear_rows(sorted(old.rows))
        if not any(lay.rastered for lay in self._layers.values()):
            self._raster = None

    def deferred_count(self) -> int:
        """Segments kept unpacked in live layers (drawn through the raster)."""
        return sum(lay.count for lay in self._layers.values() if lay.rastered)

    def flush_live(self) -> None:
        """Pack every live layer's segments into buckets now: from here on they are drawn exactly."""
        for layer in self._layers.values():
            if layer.rastered:
                layer.flush()
        self._raster = None
        self._data_changed()

    def _raster_add(self, chunk: _Chunk) -> None:
        raster = self._raster
        if raster is None:
            return  # built from every chunk at the next frame
        coarser = 0
        while chunk.hi > raster.x1 and not raster.grow(chunk.hi, _LIVE_MAX_CELLS):
            if coarser == _LIVE_COARSEN_MAX:
                self._raster = None  # far too wide for its bins: rebuilt around the view at the next frame
                return
            # The run outgrew the bins (a big batch, or a short run doubling): wider bins keep what is
            # drawn, at the cost of the cells, and the view zooms out to follow anyway.
            raster.coarsen()
            coarser += 1
        raster.add(chunk.row, chunk.start, chunk.end, _raster_keys(chunk.start, chunk.end, chunk.color))

    def _live_raster(self, rastered: list[_Layer], x0: float, x1: float, px_ms: float) -> _Raster:
        """The raster for a frame of ``[x0, x1]`` with pixels ``px_ms`` wide: the one kept, with its bins
        merged if the view zoomed out, or a new one built from every chunk if it cannot serve."""
        k = math.floor(math.log2(px_ms))
        nrows = len(self._row_top)
        raster = self._raster
        x_max = max(lay.x_max for lay in rastered)
        if raster is not None and (
            raster.k > k + self.raster_slack
            or raster.cells.shape[0] != nrows
            or x0 < raster.x0
            or (x1 > raster.x1 and x_max > raster.x1)
            or k - raster.k > 8
        ):
            raster = None
        if raster is not None:
            while raster.k < k:
                raster.coarsen()
            return raster
        # Around the view, with room to pan left a little and for the run to grow right.
        span = max(x1 - x0, px_ms)
        lo = max(x0 - 0.25 * span, min(lay.x_min for lay in rastered))
        bin_ms = math.ldexp(1.0, k)
        lo = math.floor(lo / bin_ms) * bin_ms
        hi = max(x1, x_max) + 0.5 * span
        width = min(math.ceil((hi - lo) / bin_ms) + 1, max(_LIVE_MAX_CELLS // max(nrows, 1), 1))
        raster = self._raster = _Raster(nrows, lo, k, width)
        self.raster_rebuilds += 1
        for layer in rastered:
            for c in layer.chunks:
                if c.hi >= raster.x0 and c.lo <= raster.x1:
                    raster.add(c.row, c.start, c.end, _raster_keys(c.start, c.end, c.color))
        return raster

    def layer(self, name: str) -> object | None:
        """The packed layer called ``name`` (its identity tells whether a refresh rebuilt it), or None."""
        return self._layers.get(name)

    def layer_count(self, name: str) -> int:
        layer = self._layers.get(name)
        return layer.count if layer else 0

    # -- tiles: rasters of big complete layers, for zoomed views that no level of detail serves --------
    def _draw_raster(
        self,
        raster: _Raster,
        grid: np.ndarray,
        shown: np.ndarray,
        col0: int,
        ncols: int,
        tx: float,
        px_ms: float,
        over: bool = False,
    ) -> int:
        """Sample ``raster`` per pixel column into the frame's cells, for the rows shown; returns cells set.
        With ``over``, only where the raster has something (other layers may have drawn the other rows)."""
        lines = np.flatnonzero(shown[: raster.cells.shape[0]])
        if not len(lines):
            return 0
        left = (np.arange(col0, col0 + ncols, dtype=np.float64) - tx) * px_ms
        keys = raster.sample(lines, left, px_ms)
        lut = np.concatenate([[0], self._argb, np.zeros(256, np.uint32)]).astype(np.uint32)[:256]
        argb = lut[keys & np.uint32(0xFF)]
        grid[lines] = np.where(keys != 0, argb, grid[lines]) if over else argb
        return int(np.count_nonzero(keys))

    def _tile_for(self, layers: list[_Layer], x0: float, x1: float, px_ms: float) -> _Raster | None:
        """The tile that serves a frame of ``[x0, x1]`` at pixels ``px_ms`` wide, or None (then one is
        started off the GUI thread, and the frame draws directly).

        Zoomed in on ten million segments, a frame took 100,000 of them one by one (20+ ms); a tile holds
        them merged per bin for the view and half a view each side, so that the frames of a pan, of a
        replay cursor moving, of a tooltip, only sample it (a few ms).
        """
        k = math.floor(math.log2(px_ms))
        if self._tile_done is not None:
            self._on_tile_ready(repaint=False)  # made meanwhile: no need to wait for its signal
        tile = self._tile
        if tile is not None and tile.k == k and tile.x0 <= x0 and x1 <= tile.x1:
            return tile
        want = (self._tile_gen, k)
        if self._tile_wanted == want and self._tile_thread is not None and self._tile_thread.is_alive():
            if self._tile_span[0] <= x0 and x1 <= self._tile_span[1]:
                return None  # the one being made will do
        span = x1 - x0
        bin_ms = math.ldexp(1.0, k)
        lo = math.floor((x0 - 0.5 * span) / bin_ms) * bin_ms
        hi = x1 + 0.5 * span
        nrows = len(self._row_top)
        width = math.ceil((hi - lo) / bin_ms) + 1
        if nrows * width > _LIVE_MAX_CELLS:
            return None
        buckets = [b for layer in layers for b in layer.ordered()]
        self._tile_wanted, self._tile_span = want, (lo, lo + width * bin_ms)
        gen = self._tile_gen

        def build() -> None:
            tile = _Raster(nrows, lo, k, width)
            for b in buckets:
                i0 = int(np.searchsorted(b.start, lo - b.maxlen, "left"))
                i1 = int(np.searchsorted(b.start, tile.x1, "right"))
                for j in range(i0, i1, _TILE_SLICE):
                    jj = min(j + _TILE_SLICE, i1)
                    s, e = b.start[j:jj], b.end[j:jj]
                    tile.add(b.row[j:jj], s, e, _raster_keys(s, e, b.color[j:jj]))
                    # Hand the GIL to the GUI thread between slices: it waits for it at each Qt call.
                    time.sleep(0)
            self._tile_done = (gen, tile)
            if shiboken6.isValid(self):  # the view may have closed meanwhile
                try:
                    self.tileReady.emit()
                except RuntimeError:  # deleted between the check and the call
                    pass

        self._tile_thread = threading.Thread(target=build, name="threadloom-tile", daemon=True)
        self._tile_thread.start()
        return None

    def _on_tile_ready(self, repaint: bool = True) -> None:
        done, self._tile_done = self._tile_done, None
        if done is not None and done[0] == self._tile_gen:
            self._tile = done[1]
            if repaint:
                self.update()

    def _data_changed(self) -> None:
        self._tile_gen += 1  # tiles show the data as it was: a new one is made at the next frame
        self._tile = None
        self._pending = False
        self.prepareGeometryChange()
        self._bounds = self._compute_bounds()
        self.informViewBoundsChanged()
        self.update()

    def _compute_bounds(self) -> QRectF:
        layers = [lay for lay in self._layers.values() if lay.count]
        if not layers or not len(self._row_top):
            return QRectF()
        # Every row between the lowest and the highest used: at worst a little more than painted.
        r0 = max(min(lay.row_min for lay in layers), 0)
        r1 = min(max(lay.row_max for lay in layers), len(self._row_top) - 1)
        if r1 < r0:
            return QRectF()
        x0 = min(lay.x_min for lay in layers)
        x1 = max(lay.x_max for lay in layers)
        y0 = float(self._row_top[r0 : r1 + 1].min())
        y1 = float((self._row_top[r0 : r1 + 1] + self._row_height[r0 : r1 + 1]).max())
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
        shown = self._rows_in(view) if view is not None else np.ones(nrows, dtype=bool)
        rastered = [lay for lay in self._layers.values() if lay.rastered and lay.count]
        if rastered:
            # A live run: its closed segments are in the raster; each pixel column reads its bins.
            px_ms = 1.0 / sx
            raster = self._live_raster(rastered, x0, x1, px_ms)
            lod += self._draw_raster(raster, grid, shown, col0, ncols, tx, px_ms)
        tiled: list[_Layer] = []

        def colours(block, lo: int, hi: int):
            return block.argb(self._argb, self._color_version)[lo:hi]

        def draw_directly(layer: _Layer, min_len: float) -> tuple[int, int]:
            """Rasterise a layer's segments of ``min_len`` ms and more one by one: (visible, merged)."""
            return _rasterise(
                layer.ordered(),
                x0,
                x1,
                sx,
                shift,
                ncols,
                cells,
                None,
                colours,
                wide,
                min_len,
                shown,
                _DIRECT_CELL_MAX_PX,
            )

        for layer in self._layers.values():
            if layer.rastered:
                continue
            level = self._level_for(layer, 1.0 / sx)
            if level is None and layer.count >= _TILE_MIN_SEGMENTS:
                tiled.append(layer)  # drawn from a tile below, when one is ready for this zoom
                continue
            min_len = 0.0
            if level is not None:
                # Sub-pixel work was done once for this zoom level; only sample it per pixel column,
                # and only for the rows on screen (hundreds of rows may scroll out of view).
                lod += self._sample_level(layer, level, grid, col0, ncols, sx, tx, shown)
                min_len = _CELL_MAX_PX * level.bin_ms
            n_vis, n_lod = draw_directly(layer, min_len)
            visible += n_vis
            lod += n_lod
        if tiled:
            px_ms = 1.0 / sx
            tile = self._tile_for(tiled, x0, x1, px_ms)
            if tile is not None:
                lod += self._draw_raster(tile, grid, shown, col0, ncols, tx, px_ms, over=True)
            else:
                # No tile for this zoom and place yet (one is being made off the GUI thread): draw directly.
                for layer in tiled:
                    n_vis, n_lod = draw_directly(layer, 0.0)
                    visible += n_vis
                    lod += n_lod
        # Rows scrolled out of view were merged with the rest (the work is per segment, not per row);
        # drop them here, before any drawing.
        if view is not None and lod:
            if not shown.all():
                grid[~shown] = 0
                lod = int(np.count_nonzero(cells))
        if view is not None and wide:
            wide = [tuple(a[keep] for a in w) for w in wide for keep in [shown[w[2]]] if keep.any()]

        p.save()
        p.resetTransform()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        p.setPen(Qt.PenStyle.NoPen)
        # Runs pay off only for few cells; ``lod`` bounds how many are set (a full live frame has
        # hundreds of thousands), so a frame need not scan the whole image to learn that.
        # A live raster frame fills most cells of its rows: never runs then.
        runs = self._cell_runs(cells, ncols) if 0 < lod <= 8 * _RUNS_MAX and not rastered else None
        nrects = self._draw_wide(p, wide, runs, sx, tx, col0, ncols, row_y, row_h)
        strips = self._draw_cells(p, image, cells, nrows, ncols, col0, row_y, row_h) if lod and runs is None else 0
        p.restore()
        self.last_paint = PaintStats(visible, nrects, lod, strips)
        # Where the frame's pixel columns were: for tests that read the frame's cells back (``_image``).
        self.last_frame = (col0, ncols, tx, sx, row_y, row_h)

    def _rows_in(self, view: QRectF) -> np.ndarray:
        """Which rows overlap ``view`` (item coordinates) vertically."""
        y0, y1 = min(view.top(), view.bottom()), max(view.top(), view.bottom())
        return (self._row_top + self._row_height >= y0) & (self._row_top <= y1)

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

    def _draw_wide(
        self,
        p: QPainter,
        wide: list,
        runs: tuple[np.ndarray, ...] | None,
        sx: float,
        tx: float,
        col0: int,
        ncols: int,
        row_y: np.ndarray,
        row_h: np.ndarray,
    ) -> int:
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
        return _level_for(layer, px_ms)

    def _sample_level(
        self,
        layer: _Layer,
        level: _Level,
        grid: np.ndarray,
        col0: int,
        ncols: int,
        sx: float,
        tx: float,
        shown: np.ndarray | None = None,
    ) -> int:
        """Copy a level's cells under each pixel column into the frame's cells (only rows where ``shown``);
        returns cells written."""
        centers = (np.arange(col0, col0 + ncols) + 0.5 - tx) / sx
        bins = np.floor((centers - level.x0) / level.bin_ms).astype(np.int64)
        inside = (bins >= 0) & (bins < level.cells.shape[1])
        if not inside.any():
            return 0
        lines = np.arange(len(level.rows)) if shown is None else np.flatnonzero(shown[level.rows])
        if not len(lines):
            return 0
        cols = np.flatnonzero(inside)
        rows = level.rows[lines]
        cells = level.cells[lines]
        sub = cells[:, bins[cols]]
        # A pixel holds one to two bins: when its centre bin is empty, look at the next one.
        nxt = cells[:, np.minimum(bins[cols] + 1, level.cells.shape[1] - 1)]
        sub = np.where(sub != 0, sub, nxt)
        lut = np.concatenate([[0], self._argb]).astype(np.uint32)
        block = lut[sub]
        span = slice(cols[0], cols[-1] + 1)
        target = grid[rows, span]
        grid[rows, span] = np.where(block != 0, block, target)
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
    def _draw_cells(
        p: QPainter,
        image: QImage,
        cells: np.ndarray,
        nrows: int,
        ncols: int,
        col0: int,
        row_y: np.ndarray,
        row_h: np.ndarray,
    ) -> int:
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

        def consider(name: str, s: np.ndarray, e: np.ndarray, payload: np.ndarray) -> None:
            """Keep the nearest, then longest, of these hits if it beats the best so far."""
            nonlocal best
            dist = np.maximum(np.maximum(s - x, x - e), 0.0)
            length = e - s
            k = np.lexsort((-length, dist))[0]
            cand = (float(dist[k]), -float(length[k]), name, int(payload[k]))
            if best is None or cand[:2] < best[:2]:
                best = cand

        for name, layer in self._layers.items():
            if row not in layer.rows:
                continue
            for c in layer.chunks:
                # A live layer's unpacked chunks: each covers a short stretch of the run, so most are skipped.
                if c.lo > x + tolerance or c.hi < x - tolerance:
                    continue
                hit = np.flatnonzero((c.row == row) & (c.start <= x + tolerance) & (c.end >= x - tolerance))
                if len(hit):
                    consider(name, c.start[hit], c.end[hit], c.payload[hit])
            for b in layer.ordered():
                lo = np.searchsorted(b.start, x - tolerance - b.maxlen, "left")
                hi = np.searchsorted(b.start, x + tolerance, "right")
                if hi <= lo:
                    continue
                hit = lo + np.flatnonzero((b.row[lo:hi] == row) & (b.end[lo:hi] >= x - tolerance))
                if len(hit):
                    consider(name, b.start[hit], b.end[hit], b.payload[hit])
        return None if best is None else (best[2], best[3])
