"""Saved runs: one ``.tlrun`` file holds a run, or a comparison of several.

The file is a zip (documented in ``docs/saved-run-format.md``)::

    header.json          format, versions, date, scenario, and per run: settings,
                         the probe's header/trailer, workers, metrics, and the
                         name, dtype, shape and SHA-256 of each of its arrays
    header.sha256        SHA-256 of header.json, so an edited header is caught too
    runs/<i>/<col>.npy   numpy arrays written with ``allow_pickle=False``

Loading never runs code: JSON is parsed by :mod:`json`, arrays by
``np.load(..., allow_pickle=False)`` after their dtype and shape were read
from the ``.npy`` header and checked against what the file declares. Every
index (task, worker, state) is range-checked before a :class:`Trace` is
built, so a crafted file cannot make the views index out of bounds.

One job per module: :mod:`.write` turns traces into a file, :mod:`.read`
checks a file and turns it back into traces, and :mod:`.layout` holds the
names, versions and dtypes the two agree on.
"""

from ...errors import SavedRunError
from .layout import FORMAT_NAME, FORMAT_VERSION, SUFFIX
from .read import SavedRuns, load_runs, runs_from_bytes
from .write import runs_to_bytes, save_runs

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "SUFFIX",
    "SavedRunError",
    "SavedRuns",
    "load_runs",
    "runs_from_bytes",
    "runs_to_bytes",
    "save_runs",
]
