"""Pictures of the app's views, on screen or headless: PNG, SVG or PDF, caption included.

Every format is drawn by the same code into a ``QPainter``: the widget on top,
rendered with ``QWidget.render`` (so SVG and PDF stay vector), and a caption
band below it that says what the picture shows (its text comes from
:mod:`threadloom.export.caption`). The output is exactly the size asked for,
caption included.

Three ways in:

- :func:`render_runs` draws saved or finished runs in a fresh copy of a view
  (the window, the timeline or the scheduler view) that is never shown, at
  exactly the size asked: ``threadloom render``, ``run --screenshot`` and the
  app's "Export picture" at a chosen size. No display is needed.
- :func:`prepare_offscreen` lays out any widget that is never shown at exactly
  the picture's body size, so nothing is scaled;
- a widget already on screen is drawn at the size shown and scaled to fit
  (:func:`render_bytes`, :func:`copy_picture`).

The main window's class is passed in (``window_class``) rather than imported:
the window's own File menu draws through this module.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QPoint, QRect, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
)
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QApplication, QWidget

from .._files import write_atomic
from ..errors import ExportError
from ..export.caption import FORMATS, STATE_LEGEND, VIEWS, Caption, caption_for, picture_format
from ..model import STATES, Trace
from ..probe.models import MODELS
from ..scenario import Scenario
from .fonts import load_bundled_fonts
from .palette import state_colors, theme
from .runner import finished_message

#: pyqtgraph must stay raster: an OpenGL viewport grabs blank offscreen and cannot go to SVG/PDF.
try:
    import pyqtgraph as _pg

    _pg.setConfigOptions(useOpenGL=False)
except ImportError:  # pragma: no cover - pyqtgraph is a hard dependency, but pictures need not import it
    pass


# -- headless pictures of runs ----------------------------------------------


def use_offscreen_qt() -> None:
    """Headless pictures draw offscreen, display or not, so they come out the same on every machine.

    Call it before the ``QApplication`` exists; it leaves a platform chosen by the environment alone.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_API", "pyside6")


def render_runs(
    traces: list[Trace],
    labels: list[str],
    fmt: str,
    size: tuple[int, int],
    view: str = "window",
    at_ms: float | None = None,
    when: str | None = None,
    dark: bool = False,
    scenario: Scenario | None = None,
    status: str | None = None,
    window_class: type[QWidget] | None = None,
) -> bytes:
    """The picture of ``view`` showing ``traces`` at replay time ``at_ms`` (default: the end), encoded as ``fmt``.

    The view is a fresh copy, laid out offscreen at exactly ``size`` (caption included). For the
    window, ``window_class`` (the app's ``MainWindow``) is built with throwaway settings,
    ``scenario`` is selected in its controls and ``status`` shown in its status bar, so the
    picture looks like the window right after the run.
    """
    if view not in VIEWS:
        raise ExportError(f"a picture shows one of {', '.join(VIEWS)}; {view!r} is not one of them")
    if view == "window" and window_class is None:
        raise ExportError("a picture of the window needs the window's class (window_class)")
    use_offscreen_qt()
    app = QApplication.instance() or QApplication(["threadloom"])
    load_bundled_fonts()
    _quiet_offscreen_warnings(app)
    end_ms = max((t.end_ns for t in traces), default=0) / 1e6
    at = end_ms if at_ms is None else min(at_ms, end_ms)
    # The scheduler view shows one run; its caption names that run only.
    caption = caption_for(traces[:1], labels[:1], when) if view == "scheduler" else caption_for(traces, labels, when)
    with tempfile.TemporaryDirectory(prefix="threadloom-render-") as tmp:
        widget = _view(view, traces, labels, dark, Path(tmp), scenario, status, window_class)
        try:
            prepare_offscreen(widget, size[0], size[1], caption)
            # Seek once laid out: views place the cursor and the scheduler's cards from their size.
            _seek(widget, view, at)
            app.processEvents()
            return render_bytes(widget, fmt, size, caption, dark=dark, title=caption.title)
        finally:
            # deleteLater, not close: closing the window would save its (throwaway) settings.
            widget.hide()
            widget.deleteLater()
            app.sendPostedEvents(None, 0)


