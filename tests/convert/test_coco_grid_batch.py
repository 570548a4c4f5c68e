"""The batched grid conversion agrees with ``qwenvl.boxes.xywh_px_to_grid`` box for box."""

from __future__ import annotations

import math

from coco_checks import VAL2017, load
from hypothesis import given, settings
from hypothesis import strategies as st

from datakit.convert.grid_batch import DEGENERATE_NAMES, xywh_px_to_grid_batch
from datakit.qwenvl.boxes import GridBox, Rounding, xywh_px_to_grid

EDGES = [0, 0.0, -0.0, 1, 0.3, 0.5, 0.6399, 639.9, 640, 1e-12, -5, 1e308, 2.5, 0.0005, 10**20]
coordinates = st.one_of(
    st.sampled_from(EDGES),
    st.floats(min_value=-50, max_value=900),
    st.integers(min_value=-10, max_value=1000),
    st.floats(allow_nan=True, allow_infinity=True),
)
sizes = st.one_of(
    st.sampled_from([640, 427, 1, 0, -1, 0.5, 10, 5, math.nan, math.inf]),
    st.floats(min_value=0.01, max_value=5000),
    st.integers(min_value=1, max_value=5000),
)


def _as_gridbox_parts(batch_row: tuple[list[int], bool, int]) -> tuple[str | None, bool, object]:
    grid, clipped, code = batch_row
    return DEGENERATE_NAMES[code], clipped, tuple(grid)


def _expected(box: GridBox) -> tuple[str | None, bool, object]:
    return box.degenerate, box.clipped, box.xyxy_norm1000


def _compare(
    boxes: list[list[float]], image_sizes: list[tuple[float, float]], rounding: Rounding
) -> None:
    batch = xywh_px_to_grid_batch(boxes, image_sizes, rounding)
    rows = zip(
        batch.xyxy_norm1000.tolist(), batch.clipped.tolist(), batch.degenerate.tolist(), strict=True
    )
    for xywh, (width, height), row in zip(boxes, image_sizes, rows, strict=True):
        expected = _expected(xywh_px_to_grid(xywh, width, height, rounding))
        got = _as_gridbox_parts(row)
        if expected[2] is None:  # no grid box in pixels: only the verdicts must agree
            got = (got[0], got[1], None)
        assert got == expected, (xywh, width, height, rounding)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.lists(coordinates, min_size=4, max_size=4), sizes, sizes), min_size=1,
             max_size=20),
    st.sampled_from(["floor", "round"]),
)
def test_batch_agrees_with_the_scalar_rule(
    rows: list[tuple[list[float], float, float]], rounding: Rounding
) -> None:
    _compare([r[0] for r in rows], [(r[1], r[2]) for r in rows], rounding)


def test_batch_agrees_on_real_coco_boxes() -> None:
    data = load(VAL2017)
    size = {image["id"]: (image["width"], image["height"]) for image in data["images"]}
    boxes = [a["bbox"] for a in data["annotations"]]
    image_sizes = [size[a["image_id"]] for a in data["annotations"]]
    for rounding in ("floor", "round"):
        _compare(boxes, image_sizes, rounding)  # type: ignore[arg-type]


def test_empty_batch() -> None:
    batch = xywh_px_to_grid_batch([], [])
    assert batch.xyxy_norm1000.shape == (0, 4) and batch.degenerate.shape == (0,)
