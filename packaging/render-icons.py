"""Render Threadloom's PNG icons from the one source SVG with Qt's own SVG renderer.

Usage: python packaging/render-icons.py [--check]

The PNGs are committed, so a build never needs this script; run it after
editing ``resources/icons/io.github.threadloom.Threadloom.svg``. ``--check``
renders into memory and fails if a committed PNG is missing or out of date
(compares pixels, not bytes, so PNG encoder differences do not matter).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICON_ID = "io.github.threadloom.Threadloom"
SIZES = (48, 128, 256)
ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"


def render(svg: Path, size: int) -> QImage:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: Qt cannot read this SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def main(argv: list[str]) -> int:
    check = "--check" in argv
    _app = QGuiApplication.instance() or QGuiApplication([])
    svg = ICONS / f"{ICON_ID}.svg"
    stale = []
    for size in SIZES:
        image = render(svg, size)
        target = ICONS / f"{ICON_ID}-{size}.png"
        if check:
            committed = QImage(str(target))
            same = not committed.isNull() and committed.convertToFormat(image.format()) == image
            if not same:
                stale.append(target.name)
            continue
        if not image.save(str(target), "PNG"):
            raise SystemExit(f"{target}: cannot write")
        print(f"Wrote {target}")
    if stale:
        print(f"out of date: {', '.join(stale)}; run python packaging/render-icons.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
