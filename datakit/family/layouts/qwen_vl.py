"""Qwen-VL (v1) ``finetune.py`` records.

Read and written: ``{"id": str, "conversations": [{"from": "user" | "assistant", "value":
str}]}``, then the record's other keys in their order. Pictures are in the text as
``Picture N: <img>PATH</img>\\n``; boxes are ``<ref>``/``<box>`` tags on the [0, 1000) grid.
A ``system`` turn is read (ms-swift's copy of this layout has one) but not written:
``finetune.py`` knows only ``user`` and ``assistant``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from datakit.family.layouts._common import (
    ROLES,
    ReadResult,
    TurnReader,
    WriteError,
    extra_keys,
    on_scale,
    render,
    sizes_of,
    text_of,
)
from datakit.family.profiles import ModelProfile
from datakit.family.sample import Image, Role, Sample
from datakit.family.spaces import PictureSizes

KEYS = ("id", "conversations")


def read_record(record: Mapping[str, Any], model: ModelProfile) -> ReadResult:
    reader = TurnReader(model, None)
    turns = record.get("conversations")
    if not isinstance(turns, list):
        reader.problem("missing-key", "conversations is missing or not a list", "conversations")
        turns = []
    for i, message in enumerate(turns):
        field = f"conversations[{i}]"
        if not isinstance(message, Mapping):
            reader.problem("not-an-object", f"{field} is not an object", field)
            continue
        role = message.get("from")
        if role not in ROLES:
            reader.problem(
                "unknown-role",
                f'{field}.from is {role!r}; Qwen-VL records use "user" and "assistant"',
                f"{field}.from",
            )
            continue
        value = text_of(message.get("value"), f"{field}.value", reader)
        reader.add(role, value, f"{field}.value")
    raw_id = record.get("id")
    sample = Sample(
        tuple(reader.turns),
        tuple(Image(p) for p in reader.image_paths),
        None if raw_id is None else str(raw_id),
        extra_keys(record, KEYS),
    )
    return ReadResult(sample, tuple(reader.problems))


def write_record(
    sample: Sample, model: ModelProfile, sizes: Sequence[PictureSizes | None] | None = None
) -> dict[str, Any]:
    """``{"id", "conversations"}`` then ``sample.extra``; ``id`` is left out when unknown."""
    if sample.images and model.box_markup != "v1-tags":
        raise WriteError(
            f"Qwen-VL's layout writes pictures as <img> tags, which {model.title} lacks"
        )
    sample = on_scale(sample, model, sizes_of(sample, sizes))
    conversations = []
    for turn in sample.turns:
        role: Role = turn.role
        if role == "system":
            raise WriteError(
                "Qwen-VL's finetune.py has no system turn; drop it or pick another target"
            )
        conversations.append({"from": role, "value": render(turn, model, sample, None)})
    out: dict[str, Any] = {}
    if sample.id is not None:
        out["id"] = sample.id
    out["conversations"] = conversations
    out.update((k, v) for k, v in sample.extra.items() if k not in out)
    return out
