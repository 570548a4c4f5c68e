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
    render,
    sizes_of,
    text_of,
)
from datakit.family.markup import IMAGE_TAG
from datakit.family.profiles import ModelProfile
from datakit.family.sample import Role, Sample
from datakit.family.spaces import PictureSizes

Variant = Literal["conversations", "messages"]
VARIANTS: tuple[Variant, ...] = ("conversations", "messages")
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
    turns = record.get(key)
    if not isinstance(turns, list):
        reader.problem("missing-key", f"{key} is missing or not a list", key)
        turns = []
    for i, message in enumerate(turns):
        field = f"{key}[{i}]"
        if not isinstance(message, Mapping):
            reader.problem("not-an-object", f"{field} is not an object", field)
            continue
        tag = message.get(role_key)
        role = roles.get(tag) if isinstance(tag, str) else None
        if role is None:
            reader.problem(
                "unknown-role",
                f"{field}.{role_key} is {tag!r}; this variant uses {', '.join(roles)}",
                f"{field}.{role_key}",
            )
            continue
        value = text_of(message.get(content_key), f"{field}.{content_key}", reader)
        reader.add(role, value, f"{field}.{content_key}")
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
    turns = [
        {role_key: tag_of[turn.role], content_key: render(turn, model, sample, IMAGE_TAG)}
        for turn in sample.turns
    ]
    out: dict[str, Any] = {key: turns}
    if sample.images:
        out["images"] = [image.path for image in sample.images]
    out.update((k, v) for k, v in sample.extra.items() if k not in out)
    return out


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
