"""The pieces every markup parser shares: problems, the parsed result and the parts builder.

See ``datakit.family.markup`` for the markups themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from datakit.family.sample import Box, Grounded, ImageSlot, Part, Text

# Writes picture ``index`` (0-based) into the text.
SlotText = Callable[[int], str]


@dataclass(frozen=True, slots=True)
class Problem:
    """A fault in a record. ``kind`` is code-like (``unclosed-tag``, ``malformed-box``,
    ``invalid-json``...); ``offset`` is the character offset in the text of ``field``, or -1
    when the problem is the record's and not one place in a text. ``field`` names where, e.g.
    ``messages[2].content``; markup parsing leaves it empty and the layouts fill it in."""

    kind: str
    message: str
    offset: int
    field: str = ""


@dataclass(frozen=True, slots=True)
class ParsedText:
    """``parts`` and ``problems`` of one text (unpacks as that pair). ``image_paths`` are the
    paths that v1 ``<img>`` tags name, in order; the slots they fill start at ``first_image``."""

    parts: tuple[Part, ...]
    problems: tuple[Problem, ...]
    image_paths: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[object]:
        return iter((self.parts, self.problems))


class PartsBuilder:
    """Collects parts: merges neighbouring texts, attaches boxes to the ref just before them
    and gathers boxes without a ref into one phrase."""

    def __init__(self, image_tag: str | None = None, first_image: int = 0) -> None:
        self.parts: list[Part] = []
        self.problems: list[Problem] = []
        self.image_paths: list[str] = []
        self._text: list[str] = []
        self._label: str | None = None
        self._boxes: list[Box] = []
        self._open = False
        self._image_tag = image_tag
        self.next_image = first_image

    def text(self, text: str) -> None:
        if not text:
            return
        tag = self._image_tag
        if tag is not None and tag in text:
            pieces = text.split(tag)
            for i, piece in enumerate(pieces):
                if i:
                    self.slot()
                self._plain(piece)
            return
        self._plain(text)

    def _plain(self, text: str) -> None:
        if text:
            self._close()
            self._text.append(text)

    def slot(self, path: str | None = None) -> None:
        self._close()
        self._flush_text()
        self.parts.append(ImageSlot(self.next_image))
        self.next_image += 1
        if path is not None:
            self.image_paths.append(path)

    def ref(self, label: str | None) -> None:
        self._close()
        self._flush_text()
        self._open, self._label, self._boxes = True, label, []

    def box(self, box: Box) -> None:
        self._flush_text()
        if not self._open:
            self._open, self._label, self._boxes = True, None, []
        self._boxes.append(box)

    def problem(self, kind: str, message: str, offset: int) -> None:
        self.problems.append(Problem(kind, message, offset))

    def _close(self) -> None:
        if self._open:
            self.parts.append(Grounded(self._label, tuple(self._boxes)))
            self._open, self._label, self._boxes = False, None, []

    def _flush_text(self) -> None:
        if self._text:
            self.parts.append(Text("".join(self._text)))
            self._text = []

    def finish(self) -> ParsedText:
        self._close()
        self._flush_text()
        return ParsedText(tuple(self.parts), tuple(self.problems), tuple(self.image_paths))


def coord_ints(box: Box) -> list[int]:
    """The box's coordinates as integers; ``ValueError`` for a fraction, which no markup of
    the family can carry."""
    out: list[int] = []
    for v in box.coords:
        if isinstance(v, bool) or int(v) != v:
            raise ValueError(f"coordinate {v!r} is not an integer; markup takes whole numbers")
        out.append(int(v))
    return out


# Offsets in messages quote at most this much of a faulty span.
QUOTE_CHARS = 60


def quote(text: str) -> str:
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 3] + "..."


_NUMBER_RE = re.compile(r"-?[0-9]+(?:\.[0-9]*)?")


def why_bad_coords(content: str) -> tuple[str, str]:
    """(kind, reason) for box contents that are not ``(x,y)`` or ``(x1,y1),(x2,y2)``."""
    numbers = _NUMBER_RE.findall(content)
    if any(n.startswith("-") for n in numbers):
        return "negative-coordinate", "has a negative coordinate"
    if any("." in n for n in numbers):
        return "non-integer-coordinate", "has a coordinate that is not a whole number"
    if any(len(n) > 9 for n in numbers):
        return "malformed-box", "has a coordinate of more than nine digits"
    if len(numbers) not in (2, 4):
        return (
            "box-arity",
            f"has {len(numbers)} numbers; a box has 4, (x1,y1),(x2,y2), and a point 2, (x,y)",
        )
    return "malformed-box", "is not written (x1,y1),(x2,y2) or (x,y) without spaces"
