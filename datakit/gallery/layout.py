"""Which box belongs to which picture, with which label, colour and faults.

A box goes on the picture ``qwenvl.picture_refs`` finds for it: usually the one picture of the
latest message with pictures (what Qwen-VL's own ``draw_bbox_on_latest_picture`` assumes), or the
one its question names. When the text cannot say which (P004), the box is drawn on each candidate
picture as "one of" them, never as a plain object on each. A box is labelled with the latest
``<ref>`` before it in the same message; a label's colour comes from a hash of its text, so
a category keeps its colour from sample to sample (``label_colour``). A box's faults
(rule codes) come from the box itself (B002 off the grid, B003 corners swapped, B004 no area,
P004 ambiguous), whatever the validation settings, plus the codes of any finding located at its
tag. Boxes before any picture, and malformed boxes, cannot be drawn; they are listed instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from datakit.family.sample import BoxSpace
from datakit.findings import Finding
from datakit.qwenvl.grammar import Box, ParsedValue, Ref, parse_value
from datakit.qwenvl.picture_refs import BoxPlace, pictures_text, place_boxes

if TYPE_CHECKING:
    from datakit.family.sample import Sample
    from datakit.family.vision import ResizeRule

# Pure, saturated colours: rare as exact pixel values in photographs, so a drawn outline can be
# told apart from the picture (the tests rely on that).
PALETTE: tuple[tuple[int, int, int], ...] = (
    (255, 0, 255),
    (0, 255, 255),
    (255, 255, 0),
    (0, 255, 0),
    (255, 128, 0),
    (0, 128, 255),
    (255, 0, 128),
    (128, 0, 255),
    (128, 255, 0),
    (0, 255, 128),
)
# The dashes of a box with faults alternate its colour with this one (not in the palette).
FAULT_COLOUR = (255, 0, 0)
AMBIGUOUS = "P004"


@dataclass(frozen=True)
class PlannedBox:
    """One box to draw. ``candidates`` are the pictures it may mark when it is ambiguous (it is
    then drawn on each); ``codes`` are the rule codes of its faults (none: a good box).
    ``coords`` are x1, y1, x2, y2 (or x, y for a point) in ``space``; ``extent`` is how many
    units of ``space`` span the picture's width and height (1000 on the grid; for pixel
    spaces it is set once the picture's size is known)."""

    coords: tuple[float, ...]
    label: str
    colour: tuple[int, int, int]
    message_index: int
    start: int  # character offset of the <box> tag in its value (family: the box's number)
    candidates: tuple[int, ...] = ()
    codes: tuple[str, ...] = ()
    space: BoxSpace = "norm1000"
    extent: tuple[float, float] = (1000.0, 1000.0)

    @property
    def xyxy_norm1000(self) -> tuple[float, ...]:
        """The coordinates of a box on Qwen-VL's grid (v1's only space)."""
        return self.coords

    @property
    def is_point(self) -> bool:
        return len(self.coords) == 2

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1

    def caption(self) -> str:
        """The label drawn on the picture: the rule codes first, then ``?`` and "one of" the
        candidates for an ambiguous box."""
        parts = [*self.codes]
        if self.ambiguous:
            parts += ["?", self.label, f"(one of {pictures_text(self.candidates)})"]
        else:
            parts.append(self.label)
        return " ".join(parts)


@dataclass
class PlannedPicture:
    number: int  # 1-based, in order of appearance in the conversation
    path: str
    message_index: int
    boxes: list[PlannedBox] = field(default_factory=list)


@dataclass(frozen=True)
class FamilyView:
    """What the gallery shows of a family record: the sample as read, its reader's problems,
    the target's title and the space its boxes are in."""

    sample: Sample
    problems: tuple[str, ...]
    target_title: str
    rule: ResizeRule | None


@dataclass
class SamplePlan:
    """The parsed messages (``None`` where a value is not a string), the pictures with their
    boxes, the boxes with faults (once each), and what cannot be drawn."""

    messages: list[tuple[Any, ParsedValue | None]]
    pictures: list[PlannedPicture]
    undrawable: list[tuple[int, int, str]]  # (message index, char offset, reason)
    colours: dict[tuple[int, int], tuple[int, int, int]]  # (message, offset) of ref/box
    faulty: list[PlannedBox] = field(default_factory=list)
    # (message, offset) of a drawn box -> the pictures it is drawn on
    drawn_on: dict[tuple[int, int], tuple[int, ...]] = field(default_factory=dict)
    # a record of a Qwen-family layout (``family_plan``): the sample as read; None for v1
    family: FamilyView | None = None


