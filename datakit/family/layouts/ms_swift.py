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
    check_image_count,
    extra_keys,
    image_list,
    on_scale,
    read_turns,
    sizes_of,
    with_extra,
    write_turns,
)
from datakit.family.layouts.ms_swift_objects import Objects, write_objects
from datakit.family.markup import IMAGE_TAG
from datakit.family.profiles import ModelProfile
from datakit.family.sample import (
    Image,
    ImageSlot,
    Part,
    Role,
    Sample,
    Turn,
)
from datakit.family.spaces import PictureSizes

KEYS = ("messages", "images", "objects")
_IMG_RE = re.compile(r"<img>(.*?)</img>", re.DOTALL)
_KEYS = ("role", "content")
_ROLES: dict[str, Role] = {role: role for role in ROLES}
_TAGS: dict[Role, str] = {role: role for role in ROLES}


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
    objects = Objects(record.get("objects"), reader)
    for role, content, field in read_turns(messages, field_base, _KEYS, _ROLES, reader):
        if legacy_img and "<img>" in content:
            reader.image_paths.extend(_IMG_RE.findall(content))
            content = _IMG_RE.sub(IMAGE_TAG, content)
        parts = reader.add(role, content, field)
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
        messages, filled = write_objects(sample, known)
        return _finish(sample, {"messages": messages}, filled)
    sample = on_scale(sample, model, known)
    messages = write_turns(sample, model, _KEYS, _TAGS, IMAGE_TAG)
    return _finish(sample, {"messages": messages})


def _finish(
    sample: Sample, out: dict[str, Any], objects: dict[str, Any] | None = None
) -> dict[str, Any]:
    if sample.images:
        out["images"] = [image.path for image in sample.images]
    if objects is not None:
        out["objects"] = objects
    return with_extra(out, sample)
