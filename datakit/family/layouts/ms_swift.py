"""ms-swift JSONL records (``docs/source_en/Customization/Custom-dataset.md``).

Read: ``{"messages": [{"role", "content"}], "images": [...], "objects": {...}}`` with one
``<image>`` per picture; the ``query``/``response``/``history`` (and ``system``) form; the
``conversations`` form with ``from``/``value``; and pictures as v1 ``<img>PATH</img>`` in the
text when there is no ``images`` key (ms-swift's own Qwen-VL test data). Boxes are read in the
model's markup, or from ``objects`` the way ms-swift's template fills them: the n-th
``<ref-object>`` of the conversation takes ``ref[n]`` and the n-th ``<bbox>`` takes ``bbox[n]``
(``[x1, y1, x2, y2]`` or a point ``[x, y]``) in ``bbox_type`` space (``real``, the default:
pixels of picture ``image_id[n]``, 0 by default, so ``source_px``; ``norm1``: fractions).
Boxes right after a ref belong to it. Placeholders beyond the lists stay text, as in ms-swift.
With fewer ``<image>`` than pictures, the missing tags go at the start of the first
non-system message, as ms-swift adds them.

Written: ``{"messages", "images"}`` (``images`` only when there are pictures), then the other
keys. By default boxes are inline in the model's markup on its scale. With ``objects=True``
the texts carry ``<ref-object>``/``<bbox>`` and ``objects`` holds ``ref``, ``bbox`` in pixels
of the stored picture (``bbox_type: "real"``) and ``image_id``, so that ms-swift itself puts
them on the model's scale after its own resize.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from datakit.family.layouts._common import (
    ROLES,
    ReadResult,
    TurnReader,
    WriteError,
    check_image_count,
    extra_keys,
    image_list,
    on_scale,
    render,
    sizes_of,
    text_of,
)
from datakit.family.markup import IMAGE_TAG
from datakit.family.profiles import ModelProfile
from datakit.family.sample import (
    Box,
    BoxSpace,
    Grounded,
    Image,
    ImageSlot,
    Part,
    Sample,
    Text,
    Turn,
)
from datakit.family.spaces import PictureSizes, to_source_px

REF_OBJECT, BBOX = "<ref-object>", "<bbox>"
KEYS = ("messages", "images", "objects")
_PLACEHOLDER_RE = re.compile(r"<ref-object>|<bbox>")
_IMG_RE = re.compile(r"<img>(.*?)</img>", re.DOTALL)
_BBOX_TYPES: dict[str, BoxSpace] = {"real": "source_px", "norm1": "norm1"}


def _messages(record: Mapping[str, Any], reader: TurnReader) -> tuple[list[Any], tuple[str, ...]]:
    """The record's turns as ``{"role", "content"}`` and the keys that held them."""
    if "messages" in record:
        messages = record["messages"]
        return (messages if isinstance(messages, list) else [messages]), ("messages",)
    if "conversations" in record:
        out: list[Any] = []
        convs = record["conversations"]
        for m in convs if isinstance(convs, list) else [convs]:
            out.append(
                {"role": m.get("from"), "content": m.get("value")} if isinstance(m, Mapping) else m
            )
        return out, ("conversations",)
    if "query" in record:
        out = []
        if isinstance(record.get("system"), str):
            out.append({"role": "system", "content": record["system"]})
        history = record.get("history") or []
        for pair in history if isinstance(history, list) else []:
            if isinstance(pair, list) and len(pair) == 2:
                out += [
                    {"role": "user", "content": pair[0]},
                    {"role": "assistant", "content": pair[1]},
                ]
            else:
                reader.problem("malformed-history", "history holds a non-pair", "history")
        out.append({"role": "user", "content": record.get("query")})
        if record.get("response") is not None:
            out.append({"role": "assistant", "content": record.get("response")})
        return out, ("query", "response", "history", "system")
    reader.problem("missing-key", "the record has no messages", "messages")
    return [], ()


