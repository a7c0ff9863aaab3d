"""The rough edges a new user hits (issue 12), each driven through the real window offscreen.

Same harness as ``test_ui_window.py``: the session ``QApplication``, a fresh ``qasync`` loop per
test, the real probe. Each test names the defect it guards against.
"""

from __future__ import annotations

import asyncio
import os
import platform
import sys

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRect, QRectF, QSettings, Qt
from PySide6.QtGui import QAction, QColor, QFont, QFontMetrics, QFontMetricsF, QKeySequence, QPainter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QCheckBox,
    QLabel,
    QStyle,
    QStyleOptionButton,
    QWidget,
)

from threadloom.engine import InterpreterInfo
from threadloom.scenario import list_presets
from threadloom.ui.help import SHORTCUTS
from threadloom.ui.scheduler import SchedulerView
from threadloom.ui.window import MainWindow
from threadloom.viewmodel.replay import SPEEDS, replay_speed_for
from threadloom.viewmodel.text import metric_ms

from .conftest import drive, group, run, scenario, scenario_text, until
from .test_live_cost import _Counter

pytestmark = pytest.mark.gui


def _settings(tmp_path, name: str = "settings.ini", **values) -> QSettings:
    settings = QSettings(str(tmp_path / name), QSettings.Format.IniFormat)
    for key, value in values.items():
        settings.setValue(key.replace("__", "/"), value)
    settings.sync()
    return settings


@pytest.fixture
def make_window(qapp, loop, tmp_path):
    made: list[MainWindow] = []

    def make(width: int = 1400, height: int = 850, settings: QSettings | None = None) -> MainWindow:
        w = MainWindow(settings=settings if settings is not None else _settings(tmp_path, f"s{len(made)}.ini"))
        w.resize(width, height)
        w.show()
        qapp.processEvents()
        made.append(w)
        return w

    yield make
    for w in made:
        w.runner.stop()
        if w.is_dark():
            w.set_dark(False)
        w.close()
        w.deleteLater()


@pytest.fixture
def window(make_window):
    return make_window()


def _settle(qapp, rounds: int = 3) -> None:
    for _ in range(rounds):
        qapp.processEvents()


# -- 1. the timeline fits the whole run ---------------------------------------------------------


def _covers_run(window: MainWindow, end_ms: float) -> bool:
    x0, x1 = window.timeline.visible_range_ms()
    return x0 <= 0.0 and x1 >= end_ms


def test_after_a_live_run_the_timeline_shows_the_whole_run(window, loop):
    window.select_scenario("io-bound")
    window.set_models(["asyncio"])
    traces = drive(loop, window.run_current())
    end_ms = traces[0].end_ns / 1e6
    drive(loop, until(lambda: _covers_run(window, end_ms), timeout=3))
    assert _covers_run(window, end_ms), (window.timeline.visible_range_ms(), end_ms)


def test_a_finished_run_paints_its_timeline_before_the_other_views_are_shown(window, loop, monkeypatch):
    """The window showed a finished run's timeline, summary, scheduler, code and replay in one turn,
    and Qt painted all of them before the loop turned again: the longest stall at the end of a flood
    (50 to 70 ms). The timeline is shown, and painted, first; the other views a turn later."""
    window.select_scenario("io-bound")
    window.set_models(["asyncio"])
    paints = _Counter(QEvent.Type.Paint)
    viewport = window.timeline.plot_widget.viewport()
    viewport.installEventFilter(paints)
    seen: dict[str, int] = {}
    set_traces, show_metrics = window.timeline.set_traces, window.summary.show_metrics

    def spied_set_traces(traces, labels=None):
        if traces and all(t.complete for t in traces):
            seen["timeline"] = paints.count
        return set_traces(traces, labels)

    def spied_show_metrics(metrics):
        seen["views"] = paints.count
        return show_metrics(metrics)

    monkeypatch.setattr(window.timeline, "set_traces", spied_set_traces)
    monkeypatch.setattr(window.summary, "show_metrics", spied_show_metrics)
    try:
        (trace,) = drive(loop, window.run_current())
    finally:
        viewport.removeEventFilter(paints)
    assert trace.complete
    assert seen["views"] > seen["timeline"], "the other views were shown before the timeline was painted"


