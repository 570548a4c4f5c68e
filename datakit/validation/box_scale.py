"""Which picture each box is drawn on, and how far the boxes reach on it (for B006).

A box refers to the latest ``<img>`` at or before it in the conversation. Per picture of a
record the record pass keeps the picture's size and its boxes' x2 and y2; ``ScaleTally`` folds
those into a few counts per file, and ``box_spaces`` judges them. Only boxes that the other box
rules found sound count (on the grid, ordered, with an area, not all inside (0,0),(1,1)), and
only pictures whose size the image checker read (``header`` and ``decode`` modes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from datakit.qwenvl.tag_scan import image_paths
from datakit.validation.box_space_sizes import PARTS, SPACE_PARTS, limits

if TYPE_CHECKING:
    from datakit.validation.images import ImageChecker
    from datakit.validation.view import RecordView

MAX_PATH_BYTES = 254  # longer paths are never looked up (I001)
# The records of a file that count: the first SAMPLE_ALL, then every SAMPLE_STRIDE-th. A verdict
# needs tens of boxes, not millions: this keeps B006's cost on a large file near nothing, and
# a sample chosen by record index is the same whatever --jobs is.
SAMPLE_ALL = 1024
SAMPLE_STRIDE = 32
EXAMPLES = 8  # kept per file; a verdict shows the first five that fit its space

# (width_px, height_px, every box's x2 and y2 in turn, message index of the first box)
Picture = tuple[int, int, list[int], int]
# (file, line, record index, record id, JSON path, the value holding the picture's first box,
# width_px, height_px, x2, y2): the box to show is picked only if a verdict cites it
Example = tuple[str, "int | None", int, "str | None", str, str, int, int, int, int]

_CORNER_RE = re.compile(r"\),\((\d{1,9}),(\d{1,9})\)</box>")
_IN_ORDER_RE = re.compile(r"<img>(.*?)</img>|\),\((\d{1,9}),(\d{1,9})\)</box>", re.DOTALL)
_BOX_RE = re.compile(r"<box>\((\d{1,9}),(\d{1,9})\),\((\d{1,9}),(\d{1,9})\)</box>")
_FIELDS = 5  # counts per tally part: pictures, boxes, beyond, reach x, reach y


def pictures_of(view: RecordView, images: ImageChecker, sound: set[int]) -> list[Picture]:
    """Every picture of the record that has sound boxes and a known size. ``sound``: indexes of
    the messages whose boxes are all sound (and not 0..1 fractions, which are B005's). A box
    after a message holding several images is skipped: which of them it is drawn on is not
    written down."""
    found: dict[str, Picture | None] = {}
    current: str | None = None
    ambiguous = False
    for message in view.messages:
        value = message.value
        if "<img>" in value:
            if not message.paired:
                current = None
            elif "<box>" in value and message.index in sound:
                current, ambiguous = _in_order(found, images, value, message.index, current,
                                               ambiguous)
            else:
                paths = image_paths(value)
                current, ambiguous = paths[-1], len(paths) > 1
        elif current is not None and not ambiguous and message.index in sound:
            corners = [int(v) for pair in _CORNER_RE.findall(value) for v in pair]
            if current in found:
                picture = found[current]
                if picture is not None:
                    picture[2].extend(corners)
            else:
                size = _size(images, current)
                found[current] = None if size is None else (*size, corners, message.index)
    return [picture for picture in found.values() if picture is not None]


def _in_order(found: dict[str, Picture | None], images: ImageChecker, value: str, index: int,
              current: str | None, ambiguous: bool) -> tuple[str | None, bool]:
    """Pictures and boxes of one value, each box on the latest picture before it."""
    seen = 0
    for match in _IN_ORDER_RE.finditer(value):
        path = match.group(1)
        if path is not None:
            current, seen = path, seen + 1
        elif current is not None and not (ambiguous and seen == 0):
            corners = [int(match.group(2)), int(match.group(3))]
            if current in found:
                picture = found[current]
                if picture is not None:
                    picture[2].extend(corners)
            else:
                size = _size(images, current)
                found[current] = None if size is None else (*size, corners, index)
    return current, ambiguous if seen == 0 else seen > 1


def _size(images: ImageChecker, path: str) -> tuple[int, int] | None:
    if len(path) > MAX_PATH_BYTES // 4 and len(path.encode("utf-8", "surrogatepass")) > (
            MAX_PATH_BYTES):
        return None
    status = images.check(path)  # the images rule asks again: answered from memory
    width, height = status.width, status.height
    if width is None or height is None or width < 1 or height < 1:
        return None
    return width, height


@dataclass(slots=True)
class ScaleTally:
    """Per candidate coordinate space (``box_space_sizes.SPACES``): how many pictures could show
    grid boxes beyond their bounds, how many boxes they hold and how many of those go beyond,
    how many pictures' boxes reach across and down them, and how many boxes grid data would
    put beyond. Kept in ``box_space_sizes.PARTS`` parts: both resized sizes are one for the
    pictures LLaMA-Factory does not shrink, which saves a space's work on most pictures."""

    counts: list[int] = field(default_factory=lambda: [0] * (_FIELDS * PARTS))
    expected_beyond: list[float] = field(default_factory=lambda: [0.0] * PARTS)
    examples: list[Example] = field(default_factory=list)

    def add(self, view: RecordView, pictures: list[Picture]) -> None:
        counts, expected = self.counts, self.expected_beyond
        for width, height, corners, message in pictures:
            parts = limits(width, height)
            if not parts:
                continue
            boxes = len(corners) >> 1
            if boxes == 1:
                x2, y2 = corners
            else:
                x2, y2 = max(corners[0::2]), max(corners[1::2])
            for part, limit_x, limit_y, chance_beyond, reach_x, reach_y in parts:
                at = part * _FIELDS
                counts[at] += 1
                counts[at + 1] += boxes
                if x2 > limit_x or y2 > limit_y:
                    counts[at + 2] += 1 if boxes == 1 else _beyond(corners, limit_x, limit_y)
                if x2 >= reach_x:
                    counts[at + 3] += 1
                if y2 >= reach_y:
                    counts[at + 4] += 1
                expected[part] += chance_beyond * boxes
            if len(self.examples) < EXAMPLES:
                self.examples.append(_example(view, width, height, x2, y2, message))

    def merge(self, other: ScaleTally) -> None:
        for i, value in enumerate(other.counts):
            self.counts[i] += value
        for i, mass in enumerate(other.expected_beyond):
            self.expected_beyond[i] += mass
        room = EXAMPLES - len(self.examples)
        if room > 0:
            self.examples.extend(other.examples[:room])

    def space(self, space: int) -> tuple[int, int, int, int, int, float]:
        """(pictures, boxes, boxes beyond, pictures reaching across, pictures reaching down,
        boxes expected beyond for grid data) of one of ``SPACES``."""
        totals = [0] * _FIELDS
        expected = 0.0
        for part in SPACE_PARTS[space]:
            at = part * _FIELDS
            for i in range(_FIELDS):
                totals[i] += self.counts[at + i]
            expected += self.expected_beyond[part]
        pictures, boxes, beyond, reach_x, reach_y = totals
        return pictures, boxes, beyond, reach_x, reach_y, expected


def _beyond(corners: list[int], limit_x: int, limit_y: int) -> int:
    pairs = iter(corners)
    return sum(1 for x, y in zip(pairs, pairs, strict=False) if x > limit_x or y > limit_y)


def _example(view: RecordView, width: int, height: int, x2: int, y2: int,
             message: int) -> Example:
    value = next(m.value for m in view.messages if m.index == message)
    return (view.file, view.line, view.index, view.record_id, view.path(message), value,
            width, height, x2, y2)


def furthest_box(value: str, width: int, height: int) -> str:
    """The box of ``value`` that reaches furthest across or down a picture of this size."""
    best = max(_BOX_RE.finditer(value), default=None,
               key=lambda m: max(int(m.group(3)) / width, int(m.group(4)) / height))
    return best.group(0) if best is not None else ""
