"""Pictures (PNG, SVG, PDF) show a real timeline at exactly the size asked; the app saves, opens and drops runs."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QMessageBox

from threadloom.export.savefile import load_runs, save_runs
from threadloom.model import compute_metrics
from threadloom.ui.palette import STATE_COLORS_LIGHT
from threadloom.ui.render import render_bytes, render_runs
from threadloom.ui.window import MainWindow

from .conftest import MIXED_TEXT as TEXT

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def trace(mixed_run):
    return mixed_run[0]


def _pixels(image: QImage) -> np.ndarray:
    """RGB pixels as an (h, w) array of 0xRRGGBB ints."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    raw = np.frombuffer(image.constBits(), dtype=np.uint32, count=image.width() * image.height())
    return (raw.reshape(image.height(), image.width()) & 0xFFFFFF).copy()


def _state_pixels(pixels: np.ndarray, tolerance: int = 0) -> dict[str, int]:
    """How many pixels carry each state's colour (within ``tolerance`` per channel)."""
    r, g, b = (pixels >> 16) & 255, (pixels >> 8) & 255, pixels & 255
    out = {}
    for state, color in STATE_COLORS_LIGHT.items():
        value = int(color[1:], 16)
        cr, cg, cb = value >> 16, (value >> 8) & 255, value & 255
        close = (abs(r - cr) <= tolerance) & (abs(g - cg) <= tolerance) & (abs(b - cb) <= tolerance)
        out[state] = int(close.sum())
    return out


def _assert_real_timeline(pixels: np.ndarray, tolerance: int = 0) -> None:
    # The caption's legend also holds every state colour, but only in small swatches: look above it.
    body = pixels[: int(pixels.shape[0] * 0.8)]
    assert len(np.unique(body)) >= 12, "the picture is blank or nearly one colour"
    counts = _state_pixels(body, tolerance)
    # This scenario runs Python, waits in the pool's queue and does I/O: each covers a visible area.
    assert counts["running"] > 2000, counts
    for state in ("queued", "io"):
        assert counts[state] > 300, counts


def test_window_png_is_exactly_the_size_asked_and_shows_the_timeline(qapp, trace):
    data = render_runs([trace], ["thread-pool"], "png", (1600, 900), window_class=MainWindow)
    image = QImage.fromData(data, "PNG")
    assert (image.width(), image.height()) == (1600, 900)
    _assert_real_timeline(_pixels(image))
    other = QImage.fromData(render_runs([trace], ["pool"], "png", (1000, 700), view="timeline", at_ms=20), "PNG")
    assert (other.width(), other.height()) == (1000, 700)
    _assert_real_timeline(_pixels(other))


def test_timeline_svg_parses_and_holds_the_segments(qapp, trace):
    root = ET.fromstring(render_runs([trace, trace], ["pool", "again"], "svg", (1600, 900), view="timeline"))
    assert root.tag.endswith("svg") and root.get("viewBox") == "0 0 1600 900"
    fills = [e.get("fill", "") for e in root.iter()]
    shapes = [e for e in root.iter() if e.tag.split("}")[1] in ("rect", "path", "polygon")]
    assert len(shapes) >= 50
    for state in ("running", "queued", "io"):
        assert any(STATE_COLORS_LIGHT[state].lower() == f.lower() for f in fills), state
    texts = " ".join(e.text or "" for e in root.iter() if e.tag.endswith("text"))
    assert "export test" in texts and "pool" in texts


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_window_pdf_renders_to_a_real_timeline(qapp, trace, tmp_path):
    pdf = tmp_path / "window.pdf"
    pdf.write_bytes(render_runs([trace], ["thread-pool"], "pdf", (1600, 900), window_class=MainWindow))
    subprocess.run(
        ["pdftoppm", "-r", "96", "-png", "-singlefile", str(pdf), str(tmp_path / "page")], check=True, timeout=60
    )
    image = QImage(str(tmp_path / "page.png"))
    assert abs(image.width() - 1600) <= 2 and abs(image.height() - 900) <= 2
    _assert_real_timeline(_pixels(image), tolerance=6)


