"""The GUI's run controller: one or more probe runs, one after another, with throttled live updates.

It owns the :class:`~threadloom.engine.ProbeSession` objects, so it is the one
place that stops them: on Stop, on a failure, and before the window closes.
Views never hear from the probe directly; they get :attr:`RunController.liveUpdate`
at most 25 times a second, and never more than ~40 ms after new events.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from .._text import printable
from ..engine import ProbeSession, RunRequest
from ..errors import ProbeError, ThreadloomError
from ..model import Trace

#: Live views redraw at most this often (ms); it is also the most they trail the probe's last batch by.
#: With the probe shipping every 25 ms, the views trail the run by well under 100 ms. Each refresh
#: draws only what arrived since the last one, so refreshing this often stays cheap.
REFRESH_MS = 40


def finished_message(traces: list[Trace], labels: list[str]) -> str:
    """The status line after a plan ran to the end: "Finished: threads 1,234 ms, asyncio 987 ms."."""
    ends = ", ".join(f"{label} {t.end_ns / 1e6:,.0f} ms" for t, label in zip(traces, labels, strict=False))
    return f"Finished: {ends}." if ends else "Finished."


@dataclass(frozen=True)
class PlannedRun:
    """One run of a plan, with the label its row gets in the timeline and the compare table."""

    request: RunRequest
    label: str


@dataclass(frozen=True)
class RunOutcome:
    """How a plan ended: the traces worth showing, their labels, and a one-line message."""

    traces: list[Trace]
    labels: list[str]
    message: str
    ok: bool
    stopped: bool = False


class RunController(QObject):
    """Runs a plan of probe runs sequentially and reports progress to the window.

    Signals
    -------
    runStarted(int): run ``i`` of the plan started; :meth:`traces` now includes its live trace.
    liveUpdate(): new events arrived (throttled to :data:`REFRESH_MS`).
    finished(RunOutcome): the plan ended (completed, stopped or failed).
    stalled(str): the running probe has sent nothing for a while (the engine's watchdog); one line.
    """

    runStarted = Signal(int)
    liveUpdate = Signal()
    finished = Signal(object)
    stalled = Signal(str)

    def __init__(self, parent: QObject | None = None, refresh_ms: int = REFRESH_MS) -> None:
        super().__init__(parent)
        self._refresh_ms = refresh_ms
        self._sessions: list[ProbeSession] = []
        self._labels: list[str] = []
        self._planned = 0
        self._running = False
        self._stop_requested = False
        self._dirty = False
        self._last_emit = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._emit_update)
        self.updates_emitted = 0

    # -- state ---------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._running

    def traces(self) -> list[Trace]:
        """Traces of the plan so far (the last one may still be growing); empty ones left out."""
        return [s.trace for s in self._sessions if s.trace.header]

    def labels(self) -> list[str]:
        return [label for s, label in zip(self._sessions, self._labels, strict=False) if s.trace.header]

    def current_label(self) -> str:
        """Label of the run in progress (or the last one)."""
        return self._labels[-1] if self._labels else ""

    def planned_count(self) -> int:
        return self._planned

    def live_trace(self) -> Trace | None:
        return self._sessions[-1].trace if self._running and self._sessions else None

    def pids(self) -> list[int]:
        """Process ids (= process-group ids) of every probe this controller started."""
        return [s.pid for s in self._sessions if s.pid is not None]

    # -- control ---------------------------------------------------------------
    def stop(self) -> None:
        """Kill the running probe (its whole process group) now; the plan's later runs are skipped."""
        self._stop_requested = True
        for session in self._sessions:
            session.stop()

    async def run(self, plan: list[PlannedRun]) -> RunOutcome:
        """Run each planned request in turn; never raises for a probe problem, reports it instead."""
        if self._running:
            raise RuntimeError("a run is already in progress")
        self._sessions, self._labels = [], []
        self._planned = len(plan)
        self._running, self._stop_requested = True, False
        message, ok, stopped = "", True, False
        try:
            for i, planned in enumerate(plan):
                if self._stop_requested:
                    stopped, ok = True, False
                    message = "Stopped before every run of the comparison started; the traces so far are kept."
                    break
                session = ProbeSession(planned.request, on_update=self._on_update, on_silence=self._on_silence)
                self._sessions.append(session)
                self._labels.append(planned.label)
                self.runStarted.emit(i)
                try:
                    result = await session.run()
                except ProbeError as exc:
                    ok = False
                    kept = " The partial trace is kept and shown." if len(session.trace) else ""
                    message = f"{planned.label} failed: {exc}.{kept}".replace("..", ".")
                    break
                except ThreadloomError as exc:
                    ok, message = False, f"{planned.label}: {exc}"
                    break
                if result.stopped:
                    stopped, ok = True, False
                    message = (
                        f"Stopped {planned.label} at {result.trace.end_ns / 1e9:.2f} s; "
                        "the partial trace is kept and shown."
                    )
                    break
            else:
                message = finished_message(self.traces(), self.labels())
        finally:
            self._running = False
            for session in self._sessions:
                session.stop()  # no probe outlives its run, whatever ended it
            self._timer.stop()
            self._dirty = False
        outcome = RunOutcome(self.traces(), self.labels(), message, ok, stopped)
        self.finished.emit(outcome)
        return outcome

    def _on_silence(self, message: str) -> None:
        self.stalled.emit(printable(message.removesuffix(" (stopping the run ends it)"), 500))

    # -- throttling ------------------------------------------------------------
    def _on_update(self, _trace: Trace) -> None:
        # Called from the read loop after every chunk, maybe hundreds of times a
        # second: only mark the views dirty, and schedule one redraw.
        self._dirty = True
        if self._timer.isActive():
            return
        wait = self._refresh_ms - (time.perf_counter() - self._last_emit) * 1000.0
        self._timer.start(max(0, int(wait)))

    def _emit_update(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        self._last_emit = time.perf_counter()
        self.updates_emitted += 1
        self.liveUpdate.emit()