def test_view_fit_and_a_double_click_show_the_whole_run_again(window, loop, qapp):
    window.select_scenario("io-bound")
    window.set_models(["asyncio"])
    traces = drive(loop, window.run_current())
    end_ms = traces[0].end_ns / 1e6
    fit = window.fit_action
    assert fit.text().replace("&", "") in [a.text().replace("&", "") for a in window.view_menu.actions()]
    assert fit.shortcuts()
    window.timeline.set_visible_range_ms(10, 12)
    fit.trigger()
    assert _covers_run(window, end_ms)
    window.timeline.set_visible_range_ms(10, 12)
    _settle(qapp)
    # What a mouse sends for a double-click: press, release, double-click, release.
    viewport, point = window.timeline.plot_widget.viewport(), _row_point(window, 0, 11)
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QTest.mouseClick(viewport, left, none, point)
    QTest.mouseDClick(viewport, left, none, point)
    QTest.mouseRelease(viewport, left, none, point)
    _settle(qapp)
    assert _covers_run(window, end_ms)


# -- 2. every shortcut works and is listed -------------------------------------------------------


def _shortcut_actions(window: MainWindow) -> list[QAction]:
    return [a for a in window.findChildren(QAction) if a.shortcuts()]


def _menu_actions(window: MainWindow) -> list[QAction]:
    found: list[QAction] = []

    def walk(actions):
        for action in actions:
            if action.menu() is not None:
                walk(action.menu().actions())
            elif not action.isSeparator():
                found.append(action)

    walk(window.menuBar().actions())
    return found


def test_every_shortcut_is_unique_and_listed_in_the_shortcuts_box(window):
    seen: dict[str, str] = {}
    for action in _shortcut_actions(window):
        for seq in action.shortcuts():
            key = seq.toString(QKeySequence.SequenceFormat.PortableText)
            assert key not in seen, f"{key} is the shortcut of both {seen[key]!r} and {action.text()!r}"
            seen[key] = action.text()
    listed = {part.strip() for keys, _ in SHORTCUTS for part in keys.split(" / ")}
    listed = {QKeySequence(k).toString(QKeySequence.SequenceFormat.PortableText) for k in listed}
    menu = _menu_actions(window)
    assert any(a.shortcuts() for a in menu)
    for action in menu:
        for seq in action.shortcuts():
            key = seq.toString(QKeySequence.SequenceFormat.PortableText)
            assert key in listed, f"{key} ({action.text()}) is missing from the F1 list"


class _ShortcutCatcher(QObject):
    """Takes the shortcut events sent to actions, so that nothing opens or closes while testing keys."""

    def __init__(self) -> None:
        super().__init__()
        self.hits: list[tuple[QAction, bool]] = []

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Shortcut:
            self.hits.append((watched, event.isAmbiguous()))
            return True
        return False


def test_each_menu_shortcut_triggers_its_action(window, qapp):
    catcher = _ShortcutCatcher()
    actions = [a for a in _menu_actions(window) if a.shortcuts()]
    for action in actions:
        action.setEnabled(True)  # Stop, Save, Export are greyed out until there is a run
        action.installEventFilter(catcher)
    window.activateWindow()
    QTest.qWaitForWindowActive(window)
    target = window.timeline.plot_widget
    target.setFocus()
    _settle(qapp)
    failures = []
    for action in actions:
        for seq in action.shortcuts():
            catcher.hits.clear()
            combo = seq[0]
            QTest.keyClick(target, combo.key(), combo.keyboardModifiers())
            if catcher.hits != [(action, False)]:
                got = [(a.text(), ambiguous) for a, ambiguous in catcher.hits]
                failures.append(f"{seq.toString()} for {action.text()!r}: got {got}")
    for action in actions:
        action.removeEventFilter(catcher)
    assert not failures, "\n".join(failures)


