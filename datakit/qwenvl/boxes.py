"""Box geometry between pixel space and Qwen-VL's 0..999 grid.

Spaces, named in every function: ``xywh_px`` (COCO: left, top, width, height in pixels),
``xyxy_px`` (left, top, right, bottom in pixels), ``xyxy_norm1000`` (integers on the half-open
grid [0, 1000), top-left then bottom-right).

Pixel to grid: ``min(999, floor(v / size * 1000))`` by default (upstream prints boxes with
``%d``, which truncates); ``rounding="round"`` rounds half up instead. Grid to pixel:
``v / 1000 * size`` (the tokenizer's drawing helper). Qwen's RefCOCO evaluation divides by 999
instead; datakit never mixes the two.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

GRID_SIZE = 1000
GRID_MAX = GRID_SIZE - 1

Rounding = Literal["floor", "round"]

# Products such as 0.3 * 1000 / 1 land a hair below an integer in binary floating point;
# anything this close to an integer is that integer.
_EPS = 1e-9


def xywh_px_to_xyxy_px(xywh_px: Sequence[float]) -> tuple[float, float, float, float]:
    x, y, w, h = xywh_px
    return (x, y, x + w, y + h)


def xyxy_px_to_xywh_px(xyxy_px: Sequence[float]) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = xyxy_px
    return (x1, y1, x2 - x1, y2 - y1)


def px_to_norm1000(v_px: float, size_px: float, rounding: Rounding = "floor") -> int:
    """One coordinate from pixels to the grid, clamped to [0, 999]."""
    scaled = v_px * GRID_SIZE / size_px
    nearest = round(scaled)
    if abs(scaled - nearest) < _EPS:
        scaled = nearest
    grid = math.floor(scaled) if rounding == "floor" else math.floor(scaled + 0.5)
    return max(0, min(GRID_MAX, grid))


def norm1000_to_px(v_norm1000: float, size_px: float) -> float:
    """One coordinate from the grid back to pixels: ``v / 1000 * size``."""
    return v_norm1000 / GRID_SIZE * size_px


def xyxy_norm1000_to_xyxy_px(
    xyxy_norm1000: Sequence[int], width_px: float, height_px: float
) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = xyxy_norm1000
    return (
        norm1000_to_px(x1, width_px),
        norm1000_to_px(y1, height_px),
        norm1000_to_px(x2, width_px),
        norm1000_to_px(y2, height_px),
    )


@dataclass(frozen=True, slots=True)
class GridBox:
    """The outcome of putting one pixel box on the grid.

    ``clipped`` says the pixel box left the image and was cut to it; ``degenerate`` names why
    the box has no area (``None`` when it has): ``"not-finite"``, ``"empty-in-pixels"`` (zero or
    negative width/height, or wholly outside the image) or ``"empty-on-grid"`` (smaller than one
    grid cell, so x1 == x2 or y1 == y2 after normalisation). A degenerate box still carries its
    best-effort ``xyxy_norm1000`` (or ``None`` when not even that exists).
    """

    xyxy_norm1000: tuple[int, int, int, int] | None
    xyxy_px_clipped: tuple[float, float, float, float] | None
    clipped: bool
    degenerate: str | None


def clip_xyxy_px(
    xyxy_px: Sequence[float], width_px: float, height_px: float
) -> tuple[tuple[float, float, float, float], bool]:
    """Cut a box to the image; returns the box and whether anything was cut."""
    x1, y1, x2, y2 = xyxy_px
    clipped = (
        min(max(x1, 0.0), width_px),
        min(max(y1, 0.0), height_px),
        min(max(x2, 0.0), width_px),
        min(max(y2, 0.0), height_px),
    )
    return clipped, clipped != (x1, y1, x2, y2)


def xyxy_px_to_grid(
    xyxy_px: Sequence[float], width_px: float, height_px: float, rounding: Rounding = "floor"
) -> GridBox:
    """Clip a pixel box to the image and put it on the grid, reporting what happened."""
    if not all(math.isfinite(v) for v in (*xyxy_px, width_px, height_px)):
        return GridBox(None, None, False, "not-finite")
    if width_px <= 0 or height_px <= 0:
        return GridBox(None, None, False, "empty-in-pixels")
    box_px, clipped = clip_xyxy_px(xyxy_px, width_px, height_px)
    x1, y1, x2, y2 = box_px
    if x2 <= x1 or y2 <= y1:
        return GridBox(None, box_px, clipped, "empty-in-pixels")
    grid = (
        px_to_norm1000(x1, width_px, rounding),
        px_to_norm1000(y1, height_px, rounding),
        px_to_norm1000(x2, width_px, rounding),
        px_to_norm1000(y2, height_px, rounding),
    )
    empty_on_grid = grid[2] <= grid[0] or grid[3] <= grid[1]
    return GridBox(grid, box_px, clipped, "empty-on-grid" if empty_on_grid else None)


def xywh_px_to_grid(
    xywh_px: Sequence[float], width_px: float, height_px: float, rounding: Rounding = "floor"
) -> GridBox:
    """COCO's ``[x, y, w, h]`` pixels to the grid (see ``xyxy_px_to_grid``)."""
    if len(xywh_px) == 4 and not (xywh_px[2] > 0 and xywh_px[3] > 0):
        # Zero or negative extent: never "fix" it by clipping into a positive box.
        finite = all(math.isfinite(v) for v in xywh_px)
        return GridBox(None, None, False, "empty-in-pixels" if finite else "not-finite")
    return xyxy_px_to_grid(xywh_px_to_xyxy_px(xywh_px), width_px, height_px, rounding)
