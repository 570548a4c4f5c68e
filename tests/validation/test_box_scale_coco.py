"""B006 on real COCO: grid data converted by ``datakit convert coco`` stays clean, the same boxes
written in pixels (or as Qwen2.5-VL absolute coordinates of the resized image) are found. Then
the same on a larger synthetic set: many pictures of random sizes, a few thousand boxes.

The COCO annotations are tests/data/coco (see its NOTICE.md); their images are not shipped, so
stand-in JPEGs of the annotated sizes are made here.
"""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from datakit.qwenvl.smart_resize import smart_resize
from datakit.validation.engine import validate_files
from datakit.validation.settings import Settings

COCO = Path(__file__).resolve().parents[1] / "data" / "coco"
VAL2017 = COCO / "mmdetection" / "coco_dummy" / "annotations" / "instances_val2017.json"
SAMPLE = COCO / "mmdetection" / "coco_sample.json"
DATUMARO = COCO / "datumaro" / "coco_instances"


def _datakit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "datakit", *args], cwd=cwd,
                          capture_output=True, text=True, check=False)


def _stand_ins(annotations: dict[str, Any], folder: Path) -> None:
    for image in annotations["images"]:
        Image.new("RGB", (image["width"], image["height"]), (90, 120, 150)).save(
            folder / image["file_name"])


def _convert(annotations: dict[str, Any], folder: Path, name: str) -> Path:
    source, out = folder / f"{name}.coco.json", folder / f"{name}.json"
    source.write_text(json.dumps(annotations), encoding="utf-8")
    result = _datakit("convert", "coco", source.name, "-o", out.name, "--task", "grounding",
                      "-q", cwd=folder)
    assert result.returncode == 0, result.stderr
    return out


def _validate(folder: Path, *files: Path) -> tuple[int, list[dict[str, Any]]]:
    result = _datakit("validate", "--no-cache", "--format", "json",
                      *(f.name for f in files), cwd=folder)
    return result.returncode, json.loads(result.stdout)["findings"]


def _in_pixels(annotations: dict[str, Any], resize: bool) -> dict[str, Any]:
    """The same annotations, converted to pixels (or to the smart-resized image's pixels) by
    the converter itself: declared 1000x1000, floor(v / 1000 * 1000) keeps the pixel value."""
    twin = json.loads(json.dumps(annotations))
    sizes = {image["id"]: (image["width"], image["height"]) for image in twin["images"]}
    for image in twin["images"]:
        image["width"] = image["height"] = 1000
    if resize:  # Qwen2.5-VL: x * new_w / orig_w, clamped to new_w - 1 (process_bbox.ipynb)
        for annotation in twin["annotations"]:
            width, height = sizes[annotation["image_id"]]
            new_w, new_h = smart_resize(width, height)
            x, y, w, h = annotation["bbox"]
            x1, y1 = x * new_w / width, y * new_h / height
            x2 = min(new_w - 1, (x + w) * new_w / width)
            y2 = min(new_h - 1, (y + h) * new_h / height)
            annotation["bbox"] = [x1, y1, x2 - x1, y2 - y1]
    return twin


def test_real_val2017_grid_is_clean_and_its_pixel_twins_are_found(tmp_path: Path) -> None:
    annotations = json.loads(VAL2017.read_text(encoding="utf-8"))
    _stand_ins(annotations, tmp_path)  # 640x427 and 640x426
    grid = _convert(annotations, tmp_path, "grid")
    pixels = _convert(_in_pixels(annotations, resize=False), tmp_path, "pixels")
    resized = _convert(_in_pixels(annotations, resize=True), tmp_path, "resized")

    code, findings = _validate(tmp_path, grid)
    assert (code, findings) == (0, [])  # not a single finding, B006 included

    code, findings = _validate(tmp_path, pixels)
    assert code == 1
    assert [(f["code"], f["location"]["record_index"]) for f in findings] == [("B006", 0)]
    message = findings[0]["message"]
    assert message.startswith("all of 36 boxes on 14 pictures stay within their image's own "
                              "width and height")
    assert "they look like pixel coordinates, not the 0..999 grid" in message
    assert "pixels.json:2 $[0].conversations[1].value <box>(412,157),(465,295)</box> on " \
           "640x426" in message

    code, findings = _validate(tmp_path, resized)
    assert (code, [f["code"] for f in findings]) == (1, ["B006"])
    assert "they look like Qwen2.5-VL absolute coordinates of the resized image" in (
        findings[0]["message"])
    assert "on 640x426 (resized 644x420)" in findings[0]["message"]


def test_the_other_coco_fixtures_convert_clean(tmp_path: Path) -> None:
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    _stand_ins(sample, tmp_path)  # 800x800 pictures
    files = [_convert(sample, tmp_path, "sample")]
    for split in ("train", "val"):  # real 10x5 and 5x10 JPEGs
        instances = json.loads((DATUMARO / "annotations" / f"instances_{split}.json").read_text(
            encoding="utf-8"))
        for image in instances["images"]:
            (tmp_path / image["file_name"]).write_bytes(
                (DATUMARO / "images" / split / image["file_name"]).read_bytes())
        files.append(_convert(instances, tmp_path, f"datumaro-{split}"))
    _, findings = _validate(tmp_path, *files)
    assert [f["code"] for f in findings if f["code"].startswith("B")] == []


