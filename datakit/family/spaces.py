"""Boxes between coordinate spaces, for one picture of known size.

``source_px`` is the picture as stored; ``resized_px`` is the picture after the model's
resize (``resized_size_px``, from ``datakit.family.vision``); ``norm1000`` and ``norm1`` are
relative. Each target states its own rounding:
- Qwen-VL v1: ``floor(v / size * 1000)`` on the half-open grid [0, 1000), as
  ``datakit.qwenvl.boxes``;
- Qwen2-VL / Qwen3-VL: ``round(v / size * 1000)``, 0..1000 (Qwen's ``process_bbox`` notebook,
  ms-swift ``norm1000``);
- Qwen2.5-VL: ``round(v * resized / size)``, at most ``resized - 1`` (the same notebook).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from datakit.family.sample import Box, BoxSpace

Size = tuple[int, int]  # (width, height) in pixels


@dataclass(frozen=True, slots=True)
class PictureSizes:
    """A picture's stored size and its size after the target's resize, both (width, height)."""

    source_px: Size
    resized_px: Size | None = None


def _axis_sizes(space: BoxSpace, sizes: PictureSizes) -> tuple[float, float]:
    """(width, height) of ``space``, in its own units."""
    if space == "norm1000":
        return (1000.0, 1000.0)
    if space == "norm1":
        return (1.0, 1.0)
    if space == "source_px":
        return (float(sizes.source_px[0]), float(sizes.source_px[1]))
    if sizes.resized_px is None:
        raise ValueError("a box in resized pixels needs the resized picture size")
    return (float(sizes.resized_px[0]), float(sizes.resized_px[1]))


def to_source_px(box: Box, sizes: PictureSizes) -> tuple[float, ...]:
    """The box's coordinates in pixels of the stored picture (exact, unrounded)."""
    if box.space == "source_px":
        return tuple(float(v) for v in box.coords)
    width, height = _axis_sizes(box.space, sizes)
    sx, sy = sizes.source_px
    return tuple(
        v * (sx if i % 2 == 0 else sy) / (width if i % 2 == 0 else height)
        for i, v in enumerate(box.coords)
    )


def _round_half_up(v: float) -> int:
    # Products such as 0.3 * 1000 land a hair below an integer in binary floating point.
    nearest = round(v)
    if abs(v - nearest) < 1e-9:
        return int(nearest)
    return math.floor(v + 0.5)


def source_px_to_space(
    coords_px: Sequence[float], space: BoxSpace, sizes: PictureSizes, *, v1_grid: bool = False
) -> tuple[float, ...]:
    """Pixels of the stored picture to ``space`` with the target's rounding: integers on the
    grid or in resized pixels, fractions for ``norm1``. ``v1_grid`` picks Qwen-VL v1's floor
    onto [0, 1000) instead of rounding onto 0..1000."""
    if space == "source_px":
        return tuple(float(v) for v in coords_px)
    width, height = _axis_sizes(space, sizes)
    sx, sy = sizes.source_px
    out: list[float] = []
    for i, v in enumerate(coords_px):
        extent, size = (width, sx) if i % 2 == 0 else (height, sy)
        scaled = v * extent / size
        if space == "norm1":
            out.append(min(1.0, max(0.0, scaled)))
        elif space == "norm1000" and v1_grid:
            nearest = round(scaled)
            floor = int(nearest) if abs(scaled - nearest) < 1e-9 else math.floor(scaled)
            out.append(max(0, min(999, floor)))
        elif space == "norm1000":
            out.append(max(0, min(1000, _round_half_up(scaled))))
        else:
            out.append(max(0, min(int(extent) - 1, _round_half_up(scaled))))
    return tuple(out)


def convert(box: Box, space: BoxSpace, sizes: PictureSizes, *, v1_grid: bool = False) -> Box:
    """The same box in ``space``."""
    if box.space == space and not v1_grid:
        return box
    return Box(
        source_px_to_space(to_source_px(box, sizes), space, sizes, v1_grid=v1_grid),
        space,
        box.image,
    )
