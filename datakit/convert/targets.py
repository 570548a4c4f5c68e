"""Which model and record layout a converter writes for, and where its boxes land.

A ``Target`` is a model of the Qwen-VL family (``datakit.family.profiles.MODELS``) and a
framework layout (ms-swift JSONL, LLaMA-Factory sharegpt, Qwen's qwen-vl-finetune; Qwen-VL's own
layout for ``qwen-vl``). Converters build neutral ``Sample``s with boxes in source pixels, cut to
the picture; ``Target.place`` puts a box on the model's scale with the rounding the writers use
(``datakit.family.spaces``), so that a box that collapses there is skipped before it is written.
Qwen2.5-VL boxes are pixels of the resized picture: ``Target.sizes`` resizes with the
framework's bounds (``datakit.family.vision.resize_rule``) or ``--min-pixels``/``--max-pixels``,
and for every family model refuses a picture the processor would refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from datakit.errors import ConfigError
from datakit.family.profiles import (
    FRAMEWORKS,
    MODEL_NAMES,
    MODELS,
    Framework,
    FrameworkName,
    Layout,
    ModelProfile,
)
from datakit.family.sample import ImageSlot, Part, Sample, Text
from datakit.family.spaces import PictureSizes, Size, source_px_to_space
from datakit.family.vision import (
    ImageTooSmall,
    ResizeRule,
    resize_rule,
    resized_size_px,
)

# The layouts a converter writes for the family models, the first being the default.
FAMILY_LAYOUTS: tuple[Layout, ...] = ("ms-swift", "sharegpt", "qwen-vl-finetune")
LAYOUT_NAMES: tuple[Layout, ...] = ("qwen-vl", *FAMILY_LAYOUTS)
LAYOUT_FRAMEWORK: dict[Layout, FrameworkName] = {
    "qwen-vl": "qwen-vl",
    "ms-swift": "ms-swift",
    "sharegpt": "llama-factory",
    "qwen-vl-finetune": "qwen-vl-finetune",
}
OutputFormat = Literal["json", "jsonl"]

# Skip reasons of the family paths that point at faulty input: the processor refuses the
# picture (after the framework's own resize: an aspect ratio above 200, or a side that
# qwen-vl-utils' max_pixels shrinks to nothing).
FAMILY_PROBLEM_REASONS = frozenset({"image-too-small"})


@dataclass(frozen=True, slots=True)
class Target:
    model: ModelProfile
    framework: Framework
    # The model's resize in this framework (None for Qwen-VL, whose pictures are not resized):
    # Qwen2.5-VL boxes are pixels of its result, and a picture it refuses cannot train.
    resize: ResizeRule | None

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def layout(self) -> Layout:
        return self.framework.layout

    @property
    def is_v1(self) -> bool:
        return self.model.name == "qwen-vl" and self.layout == "qwen-vl"

    @property
    def output_format(self) -> OutputFormat:
        """ms-swift reads JSON Lines; LLaMA-Factory and qwen-vl-finetune load one JSON array."""
        return "jsonl" if self.layout == "ms-swift" else "json"

    @property
    def empty_reason(self) -> str:
        """The degenerate name of a box that collapses on the target's scale."""
        return "empty-in-resized-px" if self.model.box_space == "resized_px" else "empty-on-grid"

    def opening(self, parts: tuple[Part, ...]) -> tuple[Part, ...]:
        """The first user turn: the picture, then ``parts``. qwen-vl-finetune's own examples
        put a newline after ``<image>``; ms-swift's and LLaMA-Factory's do not."""
        if self.layout != "qwen-vl-finetune":
            return (ImageSlot(0), *parts)
        if parts and isinstance(parts[0], Text):
            return (ImageSlot(0), Text("\n" + parts[0].text), *parts[1:])
        return (ImageSlot(0), Text("\n"), *parts)

    def sizes(self, source_px: Size) -> PictureSizes:
        """The picture's sizes for the writer (the resized one where the boxes need it);
        raises ``ImageTooSmall`` (a ``ValueError``) for a picture the model's processor
        refuses in this framework."""
        refusal = self.refusal(source_px)
        if refusal is not None:
            raise ImageTooSmall(refusal)
        if self.resize is None or self.model.box_space != "resized_px":
            return PictureSizes(source_px)
        return PictureSizes(source_px, resized_size_px(source_px, self.resize))

    def refusal(self, source_px: Size) -> str | None:
        """Why the model's processor refuses the picture in this framework, as ``datakit
        validate`` judges it (rule I012): the resize that counts its pad tokens raises."""
        if self.resize is None:
            return None
        try:
            resized_size_px(source_px, self.resize)
        except ImageTooSmall as exc:
            return str(exc)
        return None

    def write(self, sample: Sample, sizes: Sequence[PictureSizes]) -> dict[str, Any]:
        """The sample as a record of the target's layout, boxes on the model's scale
        (``sizes``: one per picture of the sample)."""
        from datakit.family.layouts import write_record

        return write_record(sample, self.model, self.layout, sizes)

    def place(self, xyxy_px: Sequence[float], sizes: PictureSizes) -> tuple[float, ...] | None:
        """The box on the target's scale, or ``None`` when it has no area there."""
        x1, y1, x2, y2 = source_px_to_space(
            xyxy_px, self.model.box_space, sizes, v1_grid=self.model.name == "qwen-vl"
        )
        if x2 <= x1 or y2 <= y1:
            return None
        return (x1, y1, x2, y2)


