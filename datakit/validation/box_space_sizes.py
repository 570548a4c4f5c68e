"""The coordinate spaces B006 tells apart from the 0..999 grid, and a picture's bounds in each.

A picture's size in a space: its own (pixels), Qwen2.5-VL's resized size, or that size after
LLaMA-Factory's pre-resize. ``box_scale`` tallies boxes against these bounds; ``box_spaces``
judges the tallies.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from datakit.family.vision import ImageTooSmall
from datakit.qwenvl.smart_resize import llama_factory_resize, smart_resize

TOLERANCE_PX = 1  # a pixel box may end one pixel past the edge (rounding of float sources)
REACH = 0.9


@dataclass(frozen=True, slots=True)
class Space:
    name: str
    convention: str  # the finding's data["convention"]
    size_text: str  # "within ..."
    looks_like: str


SPACES = (
    Space("pixels", "pixels-below-1000", "their image's own width and height",
          "pixel coordinates"),
    Space("resized", "resized-pixels",
          "the size Qwen2.5-VL resizes their image to (sides rounded to multiples of 28)",
          "Qwen2.5-VL absolute coordinates of the resized image"),
    Space("resized-llamafactory", "resized-pixels",
          "the size Qwen2.5-VL sees after LLaMA-Factory's default 768x768-pixel cap",
          "Qwen2.5-VL absolute coordinates of the resized image"),
)

# Tallies keep four parts: pixels; the resized size where LLaMA-Factory's is the same (most
# pictures: under 768x768 pixels); the model's resized size and LLaMA-Factory's where they differ.
PARTS = 4
SPACE_PARTS = ((0,), (1, 2), (1, 3))  # the parts of each of SPACES

# (tally part, limit x, limit y: the largest x2 and y2 a box in the space has, the chance that a
# grid box goes beyond them, and the x2 and y2 that reach 90% of the way across and down)
Bounds = tuple[int, int, int, float, float, float]


@lru_cache(maxsize=1 << 16)
def limits(width_px: int, height_px: int) -> tuple[Bounds, ...]:
    """A picture of this size's bounds in each tally part where it is smaller than 1000 on
    both sides (elsewhere grid boxes cannot be told from pixel ones by their size)."""
    resized = _model_size(width_px, height_px)
    shrunk = llama_factory_resize(width_px, height_px)
    sizes = [(0, (width_px, height_px))]
    if shrunk == resized:
        sizes.append((1, shrunk))
    else:
        sizes += [(2, resized)] if resized else []
        sizes.append((3, shrunk))
    out: list[Bounds] = []
    for part, (width, height) in sizes:
        limit_x, limit_y = width + TOLERANCE_PX, height + TOLERANCE_PX
        if limit_x < 999 and limit_y < 999:
            inside = (limit_x + 1) * (limit_y + 1) / 1_000_000
            out.append((part, limit_x, limit_y, 1.0 - inside, REACH * width, REACH * height))
    return tuple(out)


def size_in(space: int, width_px: int, height_px: int) -> tuple[int, int] | None:
    """The picture's size in one of ``SPACES``; None where the model refuses the picture."""
    if space == 0:
        return width_px, height_px
    if space == 1:
        return _model_size(width_px, height_px)
    return llama_factory_resize(width_px, height_px)


def _model_size(width_px: int, height_px: int) -> tuple[int, int] | None:
    # The processor refuses an aspect ratio above 200 (LLaMA-Factory squeezes it first), so
    # such a picture has no resized size of the model's own to hold boxes.
    try:
        return smart_resize(width_px, height_px)
    except ImageTooSmall:
        return None
