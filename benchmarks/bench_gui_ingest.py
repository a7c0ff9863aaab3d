"""How long the GUI's event loop stalls while the window ingests a fast live run.

A 5 ms QTimer records the gaps between its ticks under qasync while the real
window runs a scenario that makes the probe emit events as fast as it can (many
coroutines doing very short waits). Prints the events per second achieved (from
the trace) and the longest gap, against the goal of 50 ms; and the live view's
figures: frames a second (paints of the timeline's segments), how far what is on
screen trails the run (at every tick: now on the probe's monotonic clock, or the
run's end once it is over, minus the end of what the last frame drew; p95), and the
GUI process's CPU share.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui_ingest.py [--preset NAME]

With ``--preset`` it runs that preset under its own model instead of the flood:
what an ordinary run costs the GUI.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, Qt, QTimer

import qasync  # isort: skip

from threadloom.scenario import parse_scenario
from threadloom.scenario.presets import resolve_scenario
from threadloom.ui.app import make_app
from threadloom.ui.window import MainWindow

TICK_MS = 5
GOAL_MS = 50.0
FPS_GOAL = 20.0
LAG_GOAL_MS = 100.0
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
    """Ticks every TICK_MS and keeps the gaps between ticks while recording; with ``lag`` set, also
    samples how far the live view trails the run at every tick."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        #: (now, end of what the last frame drew, end of what the GUI has received), ns since the run's
        #: start: the lags are taken once the run's end is known (see :func:`trailing_ms`).
        self.samples: list[tuple[int, int, int]] = []
        self.lag = None
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
            if self.lag is not None:
                sample = self.lag()
                if sample is not None:
                    self.samples.append(sample)
        self._last = now

    def start(self) -> None:
        self._last = time.perf_counter()
        self.gaps.clear()
        self.recording = True

    def stop(self) -> list[float]:
        self.recording = False
        return list(self.gaps)


def trailing_ms(samples: list[tuple[int, int, int]], end_ns: int) -> tuple[list[float], list[float]]:
    """How far what was drawn, and what was received, trailed the run at each sample (ms).

    Once the run is over (``end_ns``, its makespan) there is nothing more to trail: a sample taken
    while the probe shuts down and the trailer is folded counts what was still missing of the run,
    not the time since it ended (which grew to some 180 ms at the end of every flood).
    """
    drawn = [(min(now, end_ns) - shown) / 1e6 for now, shown, _ in samples]
    received = [(min(now, end_ns) - got) / 1e6 for now, _, got in samples]
    return drawn, received


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else float("nan")


def _summary(gaps: list[float]) -> str:
    if not gaps:
        return "no ticks"
    ordered = sorted(gaps)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return f"longest {ordered[-1]:.1f} ms, p99 {p99:.1f} ms over {len(gaps)} ticks"


async def bench(preset: str | None = None) -> int:
    settings = QSettings(os.path.join(tempfile.mkdtemp(), "bench.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.resize(1600, 900)
    window.show()
    scenario = resolve_scenario(preset) if preset else parse_scenario(SCENARIO, "ingest-flood.toml")
    window.select_scenario(scenario)
    window.set_models([scenario.model or "asyncio"])
    recorder = GapRecorder()
    recorder.timer.start()
    await asyncio.sleep(0.3)  # let the window settle before measuring

    live: dict[str, object] = {}
    # What the live view shows, at each paint of the segments: a band that has caught up with its trace
    # draws up to the trace's last event (its open segments too); one still packing a backlog draws the
    # closed segments it has packed, which close in time order, so up to the end of the last of them.
    # Each tick keeps the earliest of those ends over the bands, and now on the probe's monotonic clock
    # (both since the probe's start); trailing_ms turns them into lags once the run's end is known.
    timeline = window.timeline
    shown = {"end": None, "t0": 0, "frames": 0}

    def drawn_until(band) -> int | None:
        if band.generation == band.trace.generation:
            return band.trace.end_ns
        return int(band.trace.segments().end[band.n_seen - 1]) if band.n_seen else None

    item = timeline.segment_item
    paint = item.paint

    def counted_paint(*args) -> None:
        paint(*args)
        trace = window.runner.live_trace()
        if window.runner.running and trace is not None and trace.header and timeline.bands:
            shown["frames"] += 1
            ends = [drawn_until(b) for b in timeline.bands]
            if None not in ends:
                shown["end"], shown["t0"] = min(ends), trace.t0_ns

    item.paint = counted_paint

    def lag_sample() -> tuple[int, int, int] | None:
        trace = window.runner.live_trace()
        if trace is None or shown["end"] is None:
            return None
        return time.monotonic_ns() - shown["t0"], shown["end"], trace.end_ns

    recorder.lag = lag_sample

    def end_of_live(_outcome: object) -> None:
        # The runner's finished signal comes before the views get the whole trace: that is the end of ingest.
        live["wall"] = time.perf_counter() - started
        live["cpu"] = time.process_time() - cpu_started
        live["gaps"] = recorder.stop()
        live["samples"] = list(recorder.samples)
        live["frames"] = shown["frames"]
        recorder.lag = None
        recorder.start()

    window.runner.finished.connect(end_of_live)
    recorder.start()
    started, cpu_started = time.perf_counter(), time.process_time()
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
        f"GUI ingest of {scenario.name!r}: {rate:,.0f} events/s ({events:,} events in "
        f"{trace.end_ns / 1e9:.2f} s of run, {live_wall:.2f} s wall), longest event-loop stall {longest:.1f} ms "
        f"(goal <= {GOAL_MS:g} ms)"
    )
    print(
        f"  live ingest: {_summary(live_gaps)}; {window.runner.updates_emitted} view refreshes "
        f"({window.runner.updates_emitted / live_wall:.1f}/s)"
    )
    print(f"  end of run (metrics, timeline rebuilt with {len(trace):,} segments): {_summary(final_gaps)}")
    lag95, arrival95 = (_p95(values) for values in trailing_ms(live["samples"], trace.end_ns))
    fps = float(live["frames"]) / live_wall
    print(
        f"live view: {fps:.1f} frames/s, lag p95 {lag95:.0f} ms, longest stall {longest:.1f} ms; "
        f"GUI CPU {float(live['cpu']) / live_wall:.0%} of one core; received p95 {arrival95:.0f} ms behind the run "
        f"(goals >= {FPS_GOAL:g} frames/s, lag <= {LAG_GOAL_MS:g} ms, stall <= {GOAL_MS:g} ms)"
    )
    window.close()
    met = longest <= GOAL_MS and fps >= FPS_GOAL and lag95 <= LAG_GOAL_MS
    return 0 if met else 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", help="run this preset under its own model instead of the flood")
    args = parser.parse_args()
    make_app([])
    return qasync.run(bench(args.preset))


if __name__ == "__main__":
    sys.exit(main())
