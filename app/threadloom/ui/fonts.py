"""The bundled font, so that pictures made headless look like the screen.

Qt ships no fonts, and a headless machine may have none, or different ones:
text would come out as boxes, or in another face and width, and labels would
no longer fit where they fit on screen. Threadloom therefore ships DejaVu Sans
in ``resources/fonts`` and uses it everywhere, on screen and off.
"""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication

from ..resources import resource_path

FAMILY = "DejaVu Sans"
_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
#: Point size of the application font; fixed so a picture's layout does not depend on the desktop's settings.
POINT_SIZE = 9.5

_loaded: str | None = None


def load_bundled_fonts(set_default: bool = True) -> str:
    """Register the bundled fonts (once) and return their family name.

    With ``set_default``, the running application's default font becomes that
    family at :data:`POINT_SIZE`. Needs a ``QGuiApplication``; safe to call
    again. If the files are missing (a broken install), Qt's default is kept
    and its family returned, so the app still starts.
    """
    global _loaded
    if QGuiApplication.instance() is None:
        raise RuntimeError("load_bundled_fonts() needs a QApplication; create it first")
    if _loaded is None:
        families: list[str] = []
        for name in _FILES:
            try:
                path = resource_path("fonts", name)
            except FileNotFoundError:
                continue
            font_id = QFontDatabase.addApplicationFont(str(path))
            if font_id >= 0:
                families += QFontDatabase.applicationFontFamilies(font_id)
        _loaded = FAMILY if FAMILY in families else (families[0] if families else QGuiApplication.font().family())
    if set_default:
        font = QFont(_loaded)
        font.setPointSizeF(POINT_SIZE)
        QGuiApplication.setFont(font)
    return _loaded


def caption_font(point_size: float, bold: bool = False) -> QFont:
    """The bundled family at ``point_size`` (pictures size their text explicitly, not from the desktop)."""
    font = QFont(load_bundled_fonts(set_default=False))
    font.setPointSizeF(point_size)
    font.setBold(bold)
    return font