# -- 3. the dark theme keeps the Run panel whole and its controls visible ---------------------------

LONG_INTERPRETER = InterpreterInfo(
    "/home/someone/.local/share/pyenv/versions/3.13.1t/bin/python3.13t", "3.13.1", "CPython 3.13.1 free-threaded", True
)


def test_the_run_panel_keeps_its_width_when_the_theme_is_toggled(window, qapp):
    # Discovery lists interpreters with long paths after the window is shown.
    window.controls.add_interpreter(LONG_INTERPRETER)
    _settle(qapp)
    before = window.controls_dock.width(), window.controls.width()
    for dark in (True, False, True, False):
        window.set_dark(dark)
        _settle(qapp)
    assert (window.controls_dock.width(), window.controls.width()) == before
    viewport = window.controls.parentWidget()
    assert window.controls.width() <= viewport.width()
    assert window.controls.run_button.isVisible() and window.controls.stop_button.isVisible()


def _luminance(c: QColor) -> float:
    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())


def _contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _best_contrast(widget: QWidget, rect) -> float:
    """The highest contrast of a pixel in ``rect`` against the widget's top left pixel (its background)."""
    image = widget.grab().toImage()
    background = image.pixelColor(0, 0)
    ratio = 1.0
    for x in range(max(rect.left(), 0), min(rect.right() + 1, image.width())):
        for y in range(max(rect.top(), 0), min(rect.bottom() + 1, image.height())):
            ratio = max(ratio, _contrast(image.pixelColor(x, y), background))
    return ratio


def test_dark_checkboxes_and_the_play_button_stand_out(window, qapp):
    window.set_dark(True)
    _settle(qapp)
    check: QCheckBox = next(c for c in window.controls.model_checks.values() if not c.isChecked())
    option = QStyleOptionButton()
    check.initStyleOption(option)
    indicator = check.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, check)
    assert indicator.top() > 0  # the top left pixel is background
    # WCAG 1.4.11: the parts of a control one needs to see have a contrast of 3:1 at least.
    assert _best_contrast(check, indicator) >= 3.0
    button = window.replay_bar.play_button
    assert _best_contrast(button, button.rect()) >= 3.0


# -- 4. the window fits 1280x720 and 1024x700 ------------------------------------------------------


def _laid_out_problems(window: MainWindow) -> list[str]:
    """Visible widgets cut by their parent, or laid out over a sibling."""
    problems = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or widget.isWindow() or widget.width() <= 0:
            continue
        parent = widget.parentWidget()
        # Inside a scroll area, content may extend beyond the viewport: that is what scrolling is for.
        if any(isinstance(a, QAbstractScrollArea) for a in _ancestors(widget)):
            continue
        geometry = widget.geometry()
        if parent is not None and not parent.rect().contains(geometry):
            problems.append(f"{_name(widget)} {geometry} is cut by {_name(parent)} {parent.rect()}")
        if isinstance(widget, (QLabel, QAbstractButton)) and widget.width() < widget.minimumSizeHint().width():
            problems.append(f"{_name(widget)} is {widget.width()} px wide, needs {widget.minimumSizeHint().width()}")
        layout = widget.layout()
        if layout is None:
            continue
        laid = [
            item.widget()
            for item in (layout.itemAt(i) for i in range(layout.count()))
            if item.widget() is not None and item.widget().isVisible()
        ]
        for i, a in enumerate(laid):
            for b in laid[i + 1 :]:
                if a.geometry().intersects(b.geometry()):
                    problems.append(f"{_name(a)} overlaps {_name(b)}")
    docks = [d for d in (window.controls_dock, window.scheduler_dock, window.summary_dock) if d.isVisible()]
    areas = [*docks, window.centralWidget()]
    for i, a in enumerate(areas):
        for b in areas[i + 1 :]:
            if a.geometry().intersects(b.geometry()):
                problems.append(f"{_name(a)} overlaps {_name(b)}")
    return problems


