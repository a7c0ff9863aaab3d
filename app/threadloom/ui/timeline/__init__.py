"""The timeline: every task, worker and the GIL over time, fast enough for a million segments.

Public API (used by the main window and the exporters; keep it stable):

- ``TimelineWidget(parent=None, dark=False)``: a legend of states above a ``pg.PlotWidget``.

  - ``set_traces(traces, labels=None)``: one trace shows a single run; several are stacked in
    bands on one shared time axis (compare), each band titled with its label. Passing the traces
    already shown (a live run that just completed) keeps what is packed and adds only the rest.
  - ``refresh()``: cheap, for live runs: re-reads only traces whose ``generation`` changed and
    appends just the new tail of their segments, a few ms of work per turn of the event loop (a
    bigger tail goes on in the following turns).
  - ``follow_live(enabled, window_ms=None)``: keep the end of the run in view while it grows.
  - ``set_cursor_ms(ms | None)``: show or hide the vertical replay cursor.
  - ``cursorMoved(float)``: emitted (ms) when the user clicks or drags on the time axis or the cursor.
  - ``visible_range_ms() -> (start, end)``, ``set_visible_range_ms(start, end)``.
  - ``gil_holder_at(ms, band=0) -> task id | None``: who holds the GIL in the GIL lane at ``ms``.
  - ``set_dark(bool)``, ``plot_widget`` (for exporters), ``segment_item``.

- ``SegmentItem`` (from :mod:`.segments`): the ``pg.GraphicsObject`` drawing rows of coloured
  segments with level of detail; ``PaintStats`` says what its last paint drew.

Modules, one job each: ``widget`` (``TimelineWidget``), ``segments`` (``SegmentItem``), ``decor``
(GIL hand-off markers, the backdrop of idle stretches), ``axes`` (row labels, the time axis),
``legend``. What fills the rows is derived without Qt in :mod:`threadloom.viewmodel.lanes` and
worded in :mod:`threadloom.viewmodel.timeline_text`.

Rows get at least ``_MIN_ROW_PX`` pixels so that every label fits; what does not fit scrolls, with
a scroll bar beside the plot.

Time is in milliseconds since the run's start on the x axis; rows go down the y axis.
"""

from ...model import worker_labels
from .decor import HandoffItem
from .segments import PaintStats, SegmentItem
from .widget import TimelineWidget

__all__ = ["HandoffItem", "PaintStats", "SegmentItem", "TimelineWidget", "worker_labels"]
