"""Pictures of a widget (the window, the timeline, the scheduler view) as PNG, SVG or PDF.

Every format is drawn by the same code into a ``QPainter``: the widget on top,
rendered with ``QWidget.render`` (so SVG and PDF stay vector), and a caption
band below it that says what the picture shows (see :mod:`.caption`). The
output is exactly the size asked for, caption included.

Two ways in:

- :func:`prepare_offscreen` lays out a widget that is never shown (headless
  renders, or a copy made for an export at another size) at exactly the body
  size, so nothing is scaled;
- a widget already on screen is drawn at the size shown and scaled to fit.
"""

from __future__ import annotations

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

from ..model import STATES
from ..ui.fonts import load_bundled_fonts
from ..ui.palette import state_colors, theme
from .caption import FORMATS, STATE_LEGEND, Caption

#: pyqtgraph must stay raster: an OpenGL viewport grabs blank offscreen and cannot go to SVG/PDF.
try:
    import pyqtgraph as _pg

    _pg.setConfigOptions(useOpenGL=False)
except ImportError:  # pragma: no cover - pyqtgraph is a hard dependency, but pictures need not import it
    pass


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
        raise ValueError(f"picture format must be one of {', '.join(FORMATS)}, got {fmt!r}")
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
    from ..cli.outputs import write_atomic
    from .caption import picture_format

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
