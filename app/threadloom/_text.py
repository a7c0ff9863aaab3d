"""Text from outside (a file, a probe, an interpreter) made safe to print: no control characters, no endless values."""

from __future__ import annotations

#: Longest value quoted back in a message; the rest is cut and its length named.
MAX_SHOWN = 200


def printable(text: object, limit: int | None = MAX_SHOWN) -> str:
    """``text`` with control and format characters escaped (``\\x1b``, ``\\u202e``) and cut to ``limit`` characters.

    A terminal then shows exactly what the file or probe said, and cannot be
    made to clear the screen, set its title, ring or rewrite the line.
    """
    text = str(text)
    cut = limit is not None and len(text) > limit
    head = text[:limit] if cut else text
    if not head.isprintable():
        head = "".join(c if c.isprintable() else _escape(c) for c in head)
    if cut:
        head += f"… ({len(text):,} characters)"
    return head


def shown(value: object, limit: int = MAX_SHOWN) -> str:
    """``repr(value)`` cut to ``limit`` characters: a bad value quoted in a message."""
    if isinstance(value, str) and len(value) > limit:
        return printable(repr(value[:limit]), None) + f"… ({len(value):,} characters)"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"a number of {len(str(abs(value))) if value.bit_length() < 10_000 else 'thousands of'} digits"
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # ints past the digit limit, deep nesting
        text = f"<a {type(value).__name__} too large to show>"
    return printable(text, limit)


def _escape(c: str) -> str:
    if c == " ":
        return c
    code = ord(c)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def format_value(value: float) -> str:
    """A number as people write it in a parameter: 1000000, not 1e+06; 0.5 as 0.5."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}"


__all__ = ["MAX_SHOWN", "format_value", "printable", "shown"]
