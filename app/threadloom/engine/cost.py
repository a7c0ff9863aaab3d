"""Run the cost probe (:mod:`threadloom.probe.cost`) under an interpreter and collect its report.

Asyncio and Qt-free like the rest of the engine: the CLI drives it with
``asyncio.run``, the app with qasync's loop. The probe runs in a session of
its own, so :meth:`CostSession.stop` ends it and every thread and process it
started at once; what was measured until then is kept.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import ProbeError
from ..model.cost import CostReport
from ._process import exit_code, kill_group
from .interpreters import close_transport, probe_command

#: How often a read looks up to see whether the probe died; how long its output may stay open
#: after it exited; how long it may take to exit once its output ended (as for a run's session).
_POLL_S = 0.25
_EOF_GRACE_S = 1.0
_EXIT_GRACE_S = 5.0


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
        self._finished = False

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
        stderr_task = asyncio.ensure_future(proc.stderr.read())
        try:
            proc.stdin.write(json.dumps(self.request.config()).encode() + b"\n")
            try:
                await proc.stdin.drain()
            except (BrokenPipeError, ConnectionResetError):
                pass
            while True:
                line = await self._readline(proc)
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
            returncode = await exit_code(proc, _EXIT_GRACE_S)
            if returncode is None:  # closed its output but went on running
                self._kill()
                returncode = await exit_code(proc, _EXIT_GRACE_S)
            done, _ = await asyncio.wait([stderr_task], timeout=_EOF_GRACE_S)
            stderr = stderr_task.result() if done else b""
        finally:
            # Always the whole group: the processes a measurement started may outlive the probe.
            self._kill()
            if proc.returncode is None:
                await exit_code(proc, _EXIT_GRACE_S)
            if not stderr_task.done():
                stderr_task.cancel()
            if proc.stdin and not proc.stdin.is_closing():
                proc.stdin.close()
            close_transport(proc)
            self._finished = True
        returncode = -9 if returncode is None else returncode
        if self._stopping or self.report.complete:
            return self.report
        lines = stderr.decode("utf-8", "replace").strip().splitlines()
        if not self.report.interpreter:
            reason = lines[-1] if lines else f"exited with status {returncode}"
            raise ProbeError(f"{label}: the cost probe did not start ({reason}; it needs Python 3.9 or newer)")
        reason = lines[-1] if lines else f"exited with status {returncode} before it finished"
        raise ProbeError(f"{label}: the cost probe failed: {reason}")

    async def _readline(self, proc: asyncio.subprocess.Process) -> bytes:
        """The probe's next line, or b"" at its end; never waits for ever on output a survivor holds."""
        exited_at = None
        loop = asyncio.get_running_loop()
        while True:
            try:
                return await asyncio.wait_for(proc.stdout.readline(), _POLL_S)
            except TimeoutError:
                pass
            if proc.returncode is not None:
                if exited_at is None:
                    exited_at = loop.time()
                    self._kill()  # what it left behind holds the pipe open
                elif loop.time() - exited_at > _EOF_GRACE_S:
                    return b""

    def _kill(self) -> None:
        if self._proc is not None and not self._finished:
            kill_group(self._proc.pid)


def measure_costs_blocking(
    request: CostRequest, on_record: Callable[[dict[str, Any], CostReport], None] | None = None
) -> CostReport:
    """Measure from synchronous code (the CLI); Ctrl-C ends the probe and its children, then propagates."""
    return asyncio.run(CostSession(request, on_record).run())
