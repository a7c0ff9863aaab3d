"""How long the GUI's event loop stalls while the window ingests a fast live run.

A 5 ms QTimer records the gaps between its ticks under qasync while the real
window runs a scenario that makes the probe emit events as fast as it can (many
coroutines doing very short waits). Prints the events per second achieved (from
the trace) and the longest gap, against the goal of 50 ms.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui_ingest.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, Qt, QTimer

import qasync  # isort: skip

from threadloom.scenario import parse_scenario
from threadloom.ui.app import make_app
from threadloom.ui.window import MainWindow

TICK_MS = 5
GOAL_MS = 50.0
SCENARIO = """
name = "ingest flood"
description = "Hundreds of coroutines doing 10-microsecond waits: as many scheduling events as the probe can make."
[run]
model = "asyncio"
[[groups]]
name = "tick"
count = 400
repeat = 500
steps = [{ io = 0.01 }]
"""


class GapRecorder:
    """Ticks every TICK_MS and keeps the gaps between ticks while recording."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self.recording = False
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.recording:
            self.gaps.append((now - self._last) * 1000.0)
        self._last = now

    def start(self) -> None:
        self._last = time.perf_counter()
        self.gaps.clear()
        self.recording = True

    def stop(self) -> list[float]:
        self.recording = False
        return list(self.gaps)


def _summary(gaps: list[float]) -> str:
    if not gaps:
        return "no ticks"
    ordered = sorted(gaps)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return f"longest {ordered[-1]:.1f} ms, p99 {p99:.1f} ms over {len(gaps)} ticks"


async def bench() -> int:
    settings = QSettings(os.path.join(tempfile.mkdtemp(), "bench.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.resize(1600, 900)
    window.show()
    window.select_scenario(parse_scenario(SCENARIO, "ingest-flood.toml"))
    window.set_models(["asyncio"])
    recorder = GapRecorder()
    recorder.timer.start()
    await asyncio.sleep(0.3)  # let the window settle before measuring

    live: dict[str, object] = {}

    def end_of_live(_outcome: object) -> None:
        # The runner's finished signal comes before the views get the whole trace: that is the end of ingest.
        live["wall"] = time.perf_counter() - started
        live["gaps"] = recorder.stop()
        recorder.start()

    window.runner.finished.connect(end_of_live)
    recorder.start()
    started = time.perf_counter()
    traces = await window.run_current()
    await asyncio.sleep(0.2)
    final_gaps = recorder.stop()
    recorder.timer.stop()

    if not traces or not traces[0].complete:
        print(f"GUI ingest: the run did not complete: {window.status_message()}", file=sys.stderr)
        return 1
    trace = traces[0]
    live_wall, live_gaps = float(live["wall"]), list(live["gaps"])
    events = len(trace) + len(trace.tasks)  # one event per segment boundary, plus each task's "done"
    rate = events / (trace.end_ns / 1e9)
    longest = max(live_gaps) if live_gaps else float("nan")
    print(
        f"GUI ingest: {rate:,.0f} events/s ({events:,} events in {trace.end_ns / 1e9:.2f} s of run, "
        f"{live_wall:.2f} s wall), longest event-loop stall {longest:.1f} ms (goal <= {GOAL_MS:g} ms)"
    )
    print(
        f"  live ingest: {_summary(live_gaps)}; {window.runner.updates_emitted} view refreshes "
        f"({window.runner.updates_emitted / live_wall:.1f}/s)"
    )
    print(f"  end of run (metrics, timeline rebuilt with {len(trace):,} segments): {_summary(final_gaps)}")
    window.close()
    return 0 if longest <= GOAL_MS else 2


def main() -> int:
    make_app([])
    return qasync.run(bench())


if __name__ == "__main__":
    sys.exit(main())
