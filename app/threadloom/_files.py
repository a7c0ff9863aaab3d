"""Writing files: never leave half a file behind, whoever writes it (the CLI, the app, an export)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` all at once: readers see the old file or the new one, never a part.

    The bytes go to a temporary file in the same folder, which then replaces
    ``path``; on any failure the temporary file is removed and ``path`` is left
    as it was. The new file gets the mode a plain ``open()`` would give it.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        # mkstemp makes the file private; give it the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


__all__ = ["write_atomic"]
