"""Encoding of the probe's event stream (version 1).

A stream is a magic line, then frames. Each frame is one ASCII header line
``<kind> <length>\\n`` followed by exactly ``length`` bytes of payload:

- ``E``: state-change events, a flat run of little-endian signed 64-bit
  integers, four per event: ``t_ns, task, worker, state``.
- ``J``: one UTF-8 JSON object with a ``"type"`` key (``header``, ``task``,
  ``worker``, ``trailer``, ``error``, ``log``).

Events are packed with :mod:`array` because the probe pays for every
microsecond it spends encoding: it shares the GIL with the work it measures.
"""

from __future__ import annotations

import json
import sys
from array import array

MAGIC = b"THREADLOOM-WIRE"
VERSION = 1

#: The vocabulary of states every model speaks. Codes are part of the format.
STATE_NAMES = ("running", "native", "ready", "io", "blocked", "queued", "idle")
STATE_CODES = {name: code for code, name in enumerate(STATE_NAMES)}
#: Not a state: the event that closes a task's last segment.
TASK_DONE = 255

EVENT_FIELDS = ("t_ns", "task", "worker", "state")
EVENT_DTYPE_FORMAT = "<i8"

_NATIVE_LITTLE = sys.byteorder == "little"


def magic_line() -> bytes:
    return MAGIC + b" " + str(VERSION).encode() + b"\n"


def encode_events(flat: list) -> bytes:
    """Frame a flat list ``[t, task, worker, state, t, task, ...]``."""
    packed = array("q", flat)
    if not _NATIVE_LITTLE:
        packed.byteswap()
    payload = packed.tobytes()
    return b"E " + str(len(payload)).encode() + b"\n" + payload


def encode_json(obj: dict) -> bytes:
    payload = json.dumps(obj, separators=(",", ":")).encode("utf-8")
    return b"J " + str(len(payload)).encode() + b"\n" + payload
