"""The image size Qwen2-VL and Qwen2.5-VL actually see, in pixels.

Qwen2.5-VL writes boxes as absolute pixels of this resized image, not of the file. Both sides
are rounded to multiples of ``factor`` (patch 14 x merge 2); an area above ``max_pixels`` is
scaled down (floor), one below ``min_pixels`` up (ceil). LLaMA-Factory first shrinks an image
to at most ``image_max_pixels`` (768*768 by default) with ``int()`` truncation, then the
processor resizes it as above.
"""

from __future__ import annotations

import math

FACTOR = 28
MIN_PIXELS = 3136  # 56 * 56, the Qwen2.5-VL model configuration
MAX_PIXELS = 12_845_056  # 16384 * 28 * 28, the model configuration and ms-swift's MAX_PIXELS
LLAMA_FACTORY_MAX_PIXELS = 768 * 768
LLAMA_FACTORY_MIN_PIXELS = 32 * 32


def smart_resize(
    width_px: int, height_px: int, factor: int = FACTOR, min_pixels: int = MIN_PIXELS,
    max_pixels: int = MAX_PIXELS,
) -> tuple[int, int]:
    """(width, height) after the Qwen2-VL image processor's resize (as qwen-vl-utils: no side
    below ``factor``)."""
    h_bar = max(factor, round(height_px / factor) * factor)
    w_bar = max(factor, round(width_px / factor) * factor)
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt(height_px * width_px / max_pixels)
        h_bar = max(factor, math.floor(height_px / beta / factor) * factor)
        w_bar = max(factor, math.floor(width_px / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height_px * width_px))
        h_bar = math.ceil(height_px * beta / factor) * factor
        w_bar = math.ceil(width_px * beta / factor) * factor
    return w_bar, h_bar


def llama_factory_resize(width_px: int, height_px: int) -> tuple[int, int]:
    """(width, height) after LLaMA-Factory's default pre-resize, then ``smart_resize``."""
    area = width_px * height_px
    if area > LLAMA_FACTORY_MAX_PIXELS:
        scale = math.sqrt(LLAMA_FACTORY_MAX_PIXELS / area)
        width_px, height_px = int(width_px * scale), int(height_px * scale)
    area = width_px * height_px
    if area < LLAMA_FACTORY_MIN_PIXELS:
        scale = math.sqrt(LLAMA_FACTORY_MIN_PIXELS / max(area, 1))
        width_px, height_px = int(width_px * scale), int(height_px * scale)
    if min(width_px, height_px) < FACTOR:
        width_px, height_px = max(width_px, FACTOR), max(height_px, FACTOR)
    return smart_resize(width_px, height_px)
