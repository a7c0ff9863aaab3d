"""Getting runs out of Threadloom: saved runs and traces for other tools, all Qt-free.

- ``savefile``: the ``.tlrun`` saved-run format (a zip of JSON and numpy arrays; loading runs no code),
  ``savefile.write`` and ``savefile.read``.
- ``perfetto``: Chrome trace event JSON for Perfetto and ``chrome://tracing``.
- ``csv_export``: one row per segment, for spreadsheets and pandas.
- ``caption``: what a picture says about itself, its views, formats and sizes. The picture
  itself is drawn with Qt by :mod:`threadloom.ui.render`; nothing here imports Qt, so
  every export works without a display.

Each takes traces and returns text or bytes; files are written with
:func:`threadloom._files.write_atomic`.
"""

from .csv_export import segments_csv
from .perfetto import chrome_trace_json
from .savefile import FORMAT_VERSION, SUFFIX, SavedRuns, load_runs, runs_from_bytes, runs_to_bytes, save_runs

__all__ = [
    "FORMAT_VERSION",
    "SUFFIX",
    "SavedRuns",
    "chrome_trace_json",
    "load_runs",
    "runs_from_bytes",
    "runs_to_bytes",
    "save_runs",
    "segments_csv",
]