# -- a larger synthetic set ----------------------------------------------------------------


def _objects(rng: random.Random) -> list[tuple[float, float, float, float]]:
    """Boxes as fractions of the picture: anywhere, 3% to 70% wide, cut by the frame."""
    out = []
    for _ in range(rng.choice((1, 1, 2, 3, 4, 6))):
        cx, cy = rng.random(), rng.uniform(0.2, 1.0)
        w = math.exp(rng.uniform(math.log(0.03), math.log(0.7)))
        h = w * math.exp(rng.uniform(-0.7, 0.7))
        box = (max(0.0, cx - w / 2), max(0.0, cy - h / 2), min(1.0, cx + w / 2),
               min(1.0, cy + h / 2))
        if box[2] - box[0] > 0.01 and box[3] - box[1] > 0.01:
            out.append(box)
    return out


def _box(kind: str, box: tuple[float, float, float, float], size: tuple[int, int],
         resized: tuple[int, int]) -> str:
    """The box as datakit convert writes it (grid), in pixels, or in the resized picture's
    pixels (clamped to the last one, as Qwen's process_bbox.ipynb does)."""
    x1, y1, x2, y2 = box
    if kind == "grid":
        xyxy = [min(999, math.floor(v * 1000)) for v in box]
    elif kind == "pixels":
        width, height = size
        xyxy = [round(x1 * width), round(y1 * height), round(x2 * width), round(y2 * height)]
    else:
        width, height = resized
        xyxy = [min(width - 1, round(x1 * width)), min(height - 1, round(y1 * height)),
                min(width - 1, round(x2 * width)), min(height - 1, round(y2 * height))]
    if xyxy[0] >= xyxy[2] or xyxy[1] >= xyxy[3]:
        return ""  # too small for this scale
    return "<box>({},{}),({},{})</box>".format(*xyxy)


def _write(folder: Path, name: str, records: list[tuple[str, list[str]]]) -> str:
    rows = [{"id": f"{name}-{i}", "conversations": [
        {"from": "user", "value": f"Picture 1: <img>{path}</img>\nFind every object."},
        {"from": "assistant", "value": "<ref>object</ref>" + "".join(boxes) if boxes else
         "Nothing to find."}]}
        for i, (path, boxes) in enumerate(records)]
    (folder / name).write_text(json.dumps(rows), encoding="utf-8")
    return str(folder / name)


def _synthetic(folder: Path, files: int) -> dict[str, list[str]]:
    """``files`` files of 40 records on 150 pictures of random sizes (a quarter over 1000 px),
    each written three ways: on the grid (as datakit convert does), in pixels, and in the
    pixels of the Qwen2.5-VL resized picture."""
    rng = random.Random(20)
    sizes = []
    for number in range(150):
        big = number % 4 == 0
        size = (rng.randrange(1000, 1600), rng.randrange(700, 1400)) if big else (
            rng.randrange(100, 1000), rng.randrange(100, 1000))
        Image.new("L", size, 128).save(folder / f"{number}.png")
        sizes.append(size)
    out: dict[str, list[str]] = {"grid": [], "pixels": [], "resized": []}
    for file in range(files):
        written: dict[str, list[tuple[str, list[str]]]] = {kind: [] for kind in out}
        for _ in range(40):
            number = rng.randrange(len(sizes))
            width, height = sizes[number]
            new_w, new_h = smart_resize(width, height)
            objects = _objects(rng)
            for kind in out:
                boxes = [_box(kind, box, (width, height), (new_w, new_h)) for box in objects]
                written[kind].append((f"{number}.png", [b for b in boxes if b]))
        for kind, records in written.items():
            out[kind].append(_write(folder, f"{kind}-{file}.json", records))
    return out


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[str]]]:
    folder = tmp_path_factory.mktemp("synthetic")
    return folder, _synthetic(folder, 30)


def _conventions(folder: Path, files: list[str]) -> dict[str, str]:
    settings = Settings(jobs=1, cache=False, base_dir=str(folder), image_root=".")
    report = validate_files(files, settings)
    return {f.location.file: f.data["convention"] for f in report.findings if f.code == "B006"}


def test_synthetic_grid_files_raise_no_false_alarm(
        synthetic: tuple[Path, dict[str, list[str]]]) -> None:
    folder, files = synthetic
    assert _conventions(folder, files["grid"]) == {}  # each file, and all 30 together


def test_their_pixel_twins_are_found_file_by_file(
        synthetic: tuple[Path, dict[str, list[str]]]) -> None:
    folder, files = synthetic
    assert _conventions(folder, files["pixels"]) == dict.fromkeys(files["pixels"],
                                                                   "pixels-below-1000")


def test_their_resized_twins_are_found_as_resized(
        synthetic: tuple[Path, dict[str, list[str]]]) -> None:
    folder, files = synthetic
    assert _conventions(folder, files["resized"]) == dict.fromkeys(files["resized"],
                                                                    "resized-pixels")