def _view(
    view: str,
    traces: list[Trace],
    labels: list[str],
    dark: bool,
    tmp: Path,
    scenario: Scenario | None,
    status: str | None,
    window_class: type[QWidget] | None,
) -> QWidget:
    if view == "timeline":
        from .timeline import TimelineWidget

        widget = TimelineWidget(dark=dark)
        widget.set_traces(traces, labels)
        widget.refresh()
    elif view == "scheduler":
        from .scheduler import SchedulerView

        widget = SchedulerView()
        widget.set_dark(dark)
        widget.set_trace(traces[0], labels[0])
    else:
        from PySide6.QtCore import QSettings

        # Fresh settings: the picture must not depend on this user's saved layout, and must not change it.
        settings = QSettings(str(tmp / "render.ini"), QSettings.Format.IniFormat)
        settings.setValue("view/dark", dark)
        widget = window_class(settings)
        if scenario is not None:
            widget.select_scenario(scenario)
        models = [label for label in labels if label in MODELS]
        if models:
            widget.set_models(models)
        widget.show_traces(traces, labels)
        widget.set_status(status or finished_message(traces, labels))
    return widget


def _seek(widget: QWidget, view: str, at_ms: float) -> None:
    if view == "timeline":
        widget.set_cursor_ms(at_ms)
    elif view == "scheduler":
        widget.set_time_ms(at_ms)
    else:
        widget.set_replay_time(at_ms)


#: Qt warnings that say nothing useful about a headless picture; anything else still reaches stderr.
#: (A PDF's "unable to create a gradient" is not among them: it came from the compare table's corner, now
#: styled flat in :mod:`~threadloom.ui.theme`, and must show if anything brings it back.)
_HARMLESS = ("does not support propagateSizeHints",)
_quieted = False


def _quiet_offscreen_warnings(app) -> None:
    global _quieted
    if _quieted or app.platformName() != "offscreen":
        return
    from PySide6.QtCore import qInstallMessageHandler

    def handler(_mode, _context, message: str) -> None:
        if not any(text in message for text in _HARMLESS):
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)
    _quieted = True


# -- pictures of a widget ---------------------------------------------------


_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def is_dark(widget: QWidget) -> bool:
    """Whether the widget is drawn on a dark background (then the caption is dark too)."""
    return widget.palette().window().color().lightness() < 128


def caption_height(caption: Caption | None, width: int) -> int:
    """Pixels the caption band takes in a picture this wide (0 without a caption)."""
    if caption is None:
        return 0
    base = _base_px(width)
    title, details, legend = _fonts(base)
    pad = round(base * 0.8)
    return (
        pad
        + QFontMetrics(title).height()
        + round(base * 0.35)
        + QFontMetrics(details).height()
        + round(base * 0.6)
        + QFontMetrics(legend).height()
        + pad
    )


def prepare_offscreen(widget: QWidget, width: int, height: int, caption: Caption | None) -> None:
    """Lay out a widget that is never shown so that it fills the picture's body exactly.

    ``WA_DontShowOnScreen`` lets it be polished, laid out and painted like a
    visible one without a window appearing, with or without a display.
    """
    load_bundled_fonts(set_default=False)
    widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    widget.resize(width, height - caption_height(caption, width))
    widget.show()
    _settle(widget)


def _settle(widget: QWidget) -> None:
    # Layouts and pyqtgraph's view ranges update from posted events; let them run once or twice.
    for _ in range(3):
        QApplication.sendPostedEvents()
        QApplication.processEvents()
    layout = widget.layout()
    if layout is not None:
        layout.activate()


