"""LLaMA-Factory ``sharegpt`` records (``data/README.md``) and their ``dataset_info.json`` entry.

Two variants, picked by the entry's ``columns``/``tags``:
- ``conversations`` (the default tags): ``{"conversations": [{"from": "human" | "gpt" |
  "system", "value"}], "images": [...]}``;
- ``messages`` (``mllm_demo.json``): ``{"messages": [{"role": "user" | "assistant" |
  "system", "content"}], "images": [...]}``.
One ``<image>`` per picture. LLaMA-Factory has no box handling, so boxes are text in the model's
markup, on its scale. Written keys: the turns, ``images`` (only with pictures), then the
record's other keys. A top-level ``system`` string (the ``system`` column) is read as the
system turn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

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

Variant = Literal["conversations", "messages"]
# (turns key, role key, content key, {tag: role})
_TAGS: dict[Variant, tuple[str, str, str, dict[str, Role]]] = {
    "conversations": (
        "conversations",
        "from",
        "value",
        {"human": "user", "gpt": "assistant", "system": "system"},
    ),
    "messages": (
        "messages",
        "role",
        "content",
        {"user": "user", "assistant": "assistant", "system": "system"},
    ),
}


def variant_of(record: Mapping[str, Any]) -> Variant:
    return "messages" if "messages" in record and "conversations" not in record else "conversations"


def read_record(record: Mapping[str, Any], model: ModelProfile) -> ReadResult:
    variant = variant_of(record)
    key, role_key, content_key, roles = _TAGS[variant]
    reader = TurnReader(model, IMAGE_TAG)
    system = record.get("system")
    if isinstance(system, str) and system:
        reader.add("system", system, "system")
    hint = f"; this variant uses {', '.join(roles)}"
    turns = turn_list(record, key, reader)
    for role, text, field in read_turns(turns, key, (role_key, content_key), roles, reader, hint):
        reader.add(role, text, field)
    images = image_list(record, "images", reader)
    check_image_count(reader, images, "images")
    extra = extra_keys(record, (key, "images", "system"))
    return ReadResult(Sample(tuple(reader.turns), images, None, extra), tuple(reader.problems))


def write_record(
    sample: Sample,
    model: ModelProfile,
    sizes: Sequence[PictureSizes | None] | None = None,
    *,
    variant: Variant = "conversations",
) -> dict[str, Any]:
    """The turns under ``conversations`` or ``messages``, ``images``, then ``sample.extra``."""
    key, role_key, content_key, roles = _TAGS[variant]
    tag_of = {role: tag for tag, role in roles.items()}
    sample = on_scale(sample, model, sizes_of(sample, sizes))
    out: dict[str, Any] = {
        key: write_turns(sample, model, (role_key, content_key), tag_of, IMAGE_TAG)
    }
    if sample.images:
        out["images"] = [image.path for image in sample.images]
    return with_extra(out, sample)


def dataset_info_entry(
    name: str, file_name: str, variant: Variant = "conversations"
) -> dict[str, Any]:
    """``{name: {...}}`` to merge into LLaMA-Factory's ``data/dataset_info.json``; the
    ``messages`` variant is registered as upstream registers ``mllm_demo``."""
    entry: dict[str, Any] = {"file_name": file_name, "formatting": "sharegpt"}
    if variant == "messages":
        entry["columns"] = {"messages": "messages", "images": "images"}
        entry["tags"] = {
            "role_tag": "role",
            "content_tag": "content",
            "user_tag": "user",
            "assistant_tag": "assistant",
            "system_tag": "system",
        }
    else:
        entry["columns"] = {"messages": "conversations", "images": "images"}
    return {name: entry}
