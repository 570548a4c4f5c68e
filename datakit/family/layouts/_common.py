"""What the layouts share: the read result, turn reading and writing, boxes onto the model's
scale."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from datakit.family.markup import Problem, parse_text, render_turn
from datakit.family.profiles import ModelProfile
from datakit.family.sample import Box, Grounded, Image, ImageSlot, Part, Role, Sample, Turn
from datakit.family.spaces import PictureSizes, convert

ROLES: tuple[Role, ...] = ("system", "user", "assistant")


class WriteError(ValueError):
    """A sample that cannot be written for this layout or model; the message says why and
    what to do."""


@dataclass(frozen=True, slots=True)
class ReadResult:
    """A record read: the sample (best effort) and every problem found on the way."""

    sample: Sample
    problems: tuple[Problem, ...]


class TurnReader:
    """Reads the texts of one record in order, numbering pictures across turns."""

    def __init__(self, model: ModelProfile, image_tag: str | None) -> None:
        self.model = model
        self.image_tag = image_tag
        self.turns: list[Turn] = []
        self.problems: list[Problem] = []
        self.image_paths: list[str] = []
        self.slots = 0

    def add(self, role: Role, text: str, field: str) -> tuple[Part, ...]:
        """Parse one text into a turn. A box refers to the last picture shown before it in
        the conversation (the first, when none is)."""
        parsed = parse_text(text, self.model, image_tag=self.image_tag, first_image=self.slots)
        parts = parsed.parts
        if any(isinstance(p, ImageSlot) for p in parts) or self.slots > 1:
            parts = tuple(self._on_picture(p) for p in parts)
        self.image_paths.extend(parsed.image_paths)
        for p in parsed.problems:
            self.problems.append(dataclasses.replace(p, field=field))
        self.turns.append(Turn(role, parts))
        return parts

    def _on_picture(self, part: Part) -> Part:
        if isinstance(part, ImageSlot):
            self.slots = part.index + 1
        elif isinstance(part, Grounded) and part.boxes and self.slots > 1:
            image = self.slots - 1
            return Grounded(part.label, tuple(Box(b.coords, b.space, image) for b in part.boxes))
        return part

    def problem(self, kind: str, message: str, field: str, offset: int = -1) -> None:
        self.problems.append(Problem(kind, message, offset, field))


def text_of(value: object, field: str, reader: TurnReader) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    reader.problem("not-text", f"{field} is {type(value).__name__}, not a string", field)
    return ""


def turn_list(record: Mapping[str, Any], key: str, reader: TurnReader) -> list[Any]:
    """The record's list of turns under ``key`` (empty, with a problem, when it is not one)."""
    turns = record.get(key)
    if isinstance(turns, list):
        return turns
    reader.problem("missing-key", f"{key} is missing or not a list", key)
    return []


def read_turns(
    messages: Sequence[Any],
    key: str,
    keys: tuple[str, str],
    roles: Mapping[str, Role],
    reader: TurnReader,
    roles_hint: str = "",
) -> Iterator[tuple[Role, str, str]]:
    """(role, text, the text's field) of each message that is an object with a known role;
    ``keys`` are the role and text keys (``from``/``value`` or ``role``/``content``). The
    others are noted as problems, ``roles_hint`` ending the unknown-role message."""
    role_key, text_key = keys
    for i, message in enumerate(messages):
        field = f"{key}[{i}]"
        if not isinstance(message, Mapping):
            reader.problem("not-an-object", f"{field} is not an object", field)
            continue
        tag = message.get(role_key)
        role = roles.get(tag) if isinstance(tag, str) else None
        if role is None:
            where = f"{field}.{role_key}"
            reader.problem("unknown-role", f"{where} is {tag!r}{roles_hint}", where)
            continue
        text_field = f"{field}.{text_key}"
        yield role, text_of(message.get(text_key), text_field, reader), text_field


