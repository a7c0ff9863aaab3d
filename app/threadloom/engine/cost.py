"""Run the cost probe (:mod:`threadloom.probe.cost`) under an interpreter and collect its report.

Asyncio and Qt-free like the rest of the engine: the CLI drives it with
``asyncio.run``, the app with qasync's loop. The probe runs in a session of
its own, so :meth:`CostSession.stop` ends it and every thread and process it
started at once; what was measured until then is kept.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import ProbeError
from ..model.cost import CostReport
from .interpreters import close_transport, probe_command


@dataclass(frozen=True)
class CostRequest:
    """What to measure; ``None`` leaves the probe's defaults (see :mod:`threadloom.probe.cost`)."""

    interpreter: str | None = None
    thread_counts: tuple[int, ...] | None = None
    coroutine_counts: tuple[int, ...] | None = None
    process_counts: tuple[int, ...] | None = None
    switch_seconds: float | None = None
    switches: tuple[str, ...] | None = None

    def config(self) -> dict[str, Any]:
        fields = {
            "thread_counts": self.thread_counts,
            "coroutine_counts": self.coroutine_counts,
            "process_counts": self.process_counts,
            "switch_seconds": self.switch_seconds,
            "switches": self.switches,
        }
        return {k: list(v) if isinstance(v, tuple) else v for k, v in fields.items() if v is not None}

    @property
    def interpreter_label(self) -> str:
        return self.interpreter or "the current interpreter"


def cost_command(interpreter: str | None) -> tuple[list[str], dict[str, str], str]:
    """argv, environment and working directory of the cost probe (the run probe's, another entry point)."""
    argv, env, cwd = probe_command(interpreter)
    if argv[-1] == "--probe":  # a frozen app re-executing itself
        return [*argv[:-1], "--probe-cost"], env, cwd
    return [*argv[:-1], "threadloom.probe.cost"], env, cwd


class CostSession:
    """One cost measurement. ``on_record(record, report)`` follows each record as it arrives."""

    def __init__(
        self, request: CostRequest, on_record: Callable[[dict[str, Any], CostReport], None] | None = None
    ) -> None:
        self.request = request
        self.report = CostReport()
        self._on_record = on_record
        self._proc: asyncio.subprocess.Process | None = None
        self._stopping = False

    @property
    def stopped(self) -> bool:
        return self._stopping

    def stop(self) -> None:
        """End the measurement now (the probe's whole process group); the report keeps what came in."""
        self._stopping = True
        self._kill()

    async def run(self) -> CostReport:
        argv, env, cwd = cost_command(self.request.interpreter)
        label = self.request.interpreter_label
        try:
            self._proc = proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                cwd=cwd,
                start_new_session=True,
            )
        except OSError as exc:
            raise ProbeError(f"{argv[0]}: cannot start the cost probe: {exc.strerror or exc}") from None
        if self._stopping:
            self._kill()
        try:
            proc.stdin.write(json.dumps(self.request.config()).encode() + b"\n")
            try:
                await proc.stdin.drain()
            except (BrokenPipeError, ConnectionResetError):
                pass
            stderr_task = asyncio.ensure_future(proc.stderr.read())
            while True:
                line = await proc.stdout.readline()
                if not line:
                    break
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    self.report.add(record)
                    if self._on_record is not None:
                        self._on_record(record, self.report)
            returncode = await proc.wait()
            stderr = await stderr_task
        finally:
            self._kill()
            if proc.returncode is None:
                await proc.wait()
            if proc.stdin and not proc.stdin.is_closing():
                proc.stdin.close()
            close_transport(proc)
        if self._stopping or self.report.complete:
            return self.report
        lines = stderr.decode("utf-8", "replace").strip().splitlines()
        if not self.report.interpreter:
            reason = lines[-1] if lines else f"exited with status {returncode}"
            raise ProbeError(f"{label}: the cost probe did not start ({reason}; it needs Python 3.9 or newer)")
        reason = lines[-1] if lines else f"exited with status {returncode} before it finished"
        raise ProbeError(f"{label}: the cost probe failed: {reason}")

    def _kill(self) -> None:
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def measure_costs_blocking(
    request: CostRequest, on_record: Callable[[dict[str, Any], CostReport], None] | None = None
) -> CostReport:
    """Measure from synchronous code (the CLI); Ctrl-C ends the probe and its children, then propagates."""
    return asyncio.run(CostSession(request, on_record).run())
