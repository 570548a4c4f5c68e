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
from datakit.family.sample import Role, Sample
from datakit.family.spaces import PictureSizes

KEYS = ("image", "conversations")
_ROLES: dict[str, Role] = {"human": "user", "gpt": "assistant"}


def read_record(record: Mapping[str, Any], model: ModelProfile) -> ReadResult:
    reader = TurnReader(model, IMAGE_TAG)
    turns = record.get("conversations")
    if not isinstance(turns, list):
        reader.problem("missing-key", "conversations is missing or not a list", "conversations")
        turns = []
    for i, message in enumerate(turns):
        field = f"conversations[{i}]"
        if not isinstance(message, Mapping):
            reader.problem("not-an-object", f"{field} is not an object", field)
            continue
        tag = message.get("from")
        role = _ROLES.get(tag) if isinstance(tag, str) else None
        if role is None:
            reader.problem(
                "unknown-role",
                f'{field}.from is {tag!r}; qwen-vl-finetune uses "human" and "gpt"',
                f"{field}.from",
            )
            continue
        reader.add(role, text_of(message.get("value"), f"{field}.value", reader), f"{field}.value")
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
    conversations = []
    for turn in sample.turns:
        if turn.role == "system":
            raise WriteError(
                "qwen-vl-finetune records have no system turn; its chat template adds the "
                "default one"
            )
        tag = "human" if turn.role == "user" else "gpt"
        conversations.append({"from": tag, "value": render(turn, model, sample, IMAGE_TAG)})
    out["conversations"] = conversations
    out.update((k, v) for k, v in sample.extra.items() if k not in out)
    return out