def _ancestors(widget: QWidget):
    parent = widget.parentWidget()
    while parent is not None:
        yield parent
        parent = parent.parentWidget()


def _name(widget: QWidget) -> str:
    text = widget.text() if hasattr(widget, "text") and callable(widget.text) else ""
    return f"{type(widget).__name__}({widget.objectName() or text!s:.30})"


def test_the_window_can_be_as_narrow_as_1024_px(window):
    assert window.minimumSizeHint().width() <= 1024
    assert window.minimumSize().width() <= 1024


@pytest.mark.parametrize("size", [(1280, 720), (1024, 700)])
def test_the_window_lays_out_without_cuts_or_overlaps(make_window, qapp, loop, size):
    window = make_window(*size)
    _settle(qapp)
    assert (window.width(), window.height()) == size
    assert _laid_out_problems(window) == []
    window.select_scenario("io-bound")
    window.set_models(["asyncio"])
    drive(loop, window.run_current())
    _settle(qapp)
    assert (window.width(), window.height()) == size
    assert _laid_out_problems(window) == []
    # Every summary tile is on screen, whole.
    strip = window.summary
    for tile in strip.tiles():
        assert tile.isVisible() and strip.rect().contains(tile.geometry()), tile.caption.text()
    # Each area keeps room to be used.
    assert window.timeline.plot_widget.width() >= 300 and window.timeline.plot_widget.height() >= 200
    assert window.scheduler.width() >= 240 and window.controls.run_button.isVisible()


# -- 7. a click on a row jumps there ----------------------------------------------------------------


def _row_point(window: MainWindow, row: int, ms: float) -> QPoint:
    timeline = window.timeline
    r = timeline.rows[row]
    scene = timeline.view_box.mapViewToScene(QPointF(ms, r.top + r.height / 2))
    return timeline.plot_widget.mapFromScene(scene)


def test_a_click_on_a_row_moves_the_replay_there(window, loop, qapp):
    window.select_scenario("io-bound")
    window.set_models(["asyncio"])
    traces = drive(loop, window.run_current())
    end_ms = traces[0].end_ns / 1e6
    window.timeline.fit_time()
    _settle(qapp)
    task_row = next(i for i, r in enumerate(window.timeline.rows) if r.label == "fetch-3")
    target = end_ms * 0.4
    QTest.mouseClick(
        window.timeline.plot_widget.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        _row_point(window, task_row, target),
    )
    _settle(qapp)
    pixel_ms = window.timeline.view_box.viewPixelSize()[0]
    assert window.replay_time_ms() == pytest.approx(target, abs=3 * pixel_ms)
    assert window.timeline.cursor_ms() == pytest.approx(target, abs=3 * pixel_ms)


# -- 8. the first screen ------------------------------------------------------------------------------


def test_the_first_screen_ticks_the_presets_own_model(window):
    scenario = window.controls.current_scenario()
    assert scenario is not None and scenario.model
    assert window.controls.selected_models() == [scenario.model]


def test_each_preset_ticks_its_own_models_and_says_so(window):
    """A preset's model, and the ones it is meant to be compared with; the next preset replaces them."""
    window.set_models(["threads"])
    for preset in list_presets():
        before = window.controls.selected_models()
        window.select_scenario(preset.key)
        model = preset.scenario.model
        if model:
            wanted = [model, *preset.scenario.compare_with]
            assert sorted(window.controls.selected_models()) == sorted(wanted), preset.key
            if sorted(before) != sorted(wanted):
                assert f"Models set to {', '.join(wanted)} by the preset" in window.status_message()
            else:
                assert "Models set to" not in window.status_message()


