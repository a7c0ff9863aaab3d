"""The application's look: Fusion with a light or dark palette from the shared theme colours, and a stylesheet.

:func:`apply_theme` switches the whole application; each view also takes
``set_dark`` for what it paints itself.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleFactory

from .palette import theme

_ACCENT = {False: "#0072B2", True: "#3D8FD6"}
_ERROR = {False: "#B03A00", True: "#FF8A65"}


class ThreadloomStyle(QProxyStyle):
    """Fusion, with check boxes outlined in a colour that stands out in either palette.

    Fusion outlines an indicator in a darker shade of the window colour: on a dark window that is
    next to black, and an empty check box all but vanishes.
    """

    def __init__(self) -> None:
        super().__init__(QStyleFactory.create("Fusion"))

    def drawPrimitive(self, element, option, painter: QPainter, widget=None) -> None:
        super().drawPrimitive(element, option, painter, widget)
        if element == QStyle.PrimitiveElement.PE_IndicatorCheckBox:
            pal = option.palette
            text, base = pal.color(QPalette.ColorRole.Text), pal.color(QPalette.ColorRole.Base)
            outline = QColor(
                (text.red() + base.red()) // 2, (text.green() + base.green()) // 2, (text.blue() + base.blue()) // 2
            )
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(QPen(outline, 1.2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(option.rect).adjusted(0.6, 0.6, -1.6, -1.6), 2.0, 2.0)
            painter.restore()


def apply_theme(app: QApplication, dark: bool) -> None:
    """Fusion with a light or dark palette built from the shared theme colours, plus a small stylesheet."""
    th = theme(dark)
    if not isinstance(app.style(), ThreadloomStyle):
        app.setStyle(ThreadloomStyle())
    pal = QPalette()
    bg, fg, muted, grid, band = (QColor(c) for c in (th.background, th.foreground, th.muted, th.grid, th.band))
    window_bg = QColor("#F3F4F6") if not dark else QColor("#15181C")
    pal.setColor(QPalette.ColorRole.Window, window_bg)
    pal.setColor(QPalette.ColorRole.WindowText, fg)
    # In the dark palette inputs sit a shade above the window, or check boxes vanish into it.
    pal.setColor(QPalette.ColorRole.Base, bg if not dark else QColor("#262B33"))
    pal.setColor(QPalette.ColorRole.AlternateBase, band)
    pal.setColor(QPalette.ColorRole.Text, fg)
    pal.setColor(QPalette.ColorRole.Button, band if not dark else QColor("#2A2F36"))
    pal.setColor(QPalette.ColorRole.ButtonText, fg)
    pal.setColor(QPalette.ColorRole.ToolTipBase, QColor("#FFFFF0") if not dark else QColor("#2A2F36"))
    pal.setColor(QPalette.ColorRole.ToolTipText, QColor("#1F2328") if not dark else fg)
    pal.setColor(QPalette.ColorRole.Highlight, QColor(_ACCENT[dark]))
    pal.setColor(QPalette.ColorRole.HighlightedText, QColor("#FFFFFF"))
    pal.setColor(QPalette.ColorRole.PlaceholderText, muted)
    pal.setColor(QPalette.ColorRole.Mid, grid)
    pal.setColor(QPalette.ColorRole.Light, band if not dark else QColor("#2E333A"))
    pal.setColor(QPalette.ColorRole.Midlight, grid)
    pal.setColor(QPalette.ColorRole.Dark, muted)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, muted)
    app.setPalette(pal)
    accent = _ACCENT[dark]
    app.setStyleSheet(f"""
        QFrame#summaryTile {{ background: {th.background}; border: 1px solid {th.grid}; border-radius: 8px; }}
        QLabel#tileCaption {{ color: {th.muted}; font-size: 7.5pt; font-weight: bold; }}
        QLabel#tileValue {{ color: {th.foreground}; font-size: 15pt; font-weight: bold; }}
        QLabel#tileDetail {{ color: {th.muted}; font-size: 8pt; }}
        QLabel#muted {{ color: {th.muted}; }}
        QLabel#dockHint {{ color: {th.muted}; font-size: 8.5pt; }}
        QGroupBox {{ font-weight: bold; border: 1px solid {th.grid}; border-radius: 8px; margin-top: 10px;
                     padding: 8px 6px 6px 6px; background: {th.background}; }}
        QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; color: {th.muted}; }}
        QPushButton#primary {{ background: {accent}; color: white; border: none; border-radius: 6px;
                               padding: 7px 14px; font-weight: bold; }}
        QPushButton#primary:hover {{ background: {QColor(accent).lighter(115).name()}; }}
        QPushButton#primary:disabled {{ background: {th.grid}; color: {th.muted}; }}
        QStatusBar QLabel#runState {{ color: {th.muted}; padding: 0 8px; }}
        QTableWidget {{ background: {th.background}; border: 1px solid {th.grid}; border-radius: 6px;
                        gridline-color: {th.grid}; }}
        QHeaderView::section {{ background: {th.band}; color: {th.foreground}; border: none;
                                border-bottom: 1px solid {th.grid}; padding: 4px 8px; font-weight: bold; }}
        /* The table's corner, styled like the headers beside it: left to Fusion, it is a gradient
           between colours of different specs, which QPdfWriter refuses ("unable to create a gradient"). */
        QTableCornerButton::section {{ background: {th.band}; border: none; border-bottom: 1px solid {th.grid}; }}
        QDockWidget::title {{ padding: 6px 8px; font-weight: bold; }}
    """)


def error_color(dark: bool) -> str:
    """The colour of an error in the status bar."""
    return _ERROR[dark]


__all__ = ["ThreadloomStyle", "apply_theme", "error_color"]