def read_record(record: Mapping[str, Any], model: ModelProfile) -> ReadResult:
    legacy_img = "images" not in record
    reader = TurnReader(model, IMAGE_TAG)
    messages, used = _messages(record, reader)
    field_base = used[0] if used and used[0] != "query" else "messages"
    objects = _Objects(record.get("objects"), reader)
    for i, message in enumerate(messages):
        field = f"{field_base}[{i}]"
        if not isinstance(message, Mapping):
            reader.problem("not-an-object", f"{field} is not an object", field)
            continue
        role = message.get("role")
        if role not in ROLES:
            reader.problem("unknown-role", f"{field}.role is {role!r}", f"{field}.role")
            continue
        content = text_of(message.get("content"), f"{field}.content", reader)
        if legacy_img and "<img>" in content:
            reader.image_paths.extend(_IMG_RE.findall(content))
            content = _IMG_RE.sub(IMAGE_TAG, content)
        parts = reader.add(role, content, f"{field}.content")
        if objects.present:
            reader.turns[-1] = Turn(role, objects.fill(parts))
    images = (
        tuple(Image(p) for p in reader.image_paths)
        if legacy_img
        else image_list(record, "images", reader)
    )
    if reader.slots < len(images):
        _add_default_tags(reader, len(images) - reader.slots)
    check_image_count(reader, images, "images")
    objects.check_used()
    sample = Sample(tuple(reader.turns), images, None, extra_keys(record, KEYS + used))
    return ReadResult(sample, tuple(reader.problems))


def _add_default_tags(reader: TurnReader, missing: int) -> None:
    """As ms-swift does for pictures without a tag: that many ``<image>`` at the start of the
    first non-system message, the pictures numbered again in text order."""
    first = next((i for i, t in enumerate(reader.turns) if t.role != "system"), None)
    if first is None:
        return
    turns = list(reader.turns)
    turns[first] = Turn(turns[first].role, (*(ImageSlot(0),) * missing, *turns[first].parts))
    index = 0
    for i, turn in enumerate(turns):
        parts: list[Part] = []
        for part in turn.parts:
            if isinstance(part, ImageSlot):
                part = ImageSlot(index)
                index += 1
            parts.append(part)
        turns[i] = Turn(turn.role, tuple(parts))
    reader.turns = turns
    reader.slots = index


class _Objects:
    """ms-swift's ``objects``: refs and boxes handed out in order to the placeholders."""

    def __init__(self, value: object, reader: TurnReader) -> None:
        self.reader = reader
        self.present = isinstance(value, Mapping)
        self.refs: list[str] = []
        self.boxes: list[Box | None] = []
        self.ref_at = self.box_at = 0
        if value is None:
            return
        if not isinstance(value, Mapping):
            reader.problem("not-an-object", "objects is not an object", "objects")
            return
        refs = value.get("ref") or []
        self.refs = [str(r) for r in refs] if isinstance(refs, list) else []
        bbox_type = value.get("bbox_type", "real")
        space = _BBOX_TYPES.get(bbox_type) if isinstance(bbox_type, str) else None
        if space is None:
            reader.problem(
                "bbox-type",
                f'objects.bbox_type is {bbox_type!r}; ms-swift takes "real" or "norm1"',
                "objects.bbox_type",
            )
            space = "source_px"
        image_ids = value.get("image_id") or []
        bboxes = value.get("bbox") or []
        for n, coords in enumerate(bboxes if isinstance(bboxes, list) else []):
            image = image_ids[n] if isinstance(image_ids, list) and n < len(image_ids) else 0
            ok = (
                isinstance(coords, list)
                and len(coords) in (2, 4)
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in coords)
            )
            if not ok or not isinstance(image, int):
                reader.problem(
                    "box-arity",
                    f"objects.bbox[{n}] must be [x1, y1, x2, y2] or [x, y] numbers on an "
                    "integer image_id",
                    f"objects.bbox[{n}]",
                )
                self.boxes.append(None)
                continue
            self.boxes.append(Box(tuple(float(v) for v in coords), space, image))

    def fill(self, parts: Sequence[Part]) -> tuple[Part, ...]:
        out: list[Part] = []
        for part in parts:
            if not isinstance(part, Text) or (
                "<ref-object>" not in part.text and "<bbox>" not in part.text
            ):
                out.append(part)
                continue
            done = 0
            for m in _PLACEHOLDER_RE.finditer(part.text):
                if m.group(0) == REF_OBJECT and self.ref_at < len(self.refs):
                    _add_text(out, part.text[done : m.start()])
                    out.append(Grounded(self.refs[self.ref_at], ()))
                    self.ref_at += 1
                    done = m.end()
                elif m.group(0) == BBOX and self.box_at < len(self.boxes):
                    box = self.boxes[self.box_at]
                    self.box_at += 1
                    if box is None:
                        continue
                    _add_text(out, part.text[done : m.start()])
                    last = out[-1] if out else None
                    if isinstance(last, Grounded) and done == m.start():
                        out[-1] = Grounded(last.label, (*last.boxes, box))
                    else:
                        out.append(Grounded(None, (box,)))
                    done = m.end()
            _add_text(out, part.text[done:])
        return tuple(out)

    def check_used(self) -> None:
        if self.ref_at < len(self.refs) or self.box_at < len(self.boxes):
            self.reader.problem(
                "objects-unused",
                f"objects has {len(self.refs)} ref and {len(self.boxes)} bbox but the texts "
                f"have only {self.ref_at} {REF_OBJECT} and {self.box_at} {BBOX} for them",
                "objects",
            )