def test_a_preset_meant_for_a_comparison_ticks_both_models(window):
    window.set_models(["threads"])
    window.select_scenario("pickling-cost")
    assert sorted(window.controls.selected_models()) == ["process-pool", "thread-pool"]
    assert "Models set to process-pool, thread-pool by the preset" in window.status_message()
    window.select_scenario("convoy")  # the preset's pair is not a comparison the user set up
    assert window.controls.selected_models() == ["threads"]


def test_a_comparison_the_user_set_up_is_kept_and_that_is_said(window):
    window.set_models(["threads", "sequential"])
    window.select_scenario("blocking-in-loop")
    assert window.controls.selected_models() == ["threads", "sequential"]
    assert "comparison (threads, sequential) is kept" in window.status_message()
    assert "meant for asyncio" in window.status_message()


def test_the_empty_timeline_says_what_to_do_instead_of_showing_axes(window, loop):
    timeline = window.timeline
    assert timeline.placeholder_text()
    assert "Ctrl+R" in timeline.placeholder_text()
    plot = timeline.plot_widget.getPlotItem()
    assert not plot.getAxis("bottom").isVisible() and not plot.getAxis("left").isVisible()
    assert "Run" in window.status_message() and "Ctrl+R" in window.status_message()
    window.select_scenario("io-bound")
    window.set_models(["asyncio"])
    drive(loop, window.run_current())
    assert not timeline.placeholder_text()
    assert plot.getAxis("bottom").isVisible() and plot.getAxis("left").isVisible()


@pytest.mark.parametrize("duration_ms", [0.5, 3.0, 170.0, 2_000.0, 60_000.0])
def test_the_automatic_replay_speed_makes_a_replay_of_a_few_seconds(duration_ms):
    speed = replay_speed_for(duration_ms)
    assert speed in SPEEDS
    seconds = duration_ms / 1000 / speed
    assert seconds <= 40 or speed == max(SPEEDS)
    assert seconds >= 4 or speed == min(SPEEDS)


def test_the_replay_speed_suits_the_run(window, loop):
    window.select_scenario("io-bound")
    window.set_models(["asyncio"])
    traces = drive(loop, window.run_current())
    assert window.replay.clock.speed == replay_speed_for(traces[0].end_ns / 1e6)
    # A speed the user picks stays.
    window.replay_bar.speed_box.setCurrentIndex(0)
    chosen = window.replay.clock.speed
    drive(loop, window.run_current())
    assert window.replay.clock.speed == chosen


def test_a_source_install_names_its_python(window):
    first = window.controls.interpreter_box.itemText(0)
    if getattr(sys, "frozen", False):
        assert "bundled" in first.lower()
    else:
        assert "bundled" not in first.lower()
        assert platform.python_version() in first


def test_a_last_scenario_that_is_gone_is_a_calm_note(make_window, tmp_path):
    gone = str(tmp_path / "deleted-since.toml")
    window = make_window(settings=_settings(tmp_path, "gone.ini", controls__scenario=gone))
    message = window.status_message()
    assert "deleted-since.toml" in message
    assert window.controls.current_scenario() is not None
    assert not window.status_is_error()  # not coloured as an error
    assert "Ctrl+R" in message


# -- 9. the compare view with six runs: every row readable, band titles whole ---------------------------

SIX_MODELS = ["threads", "thread-pool", "asyncio", "sequential", "process-pool", "asyncio-offload"]
SMALL_MIXED = scenario_text(
    group("crunch", count=2, cpu=20),
    group("chatty", count=4, repeat=2, steps=[("net", 1), ("io", 2)]),
    name="six runs",
    switch_interval_ms=1,
)


@pytest.fixture(scope="module")
def six_runs():
    """The same small scenario under six models, run once for the module: (traces, labels)."""
    traces = [run(SMALL_MIXED, model)[0] for model in SIX_MODELS]
    return traces, list(SIX_MODELS)


