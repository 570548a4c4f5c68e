"""Which layout a record is in, and what its markup says of the model.

Cheap by design: key checks and ``in`` tests on the texts; the only parse is of the numbers
after ``bbox_2d`` when a record has them, to tell Qwen2.5-VL's pixels from Qwen3-VL's 0..1000.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from datakit.family.profiles import Layout, ModelName

_BBOX_NUMBERS_RE = re.compile(r'"(?:bbox|point)_2d"\s*:\s*\[([^\]]{0,200})\]')
_NUMBER_RE = re.compile(r"[0-9]+(?:\.[0-9]*)?")


@dataclass(frozen=True, slots=True)
class Detection:
    """``layout`` (None when the record fits none), ``model`` (None when the markup does not
    tell) and ``why`` in words."""

    layout: Layout | None
    model: ModelName | None
    why: str


def _texts(record: Mapping[str, Any]) -> Iterator[str]:
    for key in ("messages", "conversations"):
        turns = record.get(key)
        if isinstance(turns, list):
            for m in turns:
                if isinstance(m, Mapping):
                    for v in m.values():
                        if isinstance(v, str):
                            yield v
    for key in ("query", "response", "system"):
        if isinstance(record.get(key), str):
            yield record[key]
    history = record.get("history")
    if isinstance(history, list):
        for pair in history:
            if isinstance(pair, list):
                yield from (v for v in pair if isinstance(v, str))


def _first_role(record: Mapping[str, Any], key: str, role_key: str) -> object:
    turns = record.get(key)
    if isinstance(turns, list):
        for m in turns:
            if isinstance(m, Mapping) and role_key in m:
                return m[role_key]
    return None


def _layout(record: Mapping[str, Any]) -> tuple[Layout | None, str]:
    if "messages" in record:
        if "objects" in record:
            return "ms-swift", "messages with objects (ms-swift grounding)"
        return "ms-swift", (
            "messages of role/content: ms-swift, and LLaMA-Factory's messages variant"
        )
    if "query" in record:
        return "ms-swift", "query/response (ms-swift)"
    if "conversations" in record:
        role = _first_role(record, "conversations", "from")
        if role in ("human", "gpt"):
            if "image" in record:
                return "qwen-vl-finetune", "human/gpt turns with an image key"
            if "images" in record:
                return "sharegpt", "human/gpt turns with an images list (LLaMA-Factory)"
            return "sharegpt", (
                "human/gpt turns without pictures (LLaMA-Factory or qwen-vl-finetune)"
            )
        if role in ("user", "assistant", "system"):
            return "qwen-vl", "user/assistant turns under from/value (Qwen-VL)"
        return None, f"conversations whose first from is {role!r}"
    return None, "no messages, conversations or query key"


def _model(record: Mapping[str, Any]) -> tuple[ModelName | None, str]:
    qwen2 = v1 = json_boxes = False
    for text in _texts(record):
        if "<|box_start|>" in text or "<|object_ref_start|>" in text:
            qwen2 = True
        if "bbox_2d" in text or "point_2d" in text:
            json_boxes = True
        if "<box>" in text or "<ref>" in text or "<img>" in text:
            v1 = True
    if qwen2:
        return "qwen2-vl", "Qwen2-VL box tokens (ms-swift writes them for Qwen2.5-VL too)"
    if json_boxes:
        for text in _texts(record):
            for m in _BBOX_NUMBERS_RE.finditer(text):
                if any(float(n) > 1000 for n in _NUMBER_RE.findall(m.group(1))):
                    return "qwen2.5-vl", "bbox_2d with coordinates above 1000 (resized pixels)"
        return None, "bbox_2d: Qwen2.5-VL or Qwen3-VL; no coordinate above 1000 tells which"
    if v1:
        return "qwen-vl", "Qwen-VL <ref>/<box>/<img> tags"
    return None, "no box markup"


def detect(record: Mapping[str, Any]) -> Detection:
    layout, layout_why = _layout(record)
    model, model_why = _model(record)
    if model is None and layout == "qwen-vl":
        model, model_why = "qwen-vl", "Qwen-VL's own layout"
    return Detection(layout, model, f"{layout_why}; {model_why}")
