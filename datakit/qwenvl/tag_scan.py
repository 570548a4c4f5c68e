"""Quick answers about a message value, for the common case, without building segments.

``parse_value`` builds an object per segment, which costs more than every record rule that
reads it. Nearly every value in a real dataset has plainly paired tags (each ``<img>``,
``<ref>``, ``<box>`` or ``<quad>`` directly followed by its own closing tag, nothing nested),
and for such values the rules need only a few facts, which a regular expression finds in C.

``tags_paired`` says whether a value is of that kind. The other functions are for such values
only: each returns exactly what ``parse_value`` would say, or ``None`` when the caller must ask
``parse_value`` after all. A property test holds every answer to the parser's.
"""

from __future__ import annotations

import re

_TAG_RE = re.compile(r"</?(?:img|ref|box|quad)>")
_PAIRS_RE = re.compile(r"(?:<img></img>|<ref></ref>|<box></box>|<quad></quad>)*")
_LABELLED_IMAGE_RE = re.compile(r"Picture (\d{1,9}): ?<img>")
_NUMERALS = [str(n) for n in range(1000)]  # label numbers as written, without leading zeros
_IMAGE_RE = re.compile(r"<img>(.*?)</img>", re.DOTALL)
_ON_GRID = "(0|[1-9][0-9]{0,2})"  # 0..999, written plainly
_GRID_BOX_RE = re.compile(rf"<box>\({_ON_GRID},{_ON_GRID}\),\({_ON_GRID},{_ON_GRID}\)</box>")


def tags_paired(value: str) -> bool:
    """True when ``parse_value(value)`` finds no unclosed, stray or nested tag because every tag
    is directly followed by its own closing tag (malformed box contents are not judged here)."""
    if "<" not in value:
        return True
    return _PAIRS_RE.fullmatch("".join(_TAG_RE.findall(value))) is not None


def image_paths(value: str) -> list[str]:
    """The path of every image, in order."""
    if "<img>" not in value:
        return []
    return _IMAGE_RE.findall(value)


def image_offsets(value: str) -> list[int]:
    """The character offset of every image path, in order."""
    return [m.start(1) for m in _IMAGE_RE.finditer(value)]


def labels_in_order(value: str, first: int) -> int | None:
    """How many images the value holds when each directly follows its label, the labels count
    on from ``first`` (``Picture 1``, ``Picture 2``, ...) and no other label appears; ``None``
    otherwise."""
    if "<img>" not in value and "Picture" not in value:
        return 0
    numbers = _LABELLED_IMAGE_RE.findall(value)
    count = len(numbers)
    # Every "Picture " must belong to a labelled image (a stray label is a finding).
    if count != value.count("<img>") or count != value.count("Picture "):
        return None
    if numbers != _NUMERALS[first : first + count]:
        return None
    return count


def sound_boxes(value: str) -> tuple[int, int] | None:
    """``(boxes, boxes inside (0,0),(1,1))`` when the value holds no quad and every box is well
    formed, on the 0..999 grid, top-left then bottom-right and with an area: nothing for the
    box rules to report. ``None`` otherwise."""
    if "<quad>" in value:
        return None
    if "<box>" not in value:
        return 0, 0
    found = _GRID_BOX_RE.findall(value)
    if len(found) != value.count("<box>"):
        return None
    tiny = 0
    for x1, y1, x2, y2 in found:
        right, bottom = int(x2), int(y2)
        if not (int(x1) < right and int(y1) < bottom):
            return None
        if right <= 1 and bottom <= 1:
            tiny += 1
    return len(found), tiny
