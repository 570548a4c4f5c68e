from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datakit.qwenvl.boxes import (
    GridBox,
    px_to_norm1000,
    xywh_px_to_grid,
    xywh_px_to_xyxy_px,
    xyxy_norm1000_to_xyxy_px,
    xyxy_px_to_grid,
    xyxy_px_to_xywh_px,
)


def test_xywh_xyxy_round_trip() -> None:
    assert xywh_px_to_xyxy_px((10, 20, 30, 40)) == (10, 20, 40, 60)
    assert xyxy_px_to_xywh_px((10, 20, 40, 60)) == (10, 20, 30, 40)


@pytest.mark.parametrize(
    "v,size,rounding,expected",
    [
        (0, 640, "floor", 0),
        (640, 640, "floor", 999),  # the right edge never becomes 1000
        (639.9, 640, "floor", 999),
        (0.3, 1, "floor", 300),  # 0.3 * 1000 is 299.99999999999994 in binary floating point
        (320, 640, "floor", 500),
        (0.9999, 1, "round", 999),
        (0.6399, 640, "round", 1),
        (0.6399, 640, "floor", 0),
        (-5, 640, "floor", 0),
    ],
)
def test_px_to_norm1000(v: float, size: float, rounding: str, expected: int) -> None:
    assert px_to_norm1000(v, size, rounding) == expected  # type: ignore[arg-type]


def test_coco_box_to_grid_and_back() -> None:
    # COCO val2017 image 139 (640x426), annotation bbox [x, y, w, h] in pixels.
    result = xywh_px_to_grid([412.8, 157.61, 53.05, 138.01], 640, 426)
    assert result == GridBox((645, 369, 727, 693), (412.8, 157.61, 465.85, 295.62), False, None)
    back = xyxy_norm1000_to_xyxy_px((645, 369, 727, 693), 640, 426)
    assert back == pytest.approx((412.8, 157.194, 465.28, 295.218))


def test_box_leaving_the_image_is_clipped_and_reported() -> None:
    result = xywh_px_to_grid([600, -10, 100, 50], 640, 480)
    assert result.clipped is True
    assert result.xyxy_px_clipped == (600, 0, 640, 40)
    assert result.xyxy_norm1000 == (937, 0, 999, 83)
    assert result.degenerate is None


@pytest.mark.parametrize(
    "xywh,reason",
    [
        ([10, 10, 0, 5], "empty-in-pixels"),
        ([10, 10, 5, -1], "empty-in-pixels"),
        ([700, 10, 5, 5], "empty-in-pixels"),  # wholly right of a 640-wide image
        ([10, 10, 0.2, 5], "empty-on-grid"),  # narrower than one grid cell
        ([math.nan, 10, 5, 5], "not-finite"),
        ([10, 10, math.inf, 5], "not-finite"),
    ],
)
def test_degenerate_boxes_are_reported_not_fixed(xywh: list[float], reason: str) -> None:
    assert xywh_px_to_grid(xywh, 640, 480).degenerate == reason


def test_zero_sized_image() -> None:
    assert xyxy_px_to_grid((0, 0, 1, 1), 0, 10).degenerate == "empty-in-pixels"


@given(
    st.integers(1, 5000),
    st.integers(1, 5000),
    st.floats(0, 1),
    st.floats(0, 1),
    st.floats(0, 1),
    st.floats(0, 1),
    st.sampled_from(["floor", "round"]),
)
def test_grid_round_trip_within_one_unit(
    width: int, height: int, a: float, b: float, c: float, d: float, rounding: str
) -> None:
    x1, x2 = sorted((a * width, c * width))
    y1, y2 = sorted((b * height, d * height))
    result = xyxy_px_to_grid((x1, y1, x2, y2), width, height, rounding)  # type: ignore[arg-type]
    if result.xyxy_norm1000 is None:
        assert result.degenerate == "empty-in-pixels"
        return
    assert all(0 <= v <= 999 for v in result.xyxy_norm1000)
    back = xyxy_norm1000_to_xyxy_px(result.xyxy_norm1000, width, height)
    for original, returned, size in zip((x1, y1, x2, y2), back, (width, height) * 2, strict=True):
        assert abs(original - returned) <= size / 1000 + 1e-6
