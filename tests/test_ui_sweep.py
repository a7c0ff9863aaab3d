"""The sweep and cost pages driven as a user would: offscreen, the real qasync loop, the real probe."""

from __future__ import annotations

import asyncio
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings

from threadloom.engine.cost import CostRequest
from threadloom.export.savefile import runs_from_bytes
from threadloom.export.sweep_export import sweep_to_bytes
from threadloom.scenario import parse_scenario
from threadloom.ui.window import MainWindow

from .conftest import drive, group, scenario_text, until

pytestmark = pytest.mark.gui

WAITS = scenario_text(group("wait", count=4, io=30), name="four waits")


@pytest.fixture
def window(qapp, loop, tmp_path):
    w = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    w.resize(1400, 850)
    w.show()
    yield w
    w.experiments.stop()
    w.runner.stop()
    w.close()
    w.deleteLater()


def test_a_sweep_runs_plots_and_a_click_opens_the_run(window, loop):
    window.select_scenario(parse_scenario(WAITS, "waits.toml"))
    page = window.experiments.show_sweep_page()
    assert page.scenario is not None and page.scenario.name == "four waits"
    page.set_choices("pool-size", "1,4", ["thread-pool", "asyncio"], 1)

    async def scenario():
        task = asyncio.ensure_future(page.run_sweep())
        # The loop stays free while the sweep runs: the progress line names the point and counts down.
        await until(lambda: page.sweep is not None and len(page.sweep.points) >= 1, step=0.02)
        await until(lambda: "left" in page.status.text() or task.done(), step=0.02)
        return await task

    sweep = drive(loop, scenario(), 60)
    assert sweep.complete and len(sweep.points) == 4
    assert [c.model for c in page.plot.curves] == ["thread-pool", "asyncio"]
    assert "makespan" in page.plot.title.text() and page.progress.value() == 4
    assert page.metric_box.currentText() == "makespan_ms" and page.metric_box.count() > 5
    page.set_metric("queued_ms")
    assert "queued" in page.plot.title.text()
    page.plot.click_point(0, 0)  # thread-pool at pool size 1
    shown = window.current_traces()
    assert len(shown) == 1 and shown[0] is sweep.points[0].trace
    assert "pool-size = 1" in window.current_labels()[0]
    assert window.replay.clock.duration_ms == pytest.approx(shown[0].end_ns / 1e6)


def test_cancel_stops_at_once_and_keeps_the_points_and_a_saved_sweep_reopens(window, loop):
    window.select_scenario(parse_scenario(scenario_text(group("wait", count=2, io=400), name="slow"), "slow.toml"))
    page = window.experiments.show_sweep_page()
    page.set_choices("count:wait", "1,2,3,4", ["threads"], 1)

    async def scenario():
        task = asyncio.ensure_future(page.run_sweep())
        await until(lambda: page.sweep is not None and len(page.sweep.points) == 2, step=0.02)
        await until(lambda: page.runner is not None and page.runner.pids(), step=0.02)
        started = loop.time()
        page.cancel()
        sweep = await task
        return sweep, loop.time() - started

    sweep, took = drive(loop, scenario(), 60)
    assert took < 2.0 and sweep.stopped and not sweep.complete
    assert [p.value for p in sweep.points] == [1, 2] and all(p.trace.complete for p in sweep.points)
    assert "Cancelled: 2 of 4" in page.status.text() and page.run_button.isEnabled()

    saved = runs_from_bytes(sweep_to_bytes(sweep), "slow.tlrun")
    window.file_actions.show_saved(saved)
    again = window.experiments.sweep_page
    assert again.sweep is not None and len(again.sweep.points) == 2 and again.plot.curves
    assert "stopped" in again.plot.title.text()


def test_bad_choices_say_so_on_the_page(window, loop):
    window.select_scenario(parse_scenario(WAITS, "waits.toml"))
    page = window.experiments.show_sweep_page()
    page.set_choices("count:nope", "1", ["threads"], 1)
    assert drive(loop, page.run_sweep(), 60) is None
    assert "no group 'nope'" in page.status.text()


def test_the_cost_page_measures_and_draws(window, loop):
    page = window.experiments.show_cost_page()
    request = CostRequest(None, (1, 20), (1, 50), (1,), 0.02, ("thread-queue", "coroutine-queue"))
    report = drive(loop, page.measure(request), 60)
    assert report.complete and page.switches.rowCount() == 2
    assert "asyncio Task" in page.headline.text()
    assert len(page.memory_plot.plotItem.listDataItems()) == 3
