"""Records of Qwen's ``qwen-vl-finetune`` (Qwen2.5-VL / Qwen3-VL repositories).

``{"image": str | [str, ...], "conversations": [{"from": "human" | "gpt", "value":
"<image>\\n..."}]}``: one ``<image>`` per picture, in the human turns. Written keys:
``image`` (a string for one picture, a list for several, absent without), ``conversations``,
then the record's other keys. Its trainer has no system turn in the data (the chat template
adds the default one), so a sample with one cannot be written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from datakit.family.layouts._common import (
    ReadResult,
    TurnReader,
    check_image_count,
    extra_keys,
    image_list,
    on_scale,
    read_turns,
    sizes_of,
    turn_list,
    with_extra,
    write_turns,
)
from datakit.family.markup import IMAGE_TAG
from datakit.family.profiles import ModelProfile
from datakit.family.sample import Role, Sample
from datakit.family.spaces import PictureSizes

KEYS = ("image", "conversations")
_KEYS = ("from", "value")
_ROLES: dict[str, Role] = {"human": "user", "gpt": "assistant"}
_TAGS: dict[Role, str] = {"user": "human", "assistant": "gpt"}


def read_record(record: Mapping[str, Any], model: ModelProfile) -> ReadResult:
    reader = TurnReader(model, IMAGE_TAG)
    turns = turn_list(record, "conversations", reader)
    hint = '; qwen-vl-finetune uses "human" and "gpt"'
    for role, text, field in read_turns(turns, "conversations", _KEYS, _ROLES, reader, hint):
        reader.add(role, text, field)
    images = image_list(record, "image", reader)
    check_image_count(reader, images, "image")
    sample = Sample(tuple(reader.turns), images, None, extra_keys(record, KEYS))
    return ReadResult(sample, tuple(reader.problems))


def write_record(
    sample: Sample, model: ModelProfile, sizes: Sequence[PictureSizes | None] | None = None
) -> dict[str, Any]:
    """``{"image", "conversations"}`` then ``sample.extra``."""
    sample = on_scale(sample, model, sizes_of(sample, sizes))
    out: dict[str, Any] = {}
    if len(sample.images) == 1:
        out["image"] = sample.images[0].path
    elif sample.images:
        out["image"] = [image.path for image in sample.images]
    no_system = (
        "qwen-vl-finetune records have no system turn; its chat template adds the default one"
    )
    out["conversations"] = write_turns(sample, model, _KEYS, _TAGS, IMAGE_TAG, no_system)
    return with_extra(out, sample)
