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
    read_turns,
    sizes_of,
    turn_list,
    with_extra,
    write_turns,
)
from datakit.family.profiles import ModelProfile
from datakit.family.sample import Image, Role, Sample
from datakit.family.spaces import PictureSizes

KEYS = ("id", "conversations")
_KEYS = ("from", "value")
_ROLES: dict[str, Role] = {role: role for role in ROLES}
_TAGS: dict[Role, str] = {"user": "user", "assistant": "assistant"}


def read_record(record: Mapping[str, Any], model: ModelProfile) -> ReadResult:
    reader = TurnReader(model, None)
    turns = turn_list(record, "conversations", reader)
    hint = '; Qwen-VL records use "user" and "assistant"'
    for role, text, field in read_turns(turns, "conversations", _KEYS, _ROLES, reader, hint):
        reader.add(role, text, field)
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
    no_system = "Qwen-VL's finetune.py has no system turn; drop it or pick another target"
    conversations = write_turns(sample, model, _KEYS, _TAGS, None, no_system)
    out: dict[str, Any] = {}
    if sample.id is not None:
        out["id"] = sample.id
    out["conversations"] = conversations
    return with_extra(out, sample)
