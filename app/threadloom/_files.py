"""Writing files: never leave half a file behind, whoever writes it (the CLI, the app, an export)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import ExportError


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` all at once: readers see the old file or the new one, never a part.

    The bytes go to a temporary file in the same folder, which then replaces
    ``path``; on any failure the temporary file is removed and ``path`` is left
    as it was. The new file gets the mode a plain ``open()`` would give it.

    A symbolic link is followed: the link stays and its target gets the bytes.
    A character device or a named pipe (``/dev/null``, ``/dev/stdout``, a FIFO)
    is written through, as a shell's ``>`` would; a folder, a block device or a
    socket is refused. Any failure is an :class:`ExportError` of one line.
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise ExportError(f"{path}: cannot write it ({exc.strerror or exc})") from None
    if mode is not None and (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
        try:
            with open(path, "wb") as fh:
                fh.write(data)
        except OSError as exc:
            raise ExportError(f"{path}: cannot write it ({exc.strerror or exc})") from None
        return
    if mode is not None and not stat.S_ISREG(mode):
        raise ExportError(f"{path}: {special_file_kind(mode)}, not a file; refusing to replace it")
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent if str(target.parent) else ".")
    except OSError as exc:
        raise ExportError(f"{path}: cannot write it ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        # mkstemp makes the file private; give it the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException as exc:
        os.unlink(tmp)
        if isinstance(exc, OSError):
            raise ExportError(f"{path}: cannot write it ({exc.strerror or exc})") from None
        raise


def special_file_kind(mode: int) -> str:
    """How a message names what is not a regular file: "is a folder", "is a block device"."""
    if stat.S_ISDIR(mode):
        return "is a folder"
    if stat.S_ISBLK(mode):
        return "is a block device"
    if stat.S_ISSOCK(mode):
        return "is a socket"
    return "is a special file"


__all__ = ["special_file_kind", "write_atomic"]
