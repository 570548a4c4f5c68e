"""The coordinate list inside ``<box>`` and ``<quad>``: read it, or say why it cannot be read.

Well formed is ``(x1,y1),(x2,y2)`` for a box and four such points for a quad: non-negative
integers without signs, spaces or leading zeros. Range (the 0..999 grid) is judged elsewhere.
"""

from __future__ import annotations

import re

# Longer digit runs are rejected before int() so huge inputs stay cheap (and never hit
# Python's int-string conversion limit).
_MAX_COORD_DIGITS = 9

_BOX_RE = re.compile(r"\((0|[1-9]\d*),(0|[1-9]\d*)\),\((0|[1-9]\d*),(0|[1-9]\d*)\)")
_QUAD_RE = re.compile(r"\((0|[1-9]\d*),(0|[1-9]\d*)\)(?:,\((0|[1-9]\d*),(0|[1-9]\d*)\)){3}")
_POINT_RE = re.compile(r"\(([^()]*)\)")


def parse_box(inner: str) -> tuple[int, int, int, int] | None:
    """``(x1, y1, x2, y2)`` as written (meant for the 0..999 grid) of a well-formed box
    content, else ``None``."""
    m = _BOX_RE.fullmatch(inner)
    if m is None or any(len(g) > _MAX_COORD_DIGITS for g in m.groups()):
        return None
    x1, y1, x2, y2 = (int(g) for g in m.groups())
    return (x1, y1, x2, y2)


def parse_quad(inner: str) -> tuple[int, ...] | None:
    """The eight numbers of a well-formed quad content, else ``None``."""
    if _QUAD_RE.fullmatch(inner) is None:
        return None
    numbers = re.findall(r"\d+", inner)
    if any(len(g) > _MAX_COORD_DIGITS for g in numbers):
        return None
    return tuple(int(g) for g in numbers)


def why_malformed(inner: str, points_expected: int) -> str:
    """Name the first reason a coordinate list is not ``(x,y),(x,y)`` with plain integers."""
    if inner.strip() == "":
        return "empty coordinates"
    if any(c.isspace() for c in inner):
        return "contains spaces; write (x1,y1),(x2,y2) with no spaces"
    points = _POINT_RE.findall(inner)
    numbers = [p for point in points for p in point.split(",")]
    if len(points) != points_expected or any(p.count(",") != 1 for p in points):
        return f"expected {points_expected} points (x,y), found {len(points)}"
    for number in numbers:
        if "." in number:
            return f"{number!r} is not an integer; coordinates are integers on the 0..999 grid"
        if number.startswith(("-", "+")):
            return f"{number!r} has a sign; coordinates are non-negative integers"
        if not number.isdigit() or not number.isascii():
            return f"{number!r} is not a number"
        if len(number) > 1 and number.startswith("0"):
            return f"{number!r} has a leading zero"
        if len(number) > _MAX_COORD_DIGITS:
            return f"{number[:12]}... is far too large for the 0..999 grid"
    return "not of the form (x1,y1),(x2,y2)"
