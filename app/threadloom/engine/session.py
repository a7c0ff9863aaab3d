"""One probe run: start the subprocess, stream its events into a trace, end it cleanly."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from .._text import printable
from ..errors import ProbeError, WireFormatError
from ..model.gil import gil_exclusion
from ..model.trace import Trace
from ..probe.models import spec_of
from ..scenario import Scenario
from ..wire.reader import EventsFrame, FrameDecoder
from ._process import exit_code, kill_group
from .interpreters import close_transport, probe_command, read_in_pieces_of

#: What one turn of the event loop reads of the probe's output, at most (see read_in_pieces_of).
_READ_CHUNK = 1 << 20
#: Events folded into the trace per event-loop turn (a few ms of work).
_FOLD_SLICE = 40_000
_STDERR_KEEP = 8192
#: How often the read loop looks up from the pipe: to see whether the probe died, or fell silent.
_POLL_S = 0.25
#: Once the probe has exited, how long its output may stay open (held by a child that
#: escaped its process group) before the run stops waiting for the end of the stream.
_EOF_GRACE_S = 1.0
#: After the end of the stream, how long the probe may take to exit before it is killed.
_EXIT_GRACE_S = 5.0
#: A probe silent this long (no byte on its output) is reported as maybe stalled.
SILENCE_S = float(os.environ.get("THREADLOOM_SILENCE_S") or 30.0)


@dataclass(frozen=True)
class RunRequest:
    """What to run: a scenario under one model, with optional overrides."""

    scenario: Scenario
    model: str
    switch_interval_ms: float | None = None
    pool_size: int | None = None
    interpreter: str | None = None
    recording: bool = True
    #: A free-threaded build's GIL for this run: True on, False off, None as the interpreter decides.
    gil: bool | None = None
    #: Where a model that takes an address runs (a Ray cluster's, see ``ModelSpec.address_help``);
    #: None: on machinery it starts for the run. A model that takes none is never sent it.
    address: str | None = None

    def probe_environment(self) -> dict[str, str]:
        """Variables set for the probe beyond the parent's own (``PYTHON_GIL`` for ``gil``)."""
        return {} if self.gil is None else {"PYTHON_GIL": "1" if self.gil else "0"}

    def probe_config(self) -> dict:
        return {
            "model": self.model,
            "scenario_name": self.scenario.name,
            "lesson": self.scenario.lesson,
            "tasks": self.scenario.tasks(),
            "switch_interval_ms": self.switch_interval_ms,
            "pool_size": self.pool_size,
            "recording": self.recording,
            "peer_delay_ms": self.scenario.peer_delay_ms,
            "address": self.address if spec_of(self.model).takes_address else None,
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

    def __init__(
        self,
        request: RunRequest,
        on_update: Callable[[Trace], None] | None = None,
        *,
        on_silence: Callable[[str], None] | None = None,
        silence_s: float | None = None,
    ) -> None:
        """``on_silence(message)`` is called once each time the probe sends nothing for ``silence_s``
        seconds (default :data:`SILENCE_S`): a stalled interpreter, or a long step that records
        nothing. The run goes on, and :meth:`stop` still ends it."""
        self.request = request
        self.trace = Trace()
        self._on_update = on_update
        self._on_silence = on_silence
        self._silence_s = SILENCE_S if silence_s is None else silence_s
        self._proc: asyncio.subprocess.Process | None = None
        self._stopping = False
        self._finished = False
        self._tmpdir: str | None = None

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
        env.update(self.request.probe_environment())
        label = self.request.interpreter_label
        # A temporary folder of the run's own: multiprocessing's pymp-* folders go there, and
        # it is removed after the run however the probe ended (os._exit and SIGKILL skip
        # multiprocessing's own cleanup).
        self._tmpdir = env["TMPDIR"] = _run_tmpdir()
        global _started
        _started += 1
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
            self._remove_tmpdir()
            raise ProbeError(f"{argv[0]}: cannot start the probe: {exc.strerror or exc}") from None
        if self._stopping:  # stopped while the process was being started
            self._kill()
        read_in_pieces_of(proc, 1, _READ_CHUNK)
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
            await self._read(proc, decoder, label)
            returncode = await exit_code(proc, _EXIT_GRACE_S)
            if returncode is None:  # closed its output but went on running
                self._kill()
                returncode = await exit_code(proc, _EXIT_GRACE_S)
            await asyncio.wait([stderr_task], timeout=_EOF_GRACE_S)
        except WireFormatError as exc:
            self._kill()
            if self._stopping:  # killed mid-frame on request: what it sent before is the outcome
                return RunResult(self._partial(), stopped=True)
            raise type(exc)(str(exc), trace=self._partial()) from None
        finally:
            # Always the whole group, even when the probe itself has exited: pool workers,
            # the forkserver and the resource tracker may outlive it.
            self._kill()
            if proc.returncode is None:
                await exit_code(proc, _EXIT_GRACE_S)
            if not stderr_task.done():
                stderr_task.cancel()
            if proc.stdin and not proc.stdin.is_closing():
                proc.stdin.close()
            close_transport(proc)
            self._finished = True
            self._remove_tmpdir()
        return self._outcome(-9 if returncode is None else returncode, decoder, bytes(stderr_tail), label)

    async def _read(self, proc: asyncio.subprocess.Process, decoder: FrameDecoder, label: str) -> None:
        """Fold the probe's output into the trace until it ends.

        Never waits for ever: once the probe has exited, whatever still holds its
        output (a child that escaped into a session of its own) gets
        :data:`_EOF_GRACE_S`, and a long silence is reported through ``on_silence``.
        """
        loop = asyncio.get_running_loop()
        last_byte = loop.time()
        exited_at: float | None = None
        warned = False
        while True:
            try:
                chunk = await asyncio.wait_for(proc.stdout.read(_READ_CHUNK), _POLL_S)
            except TimeoutError:
                chunk = None
            now = loop.time()
            if proc.returncode is not None:
                if exited_at is None:
                    exited_at = now
                    self._kill()  # what it left behind holds the pipe open
                elif now - exited_at > (_EOF_GRACE_S if chunk is None else 10 * _EOF_GRACE_S):
                    return
            if chunk is None:
                silence = now - last_byte
                if not warned and silence >= self._silence_s and exited_at is None:
                    warned = True
                    if self._on_silence is not None:
                        self._on_silence(
                            f"{label}: the probe has sent nothing for {self._silence_s:g} s; it may be stalled "
                            "(stopping the run ends it)"
                        )
                continue
            if not chunk:
                return
            last_byte, warned = now, False
            await self._fold(decoder.feed(chunk))

    def _remove_tmpdir(self) -> None:
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

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
            elif frame.record.get("type") == "trailer" and len(trace):
                # Reconciling a big run with the GIL's rule takes up to a second of numpy: on a thread
                # of its own, so that the loop (the GUI's, under qasync) keeps turning. Nothing appends
                # to the trace meanwhile: this fold is its only writer, and it waits here.
                cols = await asyncio.get_running_loop().run_in_executor(None, gil_exclusion, trace)
                trace.apply_record(frame.record, reconciled=cols)
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
            reason = printable(trace.error.get("message", "unknown error"), 500)
        elif returncode < 0:
            reason = f"killed by signal {_signal_name(-returncode)}"
        else:
            # split("\n"), not splitlines(): a carriage return or form feed is escaped, not a line break.
            lines = [line for line in stderr.decode("utf-8", "replace").strip().split("\n") if line.strip()]
            reason = printable(lines[-1].strip(), 500) if lines else f"exited with status {returncode} and no message"
            if decoder.version is None:
                reason = f"the probe did not start ({reason}; it needs Python 3.9 or newer, or PyPy 3.9+)"
        if decoder.pending_bytes and not trace.error:
            reason += " (its output ended mid-frame)"
        raise ProbeError(f"{label}: {reason}", trace=self._partial())

    def _partial(self) -> Trace:
        self.trace.close_open_segments()
        return self.trace

    def _kill(self) -> None:
        """SIGKILL the probe's whole process group, whether or not the probe itself still runs.

        Not after the run has ended: the group id is the probe's pid, which the
        system may by then have given to another process.
        """
        if self._proc is not None and not self._finished:
            kill_group(self._proc.pid)


_started = 0


def sessions_started() -> int:
    """How many probe sessions this process has started (the CLI words an interrupt by it)."""
    return _started


def _run_tmpdir() -> str:
    """A fresh temporary folder with a short path: a forkserver's socket lives inside it, and
    socket paths are limited to about 100 bytes."""
    base = tempfile.gettempdir()
    if len(base) > 60 and os.path.isdir("/tmp"):
        base = "/tmp"
    return tempfile.mkdtemp(prefix="tl-", dir=base)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"number {number}"


async def _drain(stream: asyncio.StreamReader, tail: bytearray) -> None:
    while True:
        chunk = await stream.read(4096)
        if not chunk:
            return
        tail += chunk
        del tail[:-_STDERR_KEEP]


def run_blocking(request: RunRequest, on_silence: Callable[[str], None] | None = None) -> Trace:
    """Run to the end from synchronous code (the CLI) and return the trace.

    Nothing can call :meth:`ProbeSession.stop` here, so the run finishes or
    fails. Ctrl-C (``KeyboardInterrupt``) kills the probe and its processes,
    then propagates: the caller says in one line that the run was interrupted.
    """
    return asyncio.run(ProbeSession(request, on_silence=on_silence).run()).trace