@pytest.mark.parametrize("size", [(1600, 900), (1024, 700)])
def test_six_runs_keep_every_row_readable_and_every_band_title_whole(make_window, qapp, six_runs, size):
    window = make_window(*size)
    traces, labels = six_runs
    window.set_models(SIX_MODELS)
    window.show_traces(traces, labels)
    _settle(qapp, 6)
    timeline = window.timeline
    timeline.plot_widget.grab()  # one paint: the row axis records the labels it drew
    axis = timeline.row_axis
    line = QFontMetrics(axis.style["tickFont"] or QFont()).height()
    y0, y1 = timeline.view_box.viewRange()[1]
    px_per_row = timeline.view_box.height() / (y1 - y0)
    # A row is at least a line of its label's text tall: labels neither touch nor are dropped.
    assert px_per_row >= line, (px_per_row, line)
    assert timeline.rows_scrollbar.isVisible(), "six bands do not fit: the rows scroll rather than squeeze"
    on_screen = [r.label for r in timeline.rows if y0 <= r.top and r.top + r.height <= y1]
    assert [label for label in on_screen if label not in axis.drawn_labels] == []
    bold = QFont(axis.style["tickFont"] or QFont())
    bold.setBold(True)
    widest = max(QFontMetrics(bold).horizontalAdvance(r.label) for r in timeline.rows)
    assert axis.width() >= widest, "row labels are cut by the axis"
    for trace, item in zip(traces, timeline.subtitle_items(), strict=True):
        assert item.textItem.toPlainText().startswith(f"makespan {metric_ms(trace.end_ns / 1e6)}")


# -- 10. summary cards keep their width while a run is live ---------------------------------------------


def test_summary_tiles_keep_their_width_while_a_run_is_live(window, loop, qapp):
    window.select_scenario(scenario(LIVE_TEXT, "live.toml"))
    window.set_models(["thread-pool"])
    strip = window.summary
    widths: list[tuple[int, ...]] = []

    def record() -> None:
        # Lay the strip out as it would be before the next frame, then note each tile's width.
        qapp.sendPostedEvents()
        widths.append(tuple(tile.width() for tile in strip.tiles()))

    window.runner.liveUpdate.connect(record)
    try:
        drive(loop, window.run_current())
    finally:
        window.runner.liveUpdate.disconnect(record)
    assert len(widths) >= 3, "the run was too short to update the summary live"
    changed = {
        tile.caption.text(): sorted({w[i] for w in widths})
        for i, tile in enumerate(strip.tiles())
        if len({w[i] for w in widths}) > 1
    }
    assert changed == {}, f"tiles changed width while live: {changed}"


#: Long enough for several live updates with changing figures: two crunchers and chatty round trips in a pool of 2.
LIVE_TEXT = scenario_text(
    group("crunch", count=2, cpu=150),
    group("chatty", count=6, repeat=8, steps=[("net", 1), ("io", 3)]),
    name="live widths",
    switch_interval_ms=1,
    pool_size=2,
)


# -- 10. scheduler texts fit the space they are drawn in --------------------------------------------------


