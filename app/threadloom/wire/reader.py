"""Parent side of the wire format: turn a byte stream back into frames.

Bytes arrive in arbitrary pieces (a pipe read may end mid-frame), so the
decoder buffers until a frame is whole; see docs/wire-format.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import WireFormatError
from .format import EVENT_DTYPE_FORMAT, MAGIC, VERSION

_MAX_HEADER = 64
#: A frame larger than this is not something the probe writes: treat as garbage.
MAX_FRAME_BYTES = 256 * 1024 * 1024


@dataclass
class EventsFrame:
    events: np.ndarray  # shape (n, 4): t_ns, task, worker, state


@dataclass
class JsonFrame:
    record: dict[str, Any]


class FrameDecoder:
    """Feed it bytes; it returns the whole frames they complete."""

    def __init__(self, source: str = "the probe") -> None:
        self._buf = bytearray()
        self._magic_seen = False
        self._source = source
        self.version: int | None = None

    def feed(self, data: bytes) -> list[EventsFrame | JsonFrame]:
        self._buf += data
        frames: list[EventsFrame | JsonFrame] = []
        buf = self._buf
        pos = 0
        if not self._magic_seen:
            nl = buf.find(b"\n")
            if nl < 0:
                if len(buf) > _MAX_HEADER or not MAGIC.startswith(bytes(buf[: len(MAGIC)])):
                    self._garbage(buf)
                return frames
            self._read_magic(bytes(buf[:nl]))
            pos = nl + 1
        while True:
            nl = buf.find(b"\n", pos, pos + _MAX_HEADER)
            if nl < 0:
                if len(buf) - pos > _MAX_HEADER:
                    self._garbage(buf[pos:])
                break
            kind, _, length = bytes(buf[pos:nl]).partition(b" ")
            if kind not in (b"E", b"J") or not length.isdigit() or int(length) > MAX_FRAME_BYTES:
                self._garbage(buf[pos:])
            end = nl + 1 + int(length)
            if end > len(buf):
                break
            payload = bytes(buf[nl + 1 : end])
            pos = end
            if kind == b"E":
                if len(payload) % 32:
                    self._garbage(payload)
                events = np.frombuffer(payload, dtype=EVENT_DTYPE_FORMAT).reshape(-1, 4)
                frames.append(EventsFrame(events))
            else:
                try:
                    record = json.loads(payload)
                except (ValueError, RecursionError):  # not JSON, or nested past what json can parse
                    self._garbage(payload)
                if not isinstance(record, dict) or "type" not in record:
                    self._garbage(payload)
                frames.append(JsonFrame(record))
        del buf[:pos]
        return frames

    @property
    def pending_bytes(self) -> int:
        return len(self._buf)

    def _read_magic(self, line: bytes) -> None:
        magic, _, version = line.partition(b" ")
        if magic != MAGIC or not version.strip().isdigit():
            self._garbage(line)
        self.version = int(version)
        if self.version > VERSION:
            raise WireFormatError(
                f"{self._source} speaks wire format version {self.version}; this Threadloom reads up to "
                f"version {VERSION}: update Threadloom"
            )
        self._magic_seen = True

    def _garbage(self, data) -> None:
        sample = bytes(data[:60]).decode("utf-8", "replace").strip().splitlines()
        shown = sample[0] if sample else ""  # quoted with !r below: control characters come out escaped
        raise WireFormatError(f"{self._source} printed something that is not a Threadloom event stream: {shown!r}")
