"""Box drawing and label fonts, at the library level."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import assert_lands_on, colour_rect, is_outline
from PIL import Image

from datakit.errors import InputError
from datakit.gallery.draw import draw_boxes, fit_within, open_as_model_sees, outline_px
from datakit.gallery.fonts import find_cjk_font, load_label_font
from datakit.gallery.layout import PALETTE, PlannedBox


@pytest.mark.parametrize(
    ("xyxy_norm1000", "size", "expected"),
    [
        ((0, 0, 999, 999), (1000, 1000), (0, 0, 998, 998)),
        ((62, 500, 375, 833), (320, 240), (20, 120, 119, 199)),  # 19.84 -> 20, 120 -> 119
        ((0, 0, 999, 999), (100, 50), (0, 0, 99, 49)),  # 99.9 rounds to the last pixel
        ((500, 500, 500, 500), (10, 10), (5, 5, 5, 5)),  # empty on the grid: one pixel
        ((990, 0, 999, 10), (128, 2), (127, 0, 127, 0)),  # clamped to the picture
        # v / 1000 * size, not v / 999: 990/999*1000 would put the right edge at 990
        ((0, 0, 990, 990), (1000, 1000), (0, 0, 989, 989)),
        ((375, 833, 62, 500), (320, 240), (20, 120, 119, 199)),  # swapped: the same rectangle
    ],
)
def test_outline_px_is_the_documented_inverse(
    xyxy_norm1000: tuple[int, int, int, int],
    size: tuple[int, int],
    expected: tuple[int, int, int, int],
) -> None:
    assert outline_px(xyxy_norm1000, *size) == expected


def _box(xyxy: tuple[int, int, int, int], label: str, colour: int = 0) -> PlannedBox:
    return PlannedBox(xyxy, label, PALETTE[colour], 1, 0)


@pytest.mark.parametrize("size", [(640, 480), (48, 300), (1000, 20), (7, 7)])
def test_outline_without_labels(size: tuple[int, int]) -> None:
    image = Image.new("RGB", size, (40, 40, 40))
    drawn = draw_boxes(image, [_box((250, 100, 750, 900), "x")], font=None, labels=False)
    rect = colour_rect(drawn, PALETTE[0])
    assert rect is not None
    assert_lands_on(rect, (250, 100, 750, 900), size)
    assert is_outline(drawn, PALETTE[0], rect)
    assert drawn.size == size and drawn.mode == "RGB"


def test_labels_never_cover_an_outline_and_are_never_its_colour() -> None:
    image = Image.new("RGB", (400, 300), (200, 200, 200))
    boxes = [_box((0, 0, 500, 500), "at the top edge"), _box((520, 600, 990, 990), "below", 1)]
    font = load_label_font(find_cjk_font(), 14)
    drawn = draw_boxes(image, boxes, font)
    for box in boxes:
        rect = colour_rect(drawn, box.colour)
        assert rect == outline_px(box.xyxy_norm1000, 400, 300)
        assert is_outline(drawn, box.colour, rect)
    # each label sits on its box's colour at 75 % over the picture
    pixels = np.asarray(drawn).astype(int)
    for box in boxes:
        tint = np.array([round(c * 0.75 + 200 * 0.25) for c in box.colour])
        near = np.all(np.abs(pixels - tint) <= 1, axis=-1)
        assert near.sum() > 50


def test_fit_within_keeps_the_aspect_ratio() -> None:
    assert fit_within(Image.new("RGB", (1500, 600)), 1024).size == (1024, 410)
    assert fit_within(Image.new("RGB", (600, 3000)), 1024).size == (205, 1024)
    small = Image.new("RGB", (100, 80))
    assert fit_within(small, 1024) is small


def test_open_as_model_sees_reports_what_is_wrong(tmp_path: Path) -> None:
    (tmp_path / "not.png").write_bytes(b"definitely not a PNG")
    assert open_as_model_sees(tmp_path / "gone.jpg").problem == "missing"
    assert open_as_model_sees(tmp_path / "not.png").problem == "not an image Pillow can read"
    assert open_as_model_sees(tmp_path).problem == "a directory, not an image"


def test_a_cjk_font_draws_chinese_readably() -> None:
    path = find_cjk_font()
    if path is None:
        pytest.skip("no CJK font installed (Debian: fonts-noto-cjk, installed by .ci/run)")
    font = load_label_font(path, 20)
    assert font.cjk
    dog, cat = font.font.getmask("狗"), font.font.getmask("猫")
    assert bytes(dog) != bytes(cat)
    if path.endswith("NotoSansCJK-Regular.ttc"):
        assert font.name == "Noto Sans CJK SC Regular"


def test_without_a_cjk_font_the_box_is_still_drawn() -> None:
    font = load_label_font(None, 16)
    assert (font.path, font.name, font.cjk) == (None, "Pillow default", False)
    image = Image.new("RGB", (200, 100), (10, 10, 10))
    drawn = draw_boxes(image, [_box((100, 200, 900, 800), "格子衬衫")], font)
    assert colour_rect(drawn, PALETTE[0]) == outline_px((100, 200, 900, 800), 200, 100)


def test_an_unloadable_font_falls_back(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttf"
    bad.write_bytes(b"not a font")
    assert load_label_font(str(bad), 12).name == "Pillow default"


def test_an_explicit_font_must_exist(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"font file .* not found"):
        find_cjk_font(tmp_path / "nope.ttf")
