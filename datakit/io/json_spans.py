"""Where each value of one JSON record lies in its bytes, and where a character of a string is.

Used only to place the findings that are reported (``positions``), never on the checking path:
the record has already been parsed and judged, so its bytes are known to be valid JSON up to
the end of the value.
"""

from __future__ import annotations

import re
from json import loads

PathKey = tuple["str | int", ...]  # keys and indices below the record, () for the record
Span = tuple[int, int]  # byte offsets: the value's first byte, and just past its last

# A string (its closing quote found), a structural character, or a bare scalar. A quote whose
# string does not close within the bytes read matches ``cut``: more bytes are needed.
_TOKEN = re.compile(
    rb'(?P<str>"[^"\\]*(?:\\.[^"\\]*)*")|(?P<cut>")|[{}\[\],:]|[^\s{}\[\],:"]+', re.DOTALL
)
_OPEN = frozenset(b"{[")
_CLOSE = frozenset(b"}]")


class Incomplete(Exception):
    """The bytes end before the record does."""


class _Open:
    """An object or array whose closing bracket is still ahead."""

    __slots__ = ("index", "is_object", "path", "start", "wants_key")

    def __init__(self, path: PathKey, start: int, is_object: bool) -> None:
        self.path = path
        self.start = start
        self.is_object = is_object
        self.index = 0
        self.wants_key = is_object


def value_spans(data: bytes, start: int = 0, *, complete: bool = False) -> dict[PathKey, Span]:
    """The span of every value of the JSON value that begins at ``data[start]``, by its path.

    A duplicate key keeps its last value, as ``json.loads`` does. Raises ``Incomplete`` when
    ``data`` ends before the value; unless ``complete`` says nothing follows, a value that
    ends exactly at the end of ``data`` counts as incomplete too (a number may go on).
    """
    spans: dict[PathKey, Span] = {}
    stack: list[_Open] = []
    path: PathKey = ()
    for match in _TOKEN.finditer(data, start):
        if match.lastgroup == "cut":
            raise Incomplete
        first = data[match.start()]
        if first in _OPEN:
            frame = _Open(path, match.start(), first == 0x7B)
            stack.append(frame)
            if not frame.is_object:
                path = (*path, 0)
            continue
        top = stack[-1] if stack else None
        if first in _CLOSE:
            assert top is not None
            stack.pop()
            spans[top.path] = (top.start, match.end())
        elif first == 0x2C:  # ,
            assert top is not None
            if top.is_object:
                top.wants_key = True
            else:
                top.index += 1
                path = (*top.path, top.index)
            continue
        elif first == 0x3A:  # :
            continue
        elif top is not None and top.wants_key:
            top.wants_key = False
            path = (*top.path, loads(match.group()))
            continue
        else:
            spans[path] = (match.start(), match.end())
        if not stack:
            if match.end() == len(data) and not complete and first not in _CLOSE:
                raise Incomplete
            return spans
        path = stack[-1].path
    raise Incomplete


def char_position(data: bytes, span: Span, char_offset: int) -> int | None:
    """The byte offset, within ``data``, of character ``char_offset`` of the JSON string at
    ``span`` (quotes included), counting as ``json.loads`` does: an escape is one character,
    a surrogate pair escape (``\\ud83d\\ude00``) one too. ``None`` past the string's end."""
    begin, end = span[0] + 1, span[1] - 1
    left = char_offset
    pos = begin
    while pos <= end:
        slash = data.find(b"\\", pos, end)
        stop = end if slash < 0 else slash
        piece = data[pos:stop].decode("utf-8", "replace")
        if left < len(piece):
            return pos + len(piece[:left].encode("utf-8"))
        left -= len(piece)
        if slash < 0:
            return pos + len(data[pos:stop]) if left == 0 else None
        if left == 0:
            return slash
        pos = slash + _escape_size(data, slash)
        left -= 1
    return None


def _escape_size(data: bytes, slash: int) -> int:
    """Bytes of the escape at ``slash``: 2, 6 for ``\\uXXXX``, 12 for a surrogate pair."""
    if data[slash + 1] != 0x75:  # u
        return 2
    high = int(data[slash + 2 : slash + 6], 16)
    if 0xD800 <= high < 0xDC00 and data[slash + 6 : slash + 8] == b"\\u":
        try:
            low = int(data[slash + 8 : slash + 12], 16)
        except ValueError:
            return 6
        if 0xDC00 <= low < 0xE000:
            return 12
    return 6
