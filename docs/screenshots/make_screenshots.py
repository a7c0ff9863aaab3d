"""Take the README's screenshots from the real app, offscreen: live, after, replay, compare, light and dark,
at 1600x900 and 1024x700,
and docs/how-it-measures.md's convoy hand-offs (``--gil`` takes only that one).

    QT_QPA_PLATFORM=offscreen python docs/screenshots/make_screenshots.py [OUTDIR] [--gil]
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings

import qasync  # isort: skip
import numpy as np

from threadloom.model import STATES
from threadloom.ui.app import make_app
from threadloom.ui.window import MainWindow

SIZE = (1600, 900)
SMALL = (1024, 700)


def _interesting_instant(trace, waiter_group: str) -> float:
    """A moment where one task holds the GIL and a task of ``waiter_group`` has been ready a while."""
    seg = trace.segments()
    ready, running = STATES.index("ready"), STATES.index("running")
    waiters = {t.id for t in trace.tasks if t.group == waiter_group}
    best, best_score = trace.end_ns / 2, (False, 0)
    for i in np.nonzero((seg.state == ready) & np.isin(seg.task, list(waiters)))[0]:
        length = int(seg.end[i] - seg.start[i])
        for frac in (0.5, 0.6, 0.7, 0.8, 0.9):
            t = int(seg.start[i] + frac * length)
            holders = (seg.state == running) & (seg.start <= t) & (seg.end > t)
            score = (bool(holders.sum() == 1), int(frac * length))
            if score > best_score:
                best, best_score = t, score
    return best / 1e6


async def _settle(seconds: float = 0.4) -> None:
    await asyncio.sleep(seconds)


def _handoff_window(trace, width_ms: float = 30.0) -> float:
    """Where a ``width_ms`` window holds the most replies that cut the cruncher's running short.

    A cut is a ``ready`` of the cruncher shorter than the gap threshold: GIL exclusion put it
    there, where the chatty thread held the GIL for microseconds.
    """
    seg = trace.segments()
    crunch = np.isin(seg.task, [t.id for t in trace.tasks if t.group == "crunch"])
    gap = int(trace.header.get("gap_threshold_ns", 200_000))
    cut = crunch & (seg.state == STATES.index("ready")) & (seg.end - seg.start < gap)
    times = np.sort(seg.start[cut]) / 1e6
    if not len(times):
        return 0.0
    counts = np.searchsorted(times, times + width_ms) - np.arange(len(times))
    k = int(np.argmax(counts))
    return max(0.0, float(times[k]) - 1.0)


async def shoot_gil_handoffs(w: MainWindow, out: Path) -> Path:
    """The convoy at a 5 ms switch interval, 30 ms of it: each reply takes the GIL for microseconds."""
    w.select_scenario("convoy")
    w.set_models(["threads"])
    traces = await w.run_current()
    x = _handoff_window(traces[0])
    w.timeline.set_visible_range_ms(x, x + 30.0)
    w.set_replay_time(x + 15.0)
    await _settle(2.0)  # the summary is computed off the GUI thread
    path = out / "convoy-gil-handoffs.png"
    w.grab().save(str(path))
    return path


async def shoot_live(w: MainWindow, path: Path, at_ms: float = 230.0) -> None:
    """A thread pool serving requests, its queue, workers and the GIL, mid-run; the run is then finished."""
    w.select_scenario("mixed")
    w.set_models(["thread-pool"])
    run = asyncio.ensure_future(w.run_current())
    while not (w.runner.live_trace() and w.runner.live_trace().end_ns > at_ms * 1e6):
        await asyncio.sleep(0.01)
    await _settle(0.15)
    w.grab().save(str(path))
    await run


async def _window() -> MainWindow:
    settings = QSettings(os.path.join(tempfile.mkdtemp(), "shots.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=settings)
    w.resize(*SIZE)
    w.show()
    await _settle()
    return w


async def shoot_gil_only(out: Path) -> None:
    w = await _window()
    await shoot_gil_handoffs(w, out)
    w.close()


async def shoot(out: Path) -> None:
    w = await _window()

    # During a run: a thread pool serving requests, its queue, workers and the GIL, live.
    await shoot_live(w, out / "window-live.png")

    # After a run: sixteen slow calls through a pool of two.
    w.select_scenario("pool-starvation")
    w.set_models(["thread-pool"])
    traces = await w.run_current()
    w.set_replay_time(traces[0].end_ns / 1e6 * 0.45)
    await _settle()
    w.grab().save(str(out / "window-after.png"))

    # Replay: the convoy, at a moment the chatty thread waits for the GIL held by the cruncher.
    w.select_scenario("convoy")
    w.set_models(["threads"])
    traces = await w.run_current()
    t = _interesting_instant(traces[0], "chatty")
    w.timeline.set_visible_range_ms(max(0.0, t - 24), t + 8)
    w.set_replay_time(t)
    await _settle()
    w.grab().save(str(out / "window-replay.png"))
    await shoot_gil_handoffs(w, out)

    # Compare: sixteen slow calls through a pool of two, then of eight.
    w.select_scenario("pool-starvation")
    w.set_models(["thread-pool"])
    w.controls.variant.setChecked(True)
    w.controls.variant_switch.set_value(w.controls.switch.value())
    w.controls.variant_pool.setValue(8)
    traces = await w.run_current()
    w.set_replay_time(traces[0].end_ns / 1e6 * 0.4)
    await _settle()
    w.grab().save(str(out / "window-compare.png"))

    # The dark palette: a blocking call freezes every coroutine on the loop.
    w.controls.variant.setChecked(False)
    w.set_dark(True)
    w.select_scenario("blocking-in-loop")
    w.set_models(["asyncio"])
    traces = await w.run_current()
    w.set_replay_time(traces[0].end_ns / 1e6 * 0.3)
    await _settle()
    w.grab().save(str(out / "window-dark.png"))
    await shoot_live(w, out / "window-live-dark.png")

    # A small screen, 1024x700, in a window opened at that size: the docks shrink and the summary
    # wraps; light, then dark.
    w.set_dark(False)
    w.close()
    small = QSettings(os.path.join(tempfile.mkdtemp(), "small.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=small)
    w.resize(*SMALL)
    w.show()
    await _settle()
    await shoot_live(w, out / "window-small-live.png")
    w.select_scenario("pool-starvation")
    w.set_models(["thread-pool"])
    traces = await w.run_current()
    w.set_replay_time(traces[0].end_ns / 1e6 * 0.45)
    await _settle()
    w.grab().save(str(out / "window-small.png"))
    w.set_dark(True)
    await _settle()
    w.grab().save(str(out / "window-small-dark.png"))
    await shoot_live(w, out / "window-small-live-dark.png")
    w.set_dark(False)
    w.close()


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "--gil"]
    gil_only = len(args) < len(sys.argv) - 1
    out = Path(args[0]) if args else Path(__file__).resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    app = make_app([])
    app.setQuitOnLastWindowClosed(False)
    qasync.run(shoot_gil_only(out) if gil_only else shoot(out))
    names = (
        []
        if gil_only
        else [
            f"window-{name}.png"
            for name in (
                "live",
                "after",
                "replay",
                "compare",
                "dark",
                "live-dark",
                "small-live",
                "small",
                "small-dark",
                "small-live-dark",
            )
        ]
    )
    for name in [*names, "convoy-gil-handoffs.png"]:
        print(f"Wrote {out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