def plan_sample(record: Any, findings: Sequence[Finding] = ()) -> SamplePlan:
    """Plan the drawing of one decoded record (any JSON value); ``findings`` are the record's
    findings, whose codes are added to the boxes they point at."""
    conversations = record.get("conversations") if isinstance(record, dict) else None
    plan = SamplePlan([], [], [], {})
    if not isinstance(conversations, list):
        return plan
    for message in conversations:
        value = message.get("value") if isinstance(message, dict) else None
        plan.messages.append((message, parse_value(value) if isinstance(value, str) else None))
    places = {
        (place.message_index, place.start): place
        for place in place_boxes(
            (i, message.get("from"), message["value"], parsed)
            for i, (message, parsed) in enumerate(plan.messages)
            if parsed is not None
        )
    }
    at_box = _finding_codes(findings)
    label_colours: dict[str, tuple[int, int, int]] = {}
    unlabelled = 0
    for m_index, (_, parsed) in enumerate(plan.messages):
        if parsed is None:
            continue
        ref: Ref | None = None
        for image in parsed.images():
            plan.pictures.append(PlannedPicture(len(plan.pictures) + 1, image.path, m_index))
        for segment in parsed.segments:
            if isinstance(segment, Ref):
                ref = segment
                colour = label_colour(label_colours, segment.text.strip())
                plan.colours[(m_index, segment.start)] = colour
            elif isinstance(segment, Box):
                label = ref.text.strip() if ref is not None else ""
                if not label:
                    unlabelled += 1
                    label = f"box {unlabelled}"
                colour = label_colour(label_colours, label)
                plan.colours[(m_index, segment.start)] = colour
                place = places[(m_index, segment.start)]
                codes = at_box.get((m_index, segment.start), set())
                _place_box(plan, place, segment, label, colour, codes)
    return plan


def _place_box(
    plan: SamplePlan,
    place: BoxPlace,
    box: Box,
    label: str,
    colour: tuple[int, int, int],
    codes: set[str],
) -> None:
    m_index = place.message_index
    if box.xyxy_norm1000 is None:
        plan.undrawable.append((m_index, box.start, "malformed coordinates"))
        return
    if not place.candidates:
        plan.undrawable.append((m_index, box.start, "no picture before this box"))
        return
    picture = place.picture
    on = place.candidates if picture is None else (picture,)
    codes = codes | set(box_faults(box.xyxy_norm1000))
    if place.ambiguous:
        codes.add(AMBIGUOUS)
    planned = PlannedBox(box.xyxy_norm1000, label, colour, m_index, box.start,
                         place.candidates if place.ambiguous else (), tuple(sorted(codes)))
    for number in on:
        plan.pictures[number - 1].boxes.append(planned)
    plan.drawn_on[(m_index, box.start)] = on
    if planned.codes:
        plan.faulty.append(planned)


def box_faults(xyxy_norm1000: tuple[int, int, int, int]) -> tuple[str, ...]:
    """The box rules' verdicts on one well-formed box (as ``validation.rules.boxes`` judges)."""
    x1, y1, x2, y2 = xyxy_norm1000
    codes = ["B002"] if max(xyxy_norm1000) >= 1000 else []
    if x1 > x2 or y1 > y2:
        codes.append("B003")
    elif x1 == x2 or y1 == y2:
        codes.append("B004")
    return tuple(codes)


def _finding_codes(findings: Sequence[Finding]) -> dict[tuple[int, int], set[str]]:
    """(message, char offset) -> codes of the findings located there."""
    out: dict[tuple[int, int], set[str]] = {}
    for f in findings:
        m_index = message_index(f.location.json_path)
        if m_index is not None and f.location.char_offset is not None:
            out.setdefault((m_index, f.location.char_offset), set()).add(f.code)
    return out


def message_index(json_path: str | None) -> int | None:
    """The message a finding's JSON path points into (``$[3].conversations[2].value``)."""
    if not json_path:
        return None
    head, sep, rest = json_path.partition(".conversations[")
    if not sep or not head.startswith("$["):
        return None
    digits = rest.partition("]")[0]
    return int(digits) if digits.isdigit() else None


def label_slot(label: str) -> int:
    """The label's own place in ``PALETTE``: the same in every sample and every run."""
    digest = hashlib.blake2b(label.encode("utf-8", "surrogatepass"), digest_size=4).digest()
    return int.from_bytes(digest, "little") % len(PALETTE)


def label_colour(
    assigned: dict[str, tuple[int, int, int]], label: str
) -> tuple[int, int, int]:
    """The label's colour in one sample: its own slot, or the next one no other label of the
    sample has taken (so that two labels of a sample never share a colour while the palette
    lasts)."""
    colour = assigned.get(label)
    if colour is None:
        slot = label_slot(label)
        taken = set(assigned.values())
        for step in range(len(PALETTE)):
            colour = PALETTE[(slot + step) % len(PALETTE)]
            if colour not in taken:
                break
        else:
            colour = PALETTE[slot]
        assigned[label] = colour
    return colour
