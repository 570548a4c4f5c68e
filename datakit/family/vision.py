"""What an image becomes on its way to the model: its resized size and its pad-token cost.

The model's processor resizes with ``smart_resize`` (both sides multiples of
``patch * merge``, area within ``[min_pixels, max_pixels]``); some frameworks resize first:
LLaMA-Factory to ``image_max_pixels``/``image_min_pixels`` with ``int()`` truncation, ms-swift
through qwen-vl-utils' ``fetch_image`` with its own pixel bounds. ``ResizeRule`` holds the
bounds that a training run uses; ``resize_rule`` gives each framework's defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from datakit.family.profiles import Framework, ModelProfile, VisionCost
from datakit.family.spaces import Size

MAX_ASPECT_RATIO = 200
# Whose smart_resize a framework runs: the model's processor in transformers (LLaMA-Factory,
# qwen-vl-finetune) or qwen-vl-utils' fetch_image (ms-swift).
ResizeFlavour = Literal["transformers", "qwen-vl-utils"]


class ImageTooSmall(ValueError):
    """The processor refuses an image with a side below the factor or a ratio above 200."""


@dataclass(frozen=True, slots=True)
class ResizeRule:
    vision: VisionCost
    min_pixels: int
    max_pixels: int
    # LLaMA-Factory's pre-resize bounds (image_max_pixels, image_min_pixels), None elsewhere.
    pre_max_pixels: int | None = None
    pre_min_pixels: int | None = None
    # LLaMA-Factory's Qwen2VLPlugin._preprocess_image then widens a side below 28 px to 28 and
    # squeezes an aspect ratio above 200 to 180 (mm_plugin.py).
    pre_min_side_px: int | None = None
    flavour: ResizeFlavour = "transformers"


def smart_resize(
    width_px: int,
    height_px: int,
    factor: int,
    min_pixels: int,
    max_pixels: int,
    flavour: ResizeFlavour = "transformers",
) -> Size:
    """(width, height) after ``smart_resize`` as ``flavour`` writes it.

    transformers (models/qwen2_vl/image_processing_qwen2_vl.py, the same in 4.57.6 and 5.6.0,
    which the fast and Qwen3-VL processors import) rounds a side to the nearest multiple of
    ``factor`` with no floor: a side under factor / 2 becomes 0, the area falls under
    ``min_pixels`` and the picture is scaled up; its max_pixels branch keeps at least one
    factor. Earlier releases refused very small sides outright instead. qwen-vl-utils (0.0.14,
    also the QwenLM/Qwen3-VL head of 2026-01-30) is the reverse: at least one factor on the
    first rounding, none in the max_pixels branch, where a side can floor to 0 and PIL then
    refuses the resize.
    """
    if min(width_px, height_px) <= 0:
        raise ImageTooSmall(f"image is {width_px}x{height_px} pixels")
    if max(width_px, height_px) / min(width_px, height_px) > MAX_ASPECT_RATIO:
        raise ImageTooSmall(f"aspect ratio of {width_px}x{height_px} is above {MAX_ASPECT_RATIO}")
    utils = flavour == "qwen-vl-utils"
    floor_first = factor if utils else 0
    floor_max = 0 if utils else factor
    h_bar = max(floor_first, round(height_px / factor) * factor)
    w_bar = max(floor_first, round(width_px / factor) * factor)
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt(height_px * width_px / max_pixels)
        h_bar = max(floor_max, math.floor(height_px / beta / factor) * factor)
        w_bar = max(floor_max, math.floor(width_px / beta / factor) * factor)
        if not h_bar or not w_bar:
            raise ImageTooSmall(
                f"{width_px}x{height_px} shrinks to {w_bar}x{h_bar} under max_pixels {max_pixels}"
            )
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height_px * width_px))
        h_bar = math.ceil(height_px * beta / factor) * factor
        w_bar = math.ceil(width_px * beta / factor) * factor
    return w_bar, h_bar


def _pre_resize(width_px: int, height_px: int, rule: ResizeRule) -> Size:
    if rule.pre_max_pixels is not None and width_px * height_px > rule.pre_max_pixels:
        scale = math.sqrt(rule.pre_max_pixels / (width_px * height_px))
        width_px, height_px = int(width_px * scale), int(height_px * scale)
    if rule.pre_min_pixels is not None and width_px * height_px < rule.pre_min_pixels:
        scale = math.sqrt(rule.pre_min_pixels / max(width_px * height_px, 1))
        width_px, height_px = int(width_px * scale), int(height_px * scale)
    if rule.pre_min_side_px is not None:
        side = rule.pre_min_side_px
        if min(width_px, height_px) < side:
            width_px, height_px = max(width_px, side), max(height_px, side)
        if width_px / height_px > MAX_ASPECT_RATIO:
            width_px = height_px * 180
        if height_px / width_px > MAX_ASPECT_RATIO:
            height_px = width_px * 180
    return width_px, height_px


def resized_size_px(size_px: Size, rule: ResizeRule) -> Size:
    """(width, height) of the picture as the model sees it."""
    width_px, height_px = _pre_resize(*size_px, rule)
    return smart_resize(
        width_px, height_px, rule.vision.factor_px, rule.min_pixels, rule.max_pixels, rule.flavour
    )


def image_pad_tokens(size_px: Size, rule: ResizeRule) -> int:
    """How many ``<|image_pad|>`` tokens the picture expands to."""
    width_px, height_px = resized_size_px(size_px, rule)
    factor = rule.vision.factor_px
    return (width_px // factor) * (height_px // factor)


# qwen-vl-finetune's shipped scripts (scripts/sft*.sh: --max_pixels 50176 --min_pixels 784);
# its DataArguments defaults, used when the flags are left out, are 28*28*576 and 28*28*16.
FINETUNE_MIN_PIXELS, FINETUNE_MAX_PIXELS = 784, 50_176
# qwen_vl_utils vision_process.py IMAGE_MIN_TOKEN_NUM / IMAGE_MAX_TOKEN_NUM.
SWIFT_MIN_TOKENS, SWIFT_MAX_TOKENS = 4, 16_384
# LLaMA-Factory ModelArguments image_max_pixels / image_min_pixels.
LLAMAFACTORY_PRE_MAX_PIXELS, LLAMAFACTORY_PRE_MIN_PIXELS = 768 * 768, 32 * 32


def resize_rule(
    model: ModelProfile,
    framework: Framework,
    *,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    pre_min_pixels: int | None = None,
    pre_max_pixels: int | None = None,
) -> ResizeRule:
    """The framework's default bounds for ``model``, or the ones a run sets: ``min_pixels`` /
    ``max_pixels`` bound the processor's ``smart_resize``; ``pre_*`` are LLaMA-Factory's
    ``image_min_pixels`` / ``image_max_pixels``."""
    vision = model.vision
    if vision is None:
        raise ValueError(f"{model.title} images have a fixed cost; there is no resize")
    # The processor's own bounds (preprocessor_config.json) unless the framework sets others.
    low, high = vision.min_pixels, vision.max_pixels
    pre_max = pre_min = pre_side = None
    flavour: ResizeFlavour = "transformers"
    if framework.name == "llama-factory":
        pre_max = LLAMAFACTORY_PRE_MAX_PIXELS if pre_max_pixels is None else pre_max_pixels
        pre_min = LLAMAFACTORY_PRE_MIN_PIXELS if pre_min_pixels is None else pre_min_pixels
        pre_side = 28
    elif framework.name == "ms-swift":
        # qwen_vl_utils.fetch_image (>= 0.0.14; ms-swift's compat_qwen_vl_utils maps MAX_PIXELS
        # and MIN_PIXELS onto these token counts): 4..16384 tokens of factor x factor pixels;
        # the processor then runs with do_resize=False.
        factor = vision.factor_px
        low, high = SWIFT_MIN_TOKENS * factor * factor, SWIFT_MAX_TOKENS * factor * factor
        flavour = "qwen-vl-utils"
    elif framework.name == "qwen-vl-finetune":
        # update_processor_pixels() writes data_args.min/max_pixels into the processor.
        low, high = FINETUNE_MIN_PIXELS, FINETUNE_MAX_PIXELS
    return ResizeRule(
        vision,
        low if min_pixels is None else min_pixels,
        high if max_pixels is None else max_pixels,
        pre_max,
        pre_min,
        pre_side,
        flavour,
    )
