"""One probe run: start the subprocess, stream its events into a trace, end it cleanly."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import ProbeError, WireFormatError
from ..model.trace import Trace
from ..scenario import Scenario
from ..wire.reader import EventsFrame, FrameDecoder
from .interpreters import close_transport, probe_command

_READ_CHUNK = 1 << 18
#: Events folded into the trace per event-loop turn (a few ms of work).
_FOLD_SLICE = 40_000
_STDERR_KEEP = 8192


@dataclass(frozen=True)
class RunRequest:
    """What to run: a scenario under one model, with optional overrides."""

    scenario: Scenario
    model: str
    switch_interval_ms: float | None = None
    pool_size: int | None = None
    interpreter: str | None = None
    recording: bool = True

    def probe_config(self) -> dict:
        return {
            "model": self.model,
            "scenario_name": self.scenario.name,
            "tasks": self.scenario.tasks(),
            "switch_interval_ms": self.switch_interval_ms,
            "pool_size": self.pool_size,
            "recording": self.recording,
            "peer_delay_ms": self.scenario.peer_delay_ms,
        }

    @property
    def interpreter_label(self) -> str:
        return self.interpreter or "the current interpreter"


@dataclass(frozen=True)
class RunResult:
    """How a run that did not fail ended: its trace, and whether it was stopped on request.

    A stopped run (Stop, closing the window) is an outcome, not an error:
    :attr:`trace` holds everything recorded up to that moment, its open
    segments closed at its last event, and ``trace.complete`` is False.
    """

    trace: Trace
    stopped: bool = False


class ProbeSession:
    """Runs the probe for one request; :attr:`trace` grows while it runs.

    ``on_update(trace)`` is called from the event loop after each chunk of
    events is folded into the trace. :meth:`run` returns a :class:`RunResult`;
    :meth:`stop` ends the run early, and then that result has ``stopped`` set
    and holds the partial trace. A probe that cannot start, crashes or speaks
    garbage raises :class:`ProbeError` (also with the partial trace).
    """

    def __init__(self, request: RunRequest, on_update: Callable[[Trace], None] | None = None) -> None:
        self.request = request
        self.trace = Trace()
        self._on_update = on_update
        self._proc: asyncio.subprocess.Process | None = None
        self._stopping = False

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def stopped(self) -> bool:
        """Whether :meth:`stop` was called (at any time); how the run ended is :attr:`RunResult.stopped`."""
        return self._stopping

    def stop(self) -> None:
        """Ask the run to end now; safe to call at any time, more than once."""
        self._stopping = True
        self._kill()

    async def run(self) -> RunResult:
        argv, env, cwd = probe_command(self.request.interpreter)
        label = self.request.interpreter_label
        try:
            self._proc = proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                cwd=cwd,
                start_new_session=True,  # its own process group: one signal ends it and its children
            )
        except OSError as exc:
            raise ProbeError(f"{argv[0]}: cannot start the probe: {exc.strerror or exc}") from None
        if self._stopping:  # stopped while the process was being started
            self._kill()
        stderr_tail = bytearray()
        stderr_task = asyncio.ensure_future(_drain(proc.stderr, stderr_tail))
        try:
            # Stdin stays open for the whole run: it is the probe's lifeline.
            proc.stdin.write(json.dumps(self.request.probe_config()).encode() + b"\n")
            try:
                await proc.stdin.drain()
            except (BrokenPipeError, ConnectionResetError):
                pass
            decoder = FrameDecoder(source=f"the probe under {label}")
            while True:
                chunk = await proc.stdout.read(_READ_CHUNK)
                if not chunk:
                    break
                await self._fold(decoder.feed(chunk))
            returncode = await proc.wait()
            await stderr_task
        except WireFormatError as exc:
            self._kill()
            if self._stopping:  # killed mid-frame on request: what it sent before is the outcome
                return RunResult(self._partial(), stopped=True)
            raise type(exc)(str(exc), trace=self._partial()) from None
        finally:
            self._kill()
            if proc.returncode is None:
                await proc.wait()
            if not stderr_task.done():
                stderr_task.cancel()
            if proc.stdin and not proc.stdin.is_closing():
                proc.stdin.close()
            close_transport(proc)
        return self._outcome(returncode, decoder, bytes(stderr_tail), label)

    async def _fold(self, frames) -> None:
        """Fold frames into the trace, yielding to the event loop between slices.

        A probe that was held back (a busy parent, a full pipe) can deliver
        hundreds of thousands of events in one frame; folding them in one go
        would freeze a GUI for a tenth of a second. Slices keep each turn short,
        and events of one task stay in order because a frame is in send order.
        """
        trace = self.trace
        for frame in frames:
            if isinstance(frame, EventsFrame):
                events = frame.events
                for start in range(0, len(events), _FOLD_SLICE):
                    trace.add_events(events[start : start + _FOLD_SLICE])
                    if len(events) > _FOLD_SLICE:
                        self._notify()
                        await asyncio.sleep(0)
            else:
                trace.apply_record(frame.record)
        self._notify()

    def _notify(self) -> None:
        if self._on_update is not None:
            self._on_update(self.trace)

    def _outcome(self, returncode: int, decoder: FrameDecoder, stderr: bytes, label: str) -> RunResult:
        trace = self.trace
        if self._stopping:
            return RunResult(self._partial(), stopped=True)
        if returncode == 0 and trace.complete:
            return RunResult(trace)
        if trace.error:
            reason = trace.error.get("message", "unknown error")
        elif returncode < 0:
            reason = f"killed by signal {signal.Signals(-returncode).name}"
        else:
            lines = stderr.decode("utf-8", "replace").strip().splitlines()
            reason = lines[-1] if lines else f"exited with status {returncode} and no message"
            if decoder.version is None:
                reason = f"the probe did not start ({reason}; it needs Python 3.9 or newer, or PyPy 3.9+)"
        if decoder.pending_bytes and not trace.error:
            reason += " (its output ended mid-frame)"
        raise ProbeError(f"{label}: {reason}", trace=self._partial())

    def _partial(self) -> Trace:
        self.trace.close_open_segments()
        return self.trace

    def _kill(self) -> None:
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


async def _drain(stream: asyncio.StreamReader, tail: bytearray) -> None:
    while True:
        chunk = await stream.read(4096)
        if not chunk:
            return
        tail += chunk
        del tail[:-_STDERR_KEEP]


def run_blocking(request: RunRequest) -> Trace:
    """Run to the end from synchronous code (the CLI) and return the trace.

    Nothing can call :meth:`ProbeSession.stop` here, so the run finishes or
    fails. Ctrl-C (``KeyboardInterrupt``) kills the probe and its processes,
    then propagates: the caller says in one line that the run was interrupted.
    """
    return asyncio.run(ProbeSession(request).run()).trace
