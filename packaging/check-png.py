"""Check that a PNG has the expected size and shows something: stdlib only.

Usage: python3 packaging/check-png.py PICTURE.png WIDTHxHEIGHT

Used by packaging/check-deb.sh on the frozen app's screenshot, where no
Python with Qt may be around. "Shows something" means: several colours, and
no single colour covering almost the whole picture, which is what a blank,
all-black or all-background grab looks like.
"""

from __future__ import annotations

import struct
import sys
import zlib
from collections import Counter

CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # colour type -> samples per pixel (8-bit only)


def read_png(path: str) -> tuple[int, int, list[bytes], int]:
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG file")
    pos, idat, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
    if header is None:
        raise SystemExit(f"{path}: no IHDR chunk")
    width, height, depth, colour, _c, _f, interlace = header
    if depth != 8 or colour not in CHANNELS or interlace:
        raise SystemExit(f"{path}: only 8-bit, non-interlaced grey/RGB/RGBA PNGs are checked (got {header})")
    bpp = CHANNELS[colour]
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            corner = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + predictor) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, [bytes(r) for r in rows], bpp


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    path, size = argv
    want_w, want_h = (int(v) for v in size.lower().split("x"))
    width, height, rows, bpp = read_png(path)
    if (width, height) != (want_w, want_h):
        print(f"{path}: {width}x{height}, expected {want_w}x{want_h}", file=sys.stderr)
        return 1
    colours = Counter()
    for y in range(0, height, 3):
        row = rows[y]
        for x in range(0, width, 3):
            colours[row[x * bpp : x * bpp + bpp]] += 1
    total = sum(colours.values())
    top_share = colours.most_common(1)[0][1] / total
    if len(colours) < 16 or top_share > 0.97:
        print(f"{path}: looks blank ({len(colours)} colours, the commonest covers {top_share:.0%})", file=sys.stderr)
        return 1
    print(f"{path}: {width}x{height}, {len(colours)} colours, commonest covers {top_share:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