class _TextChecker:
    """Wraps ``QPainter.drawText`` while installed: notes every text the scheduler view draws beyond its room.

    A text is cut when it needs more than the rectangle it is drawn in, runs past the view's right edge,
    or past the clip of the band it belongs to.
    """

    def __init__(self) -> None:
        self.cut: dict[str, str] = {}
        self._orig = QPainter.drawText

    def __call__(self, painter: QPainter, *args) -> None:
        self._orig(painter, *args)
        device = painter.device()
        if not isinstance(device, SchedulerView):
            return
        fm = QFontMetricsF(painter.font())
        right = device.width() - 2
        clip = painter.clipBoundingRect() if painter.hasClipping() else QRectF(device.rect())
        if len(args) >= 2 and isinstance(args[0], (QRectF, QRect)) and isinstance(args[-1], str):
            rect, text = QRectF(args[0]), args[-1]
            flags = int(args[1]) if len(args) == 3 else 0
            if not text.strip():
                return
            need = fm.boundingRect(rect, flags, text)
            if need.width() > rect.width() + 0.5 or need.height() > rect.height() + 1.5:
                self.cut.setdefault(
                    text, f"needs {need.width():.0f}x{need.height():.0f} in {rect.width():.0f}x{rect.height():.0f}"
                )
            elif need.right() > right + 0.5 or need.bottom() > clip.bottom() + 1.5:
                self.cut.setdefault(
                    text, f"ends at {need.right():.0f},{need.bottom():.0f}; room to {right},{clip.bottom():.0f}"
                )
        elif len(args) == 2 and isinstance(args[0], (QPointF, QPoint)) and isinstance(args[1], str):
            end = QPointF(args[0]).x() + fm.horizontalAdvance(args[1])
            if end > right + 0.5:
                self.cut.setdefault(args[1], f"ends at {end:.0f}; room to {right}")


SCHEDULER_PRESETS = [("io-bound", "asyncio"), ("pool-starvation", "thread-pool"), ("convoy", "threads")]


@pytest.mark.parametrize("size", [(1600, 900), (1024, 700)])
def test_scheduler_texts_fit_live_in_replay_and_stopped(make_window, qapp, loop, monkeypatch, size):
    window = make_window(*size)
    checker = _TextChecker()
    # A function, not the checker itself: only a function becomes a method, called with the painter.
    monkeypatch.setattr(QPainter, "drawText", lambda painter, *args: checker(painter, *args))
    seen: dict[str, dict[str, str]] = {}

    async def scenario_runs() -> None:
        for preset, model in SCHEDULER_PRESETS:
            window.select_scenario(preset)
            window.set_models([model])
            task = asyncio.ensure_future(window.run_current())
            while not task.done():
                await asyncio.sleep(0.1)
                window.scheduler.grab()  # live
            traces = await task
            end = traces[0].end_ns / 1e6
            for fraction in (0.05, 0.3, 0.5, 0.8, 1.0):
                window.set_replay_time(end * fraction)
                window.scheduler.grab()  # replay
            seen[preset], checker.cut = checker.cut, {}
        # Stopped: a run cut short keeps what it has, and is described the same way.
        window.select_scenario("mixed")
        window.set_models(["thread-pool"])
        task = asyncio.ensure_future(window.run_current())
        await until(lambda: window.runner.live_trace() is not None and window.runner.live_trace().end_ns > 100e6)
        window.stop_run()
        traces = await task
        for fraction in (0.2, 0.6, 1.0):
            window.set_replay_time(traces[0].end_ns / 1e6 * fraction)
            window.scheduler.grab()
        seen["mixed, stopped"] = checker.cut

    drive(loop, scenario_runs(), timeout=120)
    cut = {preset: texts for preset, texts in seen.items() if texts}
    assert cut == {}, cut


# -- 10. the window shrinks back after a wide comparison --------------------------------------------------


def test_the_window_shrinks_back_to_1024_px_after_a_wide_comparison(make_window, qapp, six_runs):
    window = make_window(1600, 900)
    traces, labels = six_runs
    wide = [f"{label} · a long label, as a saved run may carry" for label in labels]
    window.show_traces(traces[:2], wide[:2])
    window.centre_tabs.setCurrentWidget(window.code_view)  # the programs side by side, with their labels
    _settle(qapp)
    window.centre_tabs.setCurrentIndex(0)
    window.show_traces(traces[:1], labels[:1])
    _settle(qapp)
    assert window.minimumSizeHint().width() <= 1024
    assert window.minimumSize().width() <= 1024
    window.resize(1024, 700)
    _settle(qapp)
    assert window.width() == 1024