def test_the_app_opens_saves_exports_and_takes_dropped_runs(qapp, trace, tmp_path):
    from PySide6.QtCore import QSettings

    from threadloom.ui.file_actions import PictureDialog, open_on_start

    saved_path = tmp_path / "in.tlrun"
    save_runs(saved_path, [trace, trace], TEXT, ["first", "second"])
    open_on_start(load_runs(saved_path))
    window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window.show()  # offscreen: shown as the app shows it, without a display
    try:
        for _ in range(5):
            qapp.processEvents()
        actions = window.file_actions
        # `threadloom open` handed the file over before the window existed: it is shown, in replay, at the end.
        assert window.current_labels() == ["first", "second"]
        assert window.replay_time_ms() == pytest.approx(trace.end_ns / 1e6)
        assert "nothing was run" in window.status_message().lower()
        assert actions.scenario_text() == TEXT

        texts = [a.text() for a in window.file_menu.actions() if a.text()]
        for text in ("Save run…", "Open &run…", "Export &picture…", "Export &trace (Perfetto JSON)…", "Export &CSV…"):
            assert text.replace("&", "") in [t.replace("&", "") for t in texts], texts
        assert texts[-1].replace("&", "") == "Quit"
        dialog = PictureDialog(window, {v: actions.view_widget(v).size() for v in ("window", "timeline", "scheduler")})
        assert "As shown" in dialog.size.itemText(0) and dialog.choice() == ("window", None, "png")
        dialog.view.setCurrentIndex(1)
        dialog.size.setCurrentIndex(dialog.size.count() - 1)
        dialog.width_box.setValue(800)
        dialog.height_box.setValue(500)
        dialog.format.setCurrentIndex(1)
        assert dialog.choice() == ("timeline", (800, 500), "svg")
        dialog.deleteLater()

        out = tmp_path / "again.tlrun"
        actions.save_to(out)
        again = load_runs(out)
        assert again.labels == ["first", "second"] and again.scenario_text == TEXT
        assert compute_metrics(again.traces[1]).to_json() == compute_metrics(trace).to_json()

        actions.picture_to(tmp_path / "shown.png", "timeline")
        shown = QImage(str(tmp_path / "shown.png"))
        assert shown.width() == window.timeline.width() and shown.height() > window.timeline.height()
        palette = QApplication.palette().window().color().name()
        actions.picture_to(tmp_path / "sized.png", "window", (1280, 720))
        assert QImage(str(tmp_path / "sized.png")).size().toTuple() == (1280, 720)
        assert QApplication.palette().window().color().name() == palette  # the copy left the app's theme alone
        actions.picture_to(tmp_path / "sized.svg", "scheduler", (900, 600))
        assert ET.parse(tmp_path / "sized.svg").getroot().get("viewBox") == "0 0 900 600"
        actions.trace_to(tmp_path / "t.json")
        actions.csv_to(tmp_path / "t.csv")
        assert (tmp_path / "t.json").stat().st_size > 1000 and (tmp_path / "t.csv").stat().st_size > 1000
        actions.copy_picture()
        assert QGuiApplication.clipboard().image().width() == window.width()

        # A tampered file dropped on the window: refused in one line, the runs shown stay.
        bad = tmp_path / "bad.tlrun"
        bad.write_bytes(saved_path.read_bytes()[:-40])
        _drop(window, bad)
        assert "truncated" in window.status_message() and "bad.tlrun" in window.status_message()
        assert window.current_labels() == ["first", "second"]
        boxes = [w for w in window.findChildren(QMessageBox) if w.isVisible()]
        assert boxes and "truncated" in boxes[0].text()
        for box in boxes:
            box.close()
        # A good one dropped replaces them.
        save_runs(tmp_path / "one.tlrun", [trace], TEXT, ["only"])
        _drop(window, tmp_path / "one.tlrun")
        assert window.current_labels() == ["only"]
    finally:
        window.hide()
        window.deleteLater()
        qapp.processEvents()


def _drop(window, path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    # As a real drag: Qt sends the drop to the widget that accepted the drag's enter event.
    enter = QDragEnterEvent(QPoint(10, 10), *args)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window, QDropEvent(QPointF(10, 10), *args))
    QApplication.processEvents()


@pytest.mark.parametrize("dark", [False, True])
def test_a_pdf_of_a_comparison_draws_no_gradient_the_pdf_engine_refuses(qapp, trace, dark, tmp_path, monkeypatch):
    """``QPdfEngine: unable to create a gradient between colors of different spec`` was printed on every
    PDF export of a comparison: a gradient Fusion draws, with stops Qt's PDF writer cannot blend."""
    from PySide6.QtCore import QSettings, qInstallMessageHandler

    import threadloom.ui.render as render

    # render_runs would put its own handler (which hides harmless offscreen warnings) in place of this one.
    monkeypatch.setattr(render, "_quieted", True)
    messages: list[str] = []
    window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    previous = qInstallMessageHandler(lambda _mode, _context, message: messages.append(message))
    try:
        window.resize(1600, 900)
        window.show()
        window.set_dark(dark)
        window.show_traces([trace, trace], ["first", "second"])
        for _ in range(5):
            qapp.processEvents()
        messages.clear()
        data = render_bytes(window, "pdf")
        assert data.startswith(b"%PDF")
        # The same comparison drawn headless, as `threadloom render` and Export picture at a size do.
        data = render_runs([trace, trace], ["first", "second"], "pdf", (1280, 720), dark=dark, window_class=MainWindow)
        assert data.startswith(b"%PDF")
    finally:
        qInstallMessageHandler(previous)
        if dark:
            window.set_dark(False)
        window.hide()
        window.deleteLater()
        qapp.processEvents()
    assert [m for m in messages if "gradient" in m] == []
