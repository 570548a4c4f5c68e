"""The options of a COCO conversion, checked as they are made."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from datakit.convert.prompts import PromptSet
from datakit.errors import ConfigError
from datakit.qwenvl.boxes import Rounding

TASKS = ("grounding", "detection", "caption")


@dataclass(frozen=True)
class CocoOptions:
    tasks: tuple[str, ...] = ("grounding",)
    languages: tuple[str, ...] = ("en",)
    # replaces the built-in templates slot by slot
    prompts: PromptSet | None = None
    seed: int = 0
    rounding: Rounding = "floor"
    max_boxes: int | None = None
    include_crowd: bool = False
    # source category name -> name written in <ref>
    renames: Mapping[str, str] = field(default_factory=dict)
    # keep only these source category names (None: all)
    categories: frozenset[str] | None = None
    # prepended to file_name: the path the trainer opens from its working directory
    path_prefix: str = ""
    split: str | None = None
    limit: int | None = None
    caption_mode: Literal["each", "turns"] = "each"
    # when the file's size differs from the annotation's: trust which, or skip the image
    size_mismatch: Literal["file", "annotation", "skip"] = "file"
    # LVIS neg_category_ids as "there is no X" samples (see coco_negatives)
    negatives: bool = False

    def __post_init__(self) -> None:
        unknown = [t for t in self.tasks if t not in TASKS]
        if unknown or not self.tasks:
            raise ConfigError(
                f"unknown task {unknown[0]!r}" if unknown else "no task selected",
                fix=f"choose from {', '.join(TASKS)}",
            )
        if self.max_boxes is not None and self.max_boxes < 1:
            raise ConfigError(f"max_boxes must be at least 1, got {self.max_boxes}")
        if self.limit is not None and self.limit < 0:
            raise ConfigError(f"limit must not be negative, got {self.limit}")
        if self.rounding not in ("floor", "round"):
            raise ConfigError(f"unknown rounding {self.rounding!r}", fix="use floor or round")
        if self.split is not None and not _is_id_part(self.split):
            raise ConfigError(
                f"split {self.split!r} cannot be part of a record id",
                fix="use letters, digits, '.', '_' or '-' (e.g. train2017)",
            )


def _is_id_part(text: str) -> bool:
    return bool(text) and all(c.isascii() and (c.isalnum() or c in "._-") for c in text)