def _add_text(out: list[Part], text: str) -> None:
    if not text:
        return
    last = out[-1] if out else None
    if isinstance(last, Text):
        out[-1] = Text(last.text + text)
    else:
        out.append(Text(text))


def write_record(
    sample: Sample,
    model: ModelProfile,
    sizes: Sequence[PictureSizes | None] | None = None,
    *,
    objects: bool = False,
) -> dict[str, Any]:
    """``{"messages", "images"}`` then ``sample.extra`` (``objects`` after ``images`` when
    asked for)."""
    known = sizes_of(sample, sizes)
    if objects:
        return _write_objects(sample, known)
    sample = on_scale(sample, model, known)
    messages = [
        {"role": turn.role, "content": render(turn, model, sample, IMAGE_TAG)}
        for turn in sample.turns
    ]
    return _finish(sample, {"messages": messages})


def _finish(
    sample: Sample, out: dict[str, Any], objects: dict[str, Any] | None = None
) -> dict[str, Any]:
    if sample.images:
        out["images"] = [image.path for image in sample.images]
    if objects is not None:
        out["objects"] = objects
    out.update((k, v) for k, v in sample.extra.items() if k not in out)
    return out


def _write_objects(sample: Sample, sizes: Sequence[PictureSizes | None]) -> dict[str, Any]:
    refs: list[str] = []
    bboxes: list[list[float]] = []
    image_ids: list[int] = []
    messages = []
    for turn in sample.turns:
        text: list[str] = []
        for part in turn.parts:
            if isinstance(part, Text):
                text.append(part.text)
            elif isinstance(part, Grounded):
                if part.label is not None:
                    refs.append(part.label)
                    text.append(REF_OBJECT)
                for box in part.boxes:
                    bboxes.append(_source_px(box, sizes))
                    image_ids.append(box.image)
                    text.append(BBOX)
            else:
                text.append(IMAGE_TAG)
        messages.append({"role": turn.role, "content": "".join(text)})
    objects = {"ref": refs, "bbox": bboxes, "bbox_type": "real", "image_id": image_ids}
    return _finish(sample, {"messages": messages}, objects if bboxes or refs else None)


def _source_px(box: Box, sizes: Sequence[PictureSizes | None]) -> list[float]:
    if box.space == "source_px":
        return [_plain(v) for v in box.coords]
    size = sizes[box.image] if 0 <= box.image < len(sizes) else None
    if size is None:
        raise WriteError(
            f"objects are written in pixels; a box on picture {box.image + 1} is in "
            f"{box.space} and that picture's size is unknown"
        )
    try:
        return [_plain(round(v, 2)) for v in to_source_px(box, size)]
    except ValueError as exc:
        raise WriteError(str(exc)) from exc


def _plain(v: float) -> float:
    # Whole numbers print as integers, as ms-swift's own examples do.
    return int(v) if float(v).is_integer() else float(v)
