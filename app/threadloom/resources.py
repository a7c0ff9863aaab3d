"""Where shipped resources (presets, icons, fonts) live.

Installed, they sit inside the package (``threadloom/resources``, put there by
the wheel build and by PyInstaller); in a source checkout they are the
repository's top-level ``resources/``.
"""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    candidates = [Path(__file__).resolve().parent / "resources"]
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        candidates.insert(0, Path(frozen_root) / "threadloom" / "resources")
    candidates.append(Path(__file__).resolve().parents[2] / "resources")
    for candidate in candidates:
        if (candidate / "presets").is_dir():
            return candidate
    raise FileNotFoundError("Threadloom's resources folder is missing; reinstall Threadloom")


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
