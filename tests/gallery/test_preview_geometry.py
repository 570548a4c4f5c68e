"""End to end: `datakit preview` draws every box where the grid says, on the pixels the model sees.

A generated dataset with known boxes on images of several sizes and aspect ratios (and real
Pillow test images: CMYK, palette, LA, mode 1, EXIF-rotated) goes through the real command; the
outlines are found in the PNGs by their pure colour.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import REAL_IMAGES, assert_lands_on, colour_rect, is_outline, run_datakit
from PIL import Image

from datakit.gallery.draw import scale_up_small
from datakit.gallery.layout import PALETTE, label_slot
from datakit.gallery.run import MIN_SHOWN_SIDE

BOX_A = (100, 150, 600, 700)
BOX_B = (640, 40, 990, 420)
EXIF_ORIENTATION = 0x0112
FIRST, SECOND = PALETTE[label_slot("first")], PALETTE[label_slot("second")]


def _generated(folder: Path) -> dict[str, tuple[int, int]]:
    """Images made here, name -> stored (width, height)."""
    grey = (128, 128, 128)
    made: dict[str, tuple[int, int]] = {}

    def keep(name: str, image: Image.Image, **save: Any) -> None:
        image.save(folder / name, **save)
        made[name] = image.size

    keep("wide-640x480.png", Image.new("RGB", (640, 480), grey))
    keep("tall-333x1000.png", Image.new("RGB", (333, 1000), grey))
    keep("strip-1000x37.png", Image.new("RGB", (1000, 37), grey))
    keep("odd-97x211.png", Image.new("RGB", (97, 211), grey))
    keep("large-1500x600.png", Image.new("RGB", (1500, 600), grey))
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6  # "rotate 90 degrees clockwise to view"
    keep("exif6-300x200.jpg", Image.new("RGB", (300, 200), grey), exif=exif, quality=95)
    keep("cmyk-250x400.jpg", Image.new("CMYK", (250, 400), (0, 0, 0, 96)), quality=95)
    palette = Image.new("P", (180, 120), 1)
    palette.putpalette([0, 0, 0, 90, 110, 130] + [0] * (256 * 3 - 6))
    keep("palette-180x120.png", palette, transparency=0)
    keep("la-150x90.png", Image.new("LA", (150, 90), (100, 200)))
    keep("bilevel-64x256.png", Image.new("1", (64, 256), 1))
    return made


REAL = ["hopper.jpg", "pil_sample_cmyk.jpg", "pil123p.png", "hopper_orientation_6.jpg",
        "200x32_la.png", "hopper_bw_500.png"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("geometry")
    images = root / "images"
    images.mkdir()
    sizes = _generated(images)
    for name in [*REAL, "orientation_rectangle.jpg"]:
        shutil.copyfile(REAL_IMAGES / name, images / name)
        with Image.open(images / name) as im:
            sizes[name] = im.size
    records = []
    for name in sizes:
        ga, gb = ("<box>({},{}),({},{})</box>".format(*b) for b in (BOX_A, BOX_B))
        records.append({
            "id": name,
            "conversations": [
                {"from": "user", "value": f"Picture 1: <img>images/{name}</img>\nWhere?"},
                {"from": "assistant", "value": f"<ref>first</ref>{ga} and <ref>second</ref>{gb}"},
            ],
        })
    (root / "data.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    result = run_datakit(["preview", "data.json", "--out", "out", "--sample", "100",
                          "--no-findings"], cwd=root)
    assert result.returncode == 0, result.stderr
    order = {r["id"]: n for n, r in enumerate(records, 1)}
    return {"root": root, "sizes": sizes, "order": order, "stdout": result.stdout}


def _png(rendered: dict[str, Any], name: str) -> Image.Image:
    number = rendered["order"][name]
    return Image.open(rendered["root"] / "out" / "images" / f"{number:04d}-1.png")


def test_every_picture_is_written(rendered: dict[str, Any]) -> None:
    assert rendered["stdout"].splitlines()[0] == (
        f"wrote 17 sample(s), 17 picture(s), 34 box(es) to {Path('out') / 'index.html'}"
    )


@pytest.mark.parametrize("name", [
    "wide-640x480.png", "tall-333x1000.png", "strip-1000x37.png", "odd-97x211.png",
    "large-1500x600.png", "exif6-300x200.jpg", "cmyk-250x400.jpg", "palette-180x120.png",
    "la-150x90.png", "bilevel-64x256.png", *REAL,
])
def test_boxes_land_on_the_grid_pixels(rendered: dict[str, Any], name: str) -> None:
    png = _png(rendered, name)
    for colour, box in ((FIRST, BOX_A), (SECOND, BOX_B)):
        rect = colour_rect(png, colour)
        assert rect is not None, f"no {colour} outline in {name}"
        assert_lands_on(rect, box, png.size)
        assert is_outline(png, colour, rect)


@pytest.mark.parametrize("name", [
    "wide-640x480.png", "exif6-300x200.jpg", "cmyk-250x400.jpg", "palette-180x120.png",
    "hopper_orientation_6.jpg", "orientation_rectangle.jpg", "pil_sample_cmyk.jpg",
])
def test_pictures_keep_the_stored_size(rendered: dict[str, Any], name: str) -> None:
    # The model applies no EXIF rotation: 300x200 with Orientation 6 stays 300x200, and the
    # 2x1 orientation_rectangle.jpg stays 2 wide for 1 high (upright it would be 1x2); a
    # picture under MIN_SHOWN_SIDE is shown enlarged by a whole factor.
    width, height = rendered["sizes"][name]
    factor = 1 if max(width, height) >= MIN_SHOWN_SIDE else -(-MIN_SHOWN_SIDE // max(width, height))
    assert _png(rendered, name).size == (width * factor, height * factor)


def test_tiny_pictures_are_enlarged_by_a_whole_factor(rendered: dict[str, Any]) -> None:
    assert _png(rendered, "orientation_rectangle.jpg").size == (256, 128)
    assert _png(rendered, "hopper.jpg").size == (256, 256)
    assert _png(rendered, "200x32_la.png").size == (400, 64)
    assert _png(rendered, "bilevel-64x256.png").size == (64, 256)  # the longer side suffices


def test_large_pictures_are_scaled_by_one_factor(rendered: dict[str, Any]) -> None:
    assert _png(rendered, "large-1500x600.png").size == (1024, 410)


@pytest.mark.filterwarnings("ignore:Palette images with Transparency")
@pytest.mark.parametrize("name", [
    "hopper.jpg", "hopper_orientation_6.jpg", "exif6-300x200.jpg", "pil_sample_cmyk.jpg",
    "pil123p.png", "200x32_la.png", "hopper_bw_500.png",
])
def test_pixels_are_the_models_view(rendered: dict[str, Any], name: str) -> None:
    """Away from the boxes, the PNG holds exactly Image.open(...).convert("RGB"): CMYK, palette,
    LA and mode 1 converted as the model converts them, and EXIF-rotated photos unrotated."""
    path = rendered["root"] / "images" / name
    with Image.open(path) as source:
        model_view = np.asarray(scale_up_small(source.convert("RGB"), MIN_SHOWN_SIDE, 1024))
        upright = np.asarray(scale_up_small(
            source.transpose(Image.Transpose.ROTATE_270).convert("RGB"), MIN_SHOWN_SIDE, 1024))
    drawn = np.asarray(_png(rendered, name).convert("RGB"))
    same = np.all(drawn == model_view, axis=-1).mean()
    assert same > 0.6, same
    if name in ("hopper_orientation_6.jpg",):
        assert np.all(drawn == upright, axis=-1).mean() < 0.2
