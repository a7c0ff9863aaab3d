"""Finding the Pythons the probe can run under, and listing them in the control panel.

Discovery globs the disks (in a worker thread) and asks each interpreter what
it is (a subprocess each, awaited on the event loop), so the window never waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ..engine import describe_interpreter, discover_interpreters
from ..errors import ThreadloomError
from .controls import ControlPanel, gil_tag


class InterpreterFinder:
    """Lists interpreters in ``controls``; ``report(text, error)`` shows what happened to the one asked for."""

    def __init__(self, controls: ControlPanel, report: Callable[..., None]) -> None:
        self._controls = controls
        self._report = report

    async def discover(self) -> None:
        """Every interpreter on this machine, plus the one the settings remember (selected again)."""
        loop = asyncio.get_running_loop()
        paths = await loop.run_in_executor(None, discover_interpreters)  # globbing disks: off the GUI thread
        wanted = self._controls.saved_interpreter()
        if wanted and wanted not in paths:
            paths.append(wanted)
        await asyncio.gather(*(self.describe(p, select=(p == wanted)) for p in paths), return_exceptions=True)

    async def describe(self, path: str, select: bool) -> None:
        """Ask ``path`` what it is and list it; with ``select``, select it and report the outcome."""
        try:
            info = await describe_interpreter(path)
        except ThreadloomError as exc:
            if select:
                self._report(str(exc), error=True)
            return
        self._controls.add_interpreter(info, select=select)
        if select:
            self._report(selected_text(info))


def selected_text(info) -> str:
    """The status line once an interpreter is selected: what it is, and the models it cannot run."""
    text = f"The probe will run under {info.implementation} {info.version}{gil_tag(info)} ({info.path})."
    refused = info.unavailable()
    if refused:
        text += " It cannot run " + "; ".join(f"{name} ({why})" for name, why in refused.items()) + "."
    return text


__all__ = ["InterpreterFinder", "selected_text"]
