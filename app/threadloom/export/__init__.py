"""Getting runs out of Threadloom: saved runs, traces for other tools, pictures.

- ``savefile``: the ``.tlrun`` saved-run format (a zip of JSON and numpy arrays; loading runs no code).
- ``perfetto``: Chrome trace event JSON for Perfetto and ``chrome://tracing``.
- ``csv_export``: one row per segment, for spreadsheets and pandas.
- ``picture``: PNG/SVG/PDF of the window or one of its views. It imports Qt, so it
  is not re-exported here: the Qt-free exports must work without a display.
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
