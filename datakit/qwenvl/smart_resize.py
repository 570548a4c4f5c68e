"""The image size Qwen2-VL and Qwen2.5-VL actually see, in pixels, at the model's own bounds.

Qwen2.5-VL writes boxes as absolute pixels of this resized image, not of the file. The resize
itself is ``datakit.family.vision``'s; this module names its Qwen2.5-VL defaults: qwen-vl-utils'
rounding (no side below ``factor``) for the model, and LLaMA-Factory's default pre-resize
(``image_max_pixels`` 768*768 with ``int()`` truncation) before the processor's resize.
"""

from __future__ import annotations

from datakit.family.profiles import FRAMEWORKS, MODELS
from datakit.family.vision import resize_rule, resized_size_px
from datakit.family.vision import smart_resize as _family_smart_resize

FACTOR = 28
MIN_PIXELS = 3136  # 56 * 56, the Qwen2.5-VL model configuration
MAX_PIXELS = 12_845_056  # 16384 * 28 * 28, the model configuration and ms-swift's MAX_PIXELS
_LLAMA_FACTORY = resize_rule(MODELS["qwen2.5-vl"], FRAMEWORKS["llama-factory"])


def smart_resize(
    width_px: int, height_px: int, factor: int = FACTOR, min_pixels: int = MIN_PIXELS,
    max_pixels: int = MAX_PIXELS,
) -> tuple[int, int]:
    """(width, height) after the Qwen2-VL image processor's resize (as qwen-vl-utils: no side
    below ``factor``); ``family.vision.ImageTooSmall`` where the processor refuses the image."""
    return _family_smart_resize(
        width_px, height_px, factor, min_pixels, max_pixels, flavour="qwen-vl-utils"
    )


def llama_factory_resize(width_px: int, height_px: int) -> tuple[int, int]:
    """(width, height) after LLaMA-Factory's default pre-resize, then ``smart_resize``."""
    return resized_size_px((width_px, height_px), _LLAMA_FACTORY)