def write_turns(
    sample: Sample,
    model: ModelProfile,
    keys: tuple[str, str],
    tags: Mapping[Role, str],
    image_tag: str | None,
    no_tag: str = "",
) -> list[dict[str, str]]:
    """The sample's turns as ``{role key: tag, text key: text}``; a role without a tag is
    refused with ``no_tag`` as the message."""
    role_key, text_key = keys
    out = []
    for turn in sample.turns:
        tag = tags.get(turn.role)
        if tag is None:
            raise WriteError(no_tag)
        out.append({role_key: tag, text_key: render(turn, model, sample, image_tag)})
    return out


def with_extra(out: dict[str, Any], sample: Sample) -> dict[str, Any]:
    """``out`` followed by the sample's other keys (those not written already)."""
    out.update((k, v) for k, v in sample.extra.items() if k not in out)
    return out


def image_list(record: Mapping[str, Any], key: str, reader: TurnReader) -> tuple[Image, ...]:
    value = record.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        reader.problem("not-a-list", f"{key} is not a list of paths", key)
        return ()
    out: list[Image] = []
    for i, path in enumerate(value):
        if isinstance(path, str):
            out.append(Image(path))
        else:
            reader.problem("not-text", f"{key}[{i}] is not a path string", f"{key}[{i}]")
    return tuple(out)


def check_image_count(reader: TurnReader, images: Sequence[Image], key: str) -> None:
    if reader.slots != len(images):
        tag = reader.image_tag or "<img>"
        reader.problem(
            "image-count",
            f"the texts have {reader.slots} {tag} but {key} lists {len(images)} pictures; "
            f"each picture needs exactly one {tag}, in order",
            key,
        )


def extra_keys(record: Mapping[str, Any], known: Sequence[str]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in known}


def sizes_of(
    sample: Sample, sizes: Sequence[PictureSizes | None] | None
) -> list[PictureSizes | None]:
    """Per picture: the sizes given, or the stored size the sample knows."""
    out: list[PictureSizes | None] = []
    for i, image in enumerate(sample.images):
        given = sizes[i] if sizes is not None and i < len(sizes) else None
        if given is None and image.size_px is not None:
            given = PictureSizes(image.size_px)
        out.append(given)
    return out


def on_scale(sample: Sample, model: ModelProfile, sizes: Sequence[PictureSizes | None]) -> Sample:
    """The sample with every box in ``model``'s space and rounding. A box already in that
    space is kept as it is (a reader's boxes are on their model's grid)."""
    target = model.box_space
    v1_grid = model.box_markup == "v1-tags"

    def put(box: Box) -> Box:
        if box.space == target:
            if all(float(v).is_integer() for v in box.coords):
                return box
            # Fractions already in the target space only need the target's rounding.
            if v1_grid:
                return Box(tuple(min(999, math.floor(v)) for v in box.coords), target, box.image)
            return Box(tuple(math.floor(v + 0.5) for v in box.coords), target, box.image)
        size = sizes[box.image] if 0 <= box.image < len(sizes) else None
        if size is None:
            raise WriteError(
                f"a box on picture {box.image + 1} is in {box.space}; writing it for "
                f"{model.title} ({target}) needs that picture's size"
            )
        if target == "resized_px" and size.resized_px is None:
            raise WriteError(
                f"{model.title} boxes are in pixels of the resized picture; picture "
                f"{box.image + 1} needs its resized size (datakit.family.vision.resized_size_px)"
            )
        return convert(box, target, size, v1_grid=v1_grid)

    turns = []
    for turn in sample.turns:
        parts: list[Part] = []
        for part in turn.parts:
            if isinstance(part, Grounded) and part.boxes:
                part = Grounded(part.label, tuple(put(b) for b in part.boxes))
            parts.append(part)
        turns.append(Turn(turn.role, tuple(parts)))
    return dataclasses.replace(sample, turns=tuple(turns))


def render(turn: Turn, model: ModelProfile, sample: Sample, image_tag: str | None) -> str:
    try:
        return render_turn(turn, model, images=sample.images, image_tag=image_tag)
    except ValueError as exc:
        raise WriteError(str(exc)) from exc
