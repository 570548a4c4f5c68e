"""The family branch's one door to ``datakit.family``: detect a layout, read a record as a
``Sample``, size its pictures. Per worker process the read model and resize rule are kept per
target; everything else is the family package's own.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datakit.family.layouts._common import ReadResult
    from datakit.family.vision import ResizeRule
    from datakit.validation.family_target_type import FamilyTarget
    from datakit.validation.images import ImageChecker


def detect(record: Any) -> Any:
    """``datakit.family.layouts.detect`` (None when the record is not an object)."""
    if not isinstance(record, Mapping):
        return None
    from datakit.family.layouts import detect as detect_layout

    return detect_layout(record)


def texts(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(text, its JSON path after the record's own) of every message text of the record."""
    out: list[tuple[str, str]] = []
    for key in ("messages", "conversations"):
        turns = record.get(key)
        if isinstance(turns, list):
            for i, turn in enumerate(turns):
                if isinstance(turn, Mapping):
                    for field in ("content", "value"):
                        text = turn.get(field)
                        if isinstance(text, str):
                            out.append((text, f".{key}[{i}].{field}"))
    for key in ("system", "query", "response"):
        text = record.get(key)
        if isinstance(text, str):
            out.append((text, f".{key}"))
    return out


def has_json_boxes(record: Any) -> bool:
    """Whether a text of the record writes JSON boxes (Qwen2.5-VL or Qwen3-VL)."""
    if not isinstance(record, Mapping):
        return False
    return any("bbox_2d" in text or "point_2d" in text for text, _ in texts(record))


def read(record: Mapping[str, Any], target: FamilyTarget) -> ReadResult:
    """The record read in the target's layout, as the model's markup."""
    from datakit.family.layouts import read_record
    from datakit.family.profiles import model

    return read_record(record, model(target.model), target.layout)  # type: ignore[arg-type]


@functools.cache
def resize_rule_for(model_name: str, framework_name: str, min_pixels: int | None,
                    max_pixels: int | None) -> ResizeRule:
    from datakit.family.profiles import framework, model
    from datakit.family.vision import resize_rule

    return resize_rule(model(model_name), framework(framework_name), min_pixels=min_pixels,
                       max_pixels=max_pixels)


def target_rule(target: FamilyTarget) -> ResizeRule:
    return resize_rule_for(target.model, target.framework, target.min_pixels, target.max_pixels)


@dataclass(frozen=True, slots=True)
class Picture:
    """One picture of a sample: its stored size (None when unknown) and, when the processor
    takes it, its size after the framework's and the processor's resize."""

    path: str
    source_px: tuple[int, int] | None
    resized_px: tuple[int, int] | None
    refused: str | None = None  # why the processor raises on it


def pictures(paths: list[str], images: ImageChecker | None, rule: ResizeRule) -> list[Picture]:
    """Each path's sizes, from the image headers the image checker reads (once per path)."""
    from datakit.family.vision import ImageTooSmall, resized_size_px

    out: list[Picture] = []
    for path in paths:
        size: tuple[int, int] | None = None
        if images is not None and images.mode in ("header", "decode"):
            status = images.check(path)
            if status.width is not None and status.height is not None:
                size = (status.width, status.height)
        if size is None:
            out.append(Picture(path, None, None))
            continue
        try:
            out.append(Picture(path, size, resized_size_px(size, rule)))
        except ImageTooSmall as exc:
            out.append(Picture(path, size, None, str(exc)))
    return out
