"""The saved-run file's fixed names: its format, its version, its members and the dtype of each column.

Shared by :mod:`.write` and :mod:`.read`, so the two agree by construction;
``docs/saved-run-format.md`` documents the layout.
"""

from __future__ import annotations

FORMAT_NAME = "threadloom-run"
#: 2 added the optional ``sweep`` object (a sweep's points); version 1 files read as before.
FORMAT_VERSION = 2
SUFFIX = ".tlrun"

HEADER = "header.json"
HEADER_HASH = "header.sha256"

#: Segment columns and per-task columns, with the exact little-endian dtype each is stored in.
SEGMENT_COLUMNS: dict[str, str] = {"task": "<i4", "worker": "<i8", "state": "|u1", "start": "<i8", "end": "<i8"}
TASK_COLUMNS: dict[str, str] = {"submitted": "<i8", "finished": "<i8"}