def resolve_target(
    target: str = "qwen-vl",
    layout: str | None = None,
    *,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    v1_layout_only: bool = False,
) -> Target:
    """The target a command names; ``ConfigError`` for a name or combination that cannot be
    written. ``v1_layout_only``: Qwen-VL (v1) is written only in its own layout (the
    annotation converters, whose v1 path is the original one)."""
    if target not in MODELS:
        raise ConfigError(f"unknown target {target!r}", fix=f"choose from {', '.join(MODEL_NAMES)}")
    model = MODELS[target]
    if layout is None:
        layout = "qwen-vl" if model.name == "qwen-vl" else FAMILY_LAYOUTS[0]
    if layout not in LAYOUT_FRAMEWORK:
        raise ConfigError(
            f"unknown layout {layout!r}", fix=f"choose from {', '.join(LAYOUT_NAMES)}"
        )
    if model.name == "qwen-vl" and layout != "qwen-vl" and v1_layout_only:
        raise ConfigError(
            f"--layout {layout} needs a --target of the Qwen2-VL family; Qwen-VL (v1) data is "
            "written in its own layout",
            fix="drop --layout, or choose --target qwen2-vl, qwen2.5-vl or qwen3-vl",
        )
    if model.name != "qwen-vl" and layout == "qwen-vl":
        raise ConfigError(
            f"--layout qwen-vl is Qwen-VL (v1)'s own layout, not one {model.title} trains from",
            fix=f"choose --layout {', '.join(FAMILY_LAYOUTS)}",
        )
    framework = FRAMEWORKS[LAYOUT_FRAMEWORK[layout]]
    for flag, value in (("--min-pixels", min_pixels), ("--max-pixels", max_pixels)):
        if value is not None and value < 1:
            raise ConfigError(f"{flag} must be at least 1, got {value}")
    if min_pixels is not None and max_pixels is not None and min_pixels > max_pixels:
        raise ConfigError(
            f"--min-pixels {min_pixels:,} is above --max-pixels {max_pixels:,}",
            fix="swap them, or drop one to use the framework's default",
        )
    rule = None
    if model.vision is not None:
        rule = resize_rule(model, framework, min_pixels=min_pixels, max_pixels=max_pixels)
    return Target(model, framework, rule)


def integer_size(width_px: float, height_px: float) -> Size:
    """A picture size from an annotation (COCO stores numbers, which may be floats)."""
    return (round(width_px), round(height_px))
