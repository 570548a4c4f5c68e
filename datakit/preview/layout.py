"""Which box belongs to which picture, with which label and colour.

A box belongs to the pictures of the latest message with ``<img>`` before it: usually one
picture, the latest (what Qwen-VL's own ``draw_bbox_on_latest_picture`` assumes). When that
message shows several pictures the format does not say which one a box refers to, so the box is
drawn on each of them and the reader sees where it fits. A box is labelled with the latest
``<ref>`` before it in the same message. Boxes with the same label share a colour. Boxes before
any image, and malformed boxes, cannot be drawn; they are listed instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from datakit.qwenvl.grammar import Box, Image, ParsedValue, Ref, parse_value

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
)


@dataclass(frozen=True)
class PlannedBox:
    xyxy_norm1000: tuple[int, int, int, int]
    label: str
    colour: tuple[int, int, int]
    message_index: int
    start: int  # character offset of the <box> tag in its value


@dataclass
class PlannedPicture:
    number: int  # 1-based, in order of appearance in the conversation
    path: str
    message_index: int
    boxes: list[PlannedBox] = field(default_factory=list)


@dataclass
class SamplePlan:
    """The parsed messages (``None`` where a value is not a string), the pictures with their
    boxes, and what cannot be drawn."""

    messages: list[tuple[Any, ParsedValue | None]]
    pictures: list[PlannedPicture]
    undrawable: list[tuple[int, int, str]]  # (message index, char offset, reason)
    colours: dict[tuple[int, int], tuple[int, int, int]]  # (message, offset) of ref/box



def plan_sample(record: Any) -> SamplePlan:
    """Plan the drawing of one decoded record (any JSON value)."""
    conversations = record.get("conversations") if isinstance(record, dict) else None
    plan = SamplePlan([], [], [], {})
    if not isinstance(conversations, list):
        return plan
    group: list[PlannedPicture] = []  # the pictures of the latest message that has any
    label_colours: dict[str, tuple[int, int, int]] = {}
    unlabelled = 0
    for m_index, message in enumerate(conversations):
        value = message.get("value") if isinstance(message, dict) else None
        parsed = parse_value(value) if isinstance(value, str) else None
        plan.messages.append((message, parsed))
        if parsed is None:
            continue
        ref: Ref | None = None
        if any(isinstance(segment, Image) for segment in parsed.segments):
            group = []
        for segment in parsed.segments:
            if isinstance(segment, Image):
                picture = PlannedPicture(len(plan.pictures) + 1, segment.path, m_index)
                plan.pictures.append(picture)
                group.append(picture)
            elif isinstance(segment, Ref):
                ref = segment
                colour = _colour(label_colours, segment.text.strip())
                plan.colours[(m_index, segment.start)] = colour
            elif isinstance(segment, Box):
                label = ref.text.strip() if ref is not None else ""
                if not label:
                    unlabelled += 1
                    label = f"box {unlabelled}"
                colour = _colour(label_colours, label)
                plan.colours[(m_index, segment.start)] = colour
                _place_box(plan, group, segment, label, colour, m_index)
    return plan


def _place_box(
    plan: SamplePlan,
    group: list[PlannedPicture],
    box: Box,
    label: str,
    colour: tuple[int, int, int],
    m_index: int,
) -> None:
    if box.xyxy_norm1000 is None:
        plan.undrawable.append((m_index, box.start, "malformed coordinates"))
    elif not group:
        plan.undrawable.append((m_index, box.start, "no picture before this box"))
    else:
        for picture in group:
            picture.boxes.append(
                PlannedBox(box.xyxy_norm1000, label, colour, m_index, box.start)
            )


def _colour(
    assigned: dict[str, tuple[int, int, int]], label: str
) -> tuple[int, int, int]:
    colour = assigned.get(label)
    if colour is None:
        colour = assigned[label] = PALETTE[len(assigned) % len(PALETTE)]
    return colour