def render_image(
    widget: QWidget,
    size: tuple[int, int] | None = None,
    caption: Caption | None = None,
    dark: bool | None = None,
    pixel_ratio: float = 1.0,
) -> QImage:
    """The picture as a ``QImage`` of ``size`` pixels (default: the widget's size plus the caption).

    ``pixel_ratio`` > 1 draws that many device pixels per pixel (a HiDPI screen's
    ``devicePixelRatioF()``), so a picture "as shown" is as sharp as the screen.
    """
    width, height = _size(widget, size, caption)
    pixel_ratio = max(1.0, float(pixel_ratio))
    image = QImage(round(width * pixel_ratio), round(height * pixel_ratio), QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(pixel_ratio)
    dpm = round(widget.logicalDpiX() / 0.0254 * pixel_ratio)
    image.setDotsPerMeterX(dpm)
    image.setDotsPerMeterY(dpm)
    painter = QPainter(image)
    try:
        paint_picture(painter, widget, width, height, caption, dark)
    finally:
        painter.end()
    return image


def render_bytes(
    widget: QWidget,
    fmt: str,
    size: tuple[int, int] | None = None,
    caption: Caption | None = None,
    dark: bool | None = None,
    title: str = "Threadloom",
    pixel_ratio: float = 1.0,
) -> bytes:
    """The picture encoded as ``fmt`` (png, svg or pdf); ``pixel_ratio`` applies to PNG (see :func:`render_image`)."""
    if fmt not in FORMATS:
        raise ExportError(f"a picture is drawn as {', '.join(FORMATS)}; {fmt!r} is not one of them")
    width, height = _size(widget, size, caption)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if fmt == "png":
        if not render_image(widget, (width, height), caption, dark, pixel_ratio).save(buffer, "PNG"):
            raise OSError("Qt could not encode the PNG")
    elif fmt == "svg":
        gen = QSvgGenerator()
        gen.setOutputDevice(buffer)
        gen.setSize(QSize(width, height))
        gen.setViewBox(QRect(0, 0, width, height))
        # The widget's fonts are in points: draw at the screen's DPI or text would shrink against the layout.
        gen.setResolution(widget.logicalDpiX())
        gen.setTitle(title)
        gen.setDescription(caption.details if caption else "Threadloom")
        _paint_on(gen, widget, width, height, caption, dark)
    else:
        writer = QPdfWriter(buffer)
        dpi = widget.logicalDpiX()
        writer.setResolution(dpi)
        writer.setTitle(title)
        writer.setCreator("Threadloom")
        page = QPageSize(
            QSizeF(width * 72.0 / dpi, height * 72.0 / dpi),
            QPageSize.Unit.Point,
            "threadloom",
            QPageSize.SizeMatchPolicy.ExactMatch,
        )
        writer.setPageLayout(QPageLayout(page, QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
        _paint_on(writer, widget, width, height, caption, dark)
    buffer.close()
    return bytes(data.data())


def export_picture(
    widget: QWidget,
    path: str | Path,
    size: tuple[int, int] | None = None,
    caption: Caption | None = None,
    dark: bool | None = None,
) -> None:
    """Write the picture to ``path`` atomically; the format comes from the extension."""
    path = Path(path)
    fmt = picture_format(path, option="picture")
    write_atomic(path, render_bytes(widget, fmt, size, caption, dark, title=caption.title if caption else "Threadloom"))


def copy_picture(widget: QWidget, caption: Caption | None = None, dark: bool | None = None) -> QImage:
    """Put the picture (at the size shown, as sharp as the screen) on the clipboard, and return it."""
    image = render_image(widget, None, caption, dark, widget.devicePixelRatioF())
    QGuiApplication.clipboard().setImage(image)
    return image


def _size(widget: QWidget, size: tuple[int, int] | None, caption: Caption | None) -> tuple[int, int]:
    if size is not None:
        return int(size[0]), int(size[1])
    # At the size shown, the widget keeps its size and the caption is added below it.
    return widget.width(), widget.height() + caption_height(caption, widget.width())


def _paint_on(device, widget: QWidget, width: int, height: int, caption: Caption | None, dark: bool | None) -> None:
    painter = QPainter()
    if not painter.begin(device):
        raise OSError("Qt could not start painting the picture")
    try:
        paint_picture(painter, widget, width, height, caption, dark)
    finally:
        painter.end()


def paint_picture(
    painter: QPainter, widget: QWidget, width: int, height: int, caption: Caption | None, dark: bool | None = None
) -> None:
    """Draw the widget and the caption band into ``painter``, filling ``width`` x ``height``."""
    load_bundled_fonts(set_default=False)
    dark = is_dark(widget) if dark is None else dark
    colors = theme(dark)
    cap_h = caption_height(caption, width)
    body = QRect(0, 0, width, height - cap_h)
    painter.fillRect(QRect(0, 0, width, height), QColor(colors.background))
    ws = widget.size()
    if ws.width() > 0 and ws.height() > 0 and body.height() > 0:
        scale = min(body.width() / ws.width(), body.height() / ws.height())
        painter.save()
        painter.translate((body.width() - ws.width() * scale) / 2, (body.height() - ws.height() * scale) / 2)
        painter.scale(scale, scale)
        painter.setClipRect(QRect(QPoint(0, 0), ws))
        widget.render(
            painter,
            QPoint(0, 0),
            QRect(QPoint(0, 0), ws),
            QWidget.RenderFlag.DrawWindowBackground | QWidget.RenderFlag.DrawChildren,
        )
        painter.restore()
    if caption is not None:
        _paint_caption(painter, QRect(0, body.height(), width, cap_h), caption, dark)


def _base_px(width: int) -> int:
    """Caption text size: it scales with the picture's width, so a slide-sized export stays legible."""
    return max(11, min(28, round(width / 110)))


def _fonts(base: int) -> tuple[QFont, QFont, QFont]:
    family = load_bundled_fonts(set_default=False)
    fonts = []
    for px, bold in ((round(base * 1.2), True), (base, False), (round(base * 0.95), False)):
        f = QFont(family)
        f.setPixelSize(px)
        f.setBold(bold)
        fonts.append(f)
    return fonts[0], fonts[1], fonts[2]


def _paint_caption(painter: QPainter, band: QRect, caption: Caption, dark: bool) -> None:
    colors = theme(dark)
    base = _base_px(band.width())
    title_font, details_font, legend_font = _fonts(base)
    pad = round(base * 0.8)
    painter.save()
    painter.fillRect(band, QColor(colors.band))
    painter.setPen(QColor(colors.grid))
    painter.drawLine(band.left(), band.top(), band.right(), band.top())
    width = band.width() - 2 * pad
    y = band.top() + pad

    y = _paint_line(painter, band.left() + pad, y, width, caption.title, title_font, colors.foreground)
    y += round(base * 0.35)
    y = _paint_line(painter, band.left() + pad, y, width, caption.details, details_font, colors.muted)
    y += round(base * 0.6)

    _paint_legend(painter, QRect(band.left() + pad, y, width, QFontMetrics(legend_font).height()), legend_font, dark)
    painter.restore()


def _paint_line(painter: QPainter, x: int, y: int, width: int, text: str, font: QFont, color: str) -> int:
    """One line of text, elided to ``width``; returns the y below it."""
    painter.setFont(font)
    painter.setPen(QColor(color))
    fm = QFontMetrics(font)
    painter.drawText(QRect(x, y, width, fm.height()), _LEFT, fm.elidedText(text, Qt.TextElideMode.ElideRight, width))
    return y + fm.height()


def _paint_legend(painter: QPainter, row: QRect, font: QFont, dark: bool) -> None:
    """Swatch and words per state; the long explanations when they fit, else the bare names."""
    fm = QFontMetrics(font)
    swatch = round(fm.height() * 0.7)
    gap = round(fm.height() * 0.35)
    spacing = round(fm.height() * 1.1)
    for texts in ([STATE_LEGEND[s] for s in STATES], list(STATES)):
        total = sum(swatch + gap + fm.horizontalAdvance(t) for t in texts) + spacing * (len(texts) - 1)
        if total <= row.width():
            break
    colors = state_colors(dark)
    painter.setFont(font)
    x = row.left()
    for state, text in zip(STATES, texts, strict=True):
        top = row.top() + (row.height() - swatch) // 2
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colors[state]))
        painter.drawRoundedRect(QRectF(x, top, swatch, swatch), swatch * 0.2, swatch * 0.2)
        x += swatch + gap
        painter.setPen(QColor(theme(dark).foreground))
        painter.drawText(QRect(x, row.top(), fm.horizontalAdvance(text) + 2, row.height()), _LEFT, text)
        x += fm.horizontalAdvance(text) + spacing
