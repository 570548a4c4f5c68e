"""`datakit preview` on Qwen2-VL family files: each box drawn where its dialect says, mapped
back onto the stored picture (0..1000 grid; Qwen2.5-VL's resized pixels through the framework's
resize; ms-swift objects in real pixels or norm1). Data: COCO annotations made here for real
pictures, converted with `datakit convert coco --target ... --layout ...`; outlines found in
the PNGs by their pure colour.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import REAL_IMAGES, colour_rect, is_outline, run_datakit
from PIL import Image

from datakit.family.profiles import FRAMEWORKS, MODELS
from datakit.family.vision import resize_rule, resized_size_px
from datakit.gallery.layout import PALETTE, label_slot

DOG, CAT = PALETTE[label_slot("dog")], PALETTE[label_slot("cat")]
COCO = {
    "images": [{"id": 1, "file_name": "grey-640x480.png", "width": 640, "height": 480},
               {"id": 2, "file_name": "hopper_bw_500.png", "width": 500, "height": 500}],
    "categories": [{"id": 1, "name": "dog"}, {"id": 2, "name": "cat"}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [64, 48, 320, 240], "area": 1,
         "iscrowd": 0},
        {"id": 2, "image_id": 1, "category_id": 2, "bbox": [400, 300, 200, 150], "area": 1,
         "iscrowd": 0},
        {"id": 3, "image_id": 2, "category_id": 1, "bbox": [50, 100, 300, 200], "area": 1,
         "iscrowd": 0},
    ],
}
# The outline's pixels (left, top, right, bottom, inclusive): the COCO box [x, x + w) x [y, y + h)
GREY_DOG, GREY_CAT, HOPPER_DOG = (64, 48, 383, 287), (400, 300, 599, 449), (50, 100, 349, 299)
CONVERSIONS = [
    ("qwen2-vl", "sharegpt", "q2-lf.json"),
    ("qwen2-vl", "ms-swift", "q2-swift.jsonl"),
    ("qwen2.5-vl", "ms-swift", "q25-swift.jsonl"),
    ("qwen2.5-vl", "sharegpt", "q25-lf.json"),
    ("qwen2.5-vl", "qwen-vl-finetune", "q25-ft.json"),
    ("qwen3-vl", "qwen-vl-finetune", "q3-ft.json"),
]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("family-preview")
    (root / "images").mkdir()
    Image.new("RGB", (640, 480), (128, 128, 128)).save(root / "images" / "grey-640x480.png")
    shutil.copyfile(REAL_IMAGES / "hopper_bw_500.png", root / "images" / "hopper_bw_500.png")
    (root / "instances.json").write_text(json.dumps(COCO), encoding="utf-8")
    for target, layout, name in CONVERSIONS:
        result = run_datakit(["convert", "coco", "instances.json", "--image-root", "images",
                              "--target", target, "--layout", layout, "-o", name, "-q"],
                             cwd=root)
        assert result.returncode == 0, result.stderr
    return root


def _json_boxes(path: Path) -> list[list[int]]:
    """The bbox_2d of each record, in order (one box per record here)."""
    text = path.read_text(encoding="utf-8")
    return [json.loads(m) for m in re.findall(r'"bbox_2d\\?": (\[[0-9, ]+\])', text)]


def _pngs(root: Path, out: str) -> dict[str, Image.Image]:
    """Each drawn picture by the image path its sample names."""
    page = (root / out / "index.html").read_text(encoding="utf-8")
    found = {}
    for path in sorted((root / out / "images").iterdir()):
        image = Image.open(path)
        found[path.name] = image
    assert "grey-640x480.png" in page
    return found


@pytest.mark.parametrize(("target", "layout", "name"), CONVERSIONS)
def test_boxes_land_on_the_source_pixels(root: Path, target: str, layout: str,
                                         name: str) -> None:
    framework = {"sharegpt": "llama-factory"}.get(layout, layout)
    out = f"out-{name}"
    result = run_datakit(["preview", name, "--out", out, "--target", target, "--framework",
                          framework, "--no-findings"], cwd=root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        f"wrote 3 sample(s), 3 picture(s), 3 box(es) to {Path(out) / 'index.html'}")
    pngs = _pngs(root, out)
    # convert writes the categories of a picture in order: dog, cat on the grey one, then dog
    grey_dog, grey_cat, hopper = (pngs[f"000{n}-1.png"] for n in (1, 2, 3))
    boxes = _json_boxes(root / name) if target == "qwen2.5-vl" else None
    for n, (image, colour, rect) in enumerate(((grey_dog, DOG, GREY_DOG),
                                               (grey_cat, CAT, GREY_CAT),
                                               (hopper, DOG, HOPPER_DOG))):
        drawn = colour_rect(image, colour)
        if boxes is not None:
            # Qwen2.5-VL: whole pixels of the resized picture, each v / resized * stored
            rw, rh = resized_size_px(image.size, resize_rule(MODELS["qwen2.5-vl"],
                                                              FRAMEWORKS[framework]))
            x1, y1, x2, y2 = boxes[n]
            width, height = image.size
            expected = (round(x1 / rw * width), round(y1 / rh * height),
                        round(x2 / rw * width) - 1, round(y2 / rh * height) - 1)
            assert drawn == expected, (target, layout)
            # and that is the COCO box, within one resized pixel
            step = max(width / rw, height / rh)
            assert all(abs(a - b) <= step for a, b in zip(drawn, rect, strict=True))
            rect = expected
        assert drawn == rect, (target, layout)
        assert is_outline(image, colour, rect)
    page = (root / out / "index.html").read_text(encoding="utf-8")
    assert "read as " in page and "&lt;image&gt; Picture 1" in page


def test_auto_reads_the_layout_and_markup(root: Path) -> None:
    result = run_datakit(["preview", "q2-lf.json", "--out", "auto", "--no-findings"], cwd=root)
    assert result.returncode == 0, result.stderr
    page = (root / "auto" / "index.html").read_text(encoding="utf-8")
    assert "read as Qwen2-VL data for LLaMA-Factory; boxes in 0..1000 grid" in page
    assert colour_rect(Image.open(root / "auto" / "images" / "0001-1.png"), DOG) == GREY_DOG


def test_an_unknown_model_is_refused_as_tokens_refuses_it(root: Path) -> None:
    preview = run_datakit(["preview", "q3-ft.json", "--out", "unknown", "--no-findings"], cwd=root)
    tokens = run_datakit(["tokens", "q3-ft.json"], cwd=root)
    assert preview.returncode == tokens.returncode == 2
    assert "pass --target (qwen2.5-vl or qwen3-vl)" in preview.stderr
    error = [line for line in preview.stderr.splitlines() if "error" in line or "fix:" in line]
    assert error == [line for line in tokens.stderr.splitlines()
                     if "error" in line or "fix:" in line]
    assert not (root / "unknown" / "index.html").exists()


def test_ms_swift_objects_in_real_pixels_and_norm1(root: Path) -> None:
    def record(path: str, bbox: list[float], bbox_type: str) -> str:
        return json.dumps({
            "messages": [{"role": "user", "content": "<image>Where is the dog?"},
                         {"role": "assistant", "content": "<ref-object><bbox>"}],
            "images": [path],
            "objects": {"ref": ["dog"], "bbox": [bbox], "bbox_type": bbox_type,
                        "image_id": [0]}})

    (root / "objects.jsonl").write_text(
        record("images/grey-640x480.png", [64, 48, 384, 288], "real") + "\n"
        + record("images/hopper_bw_500.png", [0.1, 0.2, 0.7, 0.6], "norm1") + "\n",
        encoding="utf-8")
    result = run_datakit(["preview", "objects.jsonl", "--out", "objects", "--target", "qwen2-vl",
                          "--no-findings"], cwd=root)
    assert result.returncode == 0, result.stderr
    images = root / "objects" / "images"
    assert colour_rect(Image.open(images / "0001-1.png"), DOG) == GREY_DOG
    assert colour_rect(Image.open(images / "0002-1.png"), DOG) == HOPPER_DOG
    page = (root / "objects" / "index.html").read_text(encoding="utf-8")
    assert "pixels of the stored picture" in page and "fractions of the picture" in page
