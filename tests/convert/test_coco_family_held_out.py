"""Held-out real files of the COCO family, written by others and never used to build the
converter (``tests/data/coco_family/held_out/NOTICE.md``): every usable box present exactly once
with its exact grid value, nothing unusable leaking in, names that read as language, and output
that ``datakit validate`` accepts. Each file goes through the real command line."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from coco_checks import assert_valid_records
from coco_family_checks import FAMILY, PANOPTIC, grid_floor, grounding_boxes, load

HELD_OUT = FAMILY / "held_out"
TRANSFORMERS = HELD_OUT / "transformers"
DATUMARO_PANOPTIC = HELD_OUT / "datumaro" / "panoptic_val.json"
DATUMARO_STUFF = HELD_OUT / "datumaro" / "stuff_val.json"
LVIS = HELD_OUT / "lvis-api" / "lvis_val_100_held_out.json"
TASKS = ("--task", "grounding,detection")


def _convert(tmp_path: Path, path: Path, *args: str) -> tuple[list[dict[str, Any]], Any]:
    """The records ``convert coco`` writes and its tally; the output must validate clean."""
    out, report = tmp_path / "out.json", tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "datakit", "convert", "coco", str(path), "-o", str(out),
         "--report", str(report), "-q", *TASKS, *args],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    checked = subprocess.run(
        [sys.executable, "-m", "datakit", "validate", "--no-cache", "--images", "none", str(out)],
        capture_output=True, text=True, check=False,
    )
    assert checked.returncode == 0 and " 0 error(s)" in f" {checked.stdout}", checked.stdout
    records = json.loads(out.read_text(encoding="utf-8"))
    assert_valid_records(records)
    return records, json.loads(report.read_text(encoding="utf-8"))["tally"]


def _expected(data: dict[str, Any], names: dict[Any, str], usable: Any) -> Counter[Any]:
    """(file_name, phrase, grid) of every non-crowd box ``usable(image, box)`` accepts, with the
    phrase ``names`` gives its category: computed here in exact fractions, not by datakit."""
    images = {image["id"]: image for image in data["images"]}
    out: Counter[Any] = Counter()
    for ann in data["annotations"]:
        boxes = ann.get("segments_info", [ann])
        image = images[ann["image_id"]]
        for box in boxes:
            if box.get("iscrowd", 0) or not usable(image, box):
                continue
            grid = grid_floor(box["bbox"], image["width"], image["height"])
            if grid is not None:
                out[(image["file_name"], names[box["category_id"]], grid)] += 1
    return out


def _transformers_panoptic(tmp_path: Path) -> Path:
    """The two COCO val2017 panoptic ``segments_info`` lists of transformers' test fixtures in a
    panoptic file: the picture sizes of COCO val2017 and the 133 categories of panopticapi."""
    categories = load(PANOPTIC)["categories"]
    data = {
        "images": [
            {"id": 139, "file_name": "000000000139.jpg", "width": 640, "height": 426},
            {"id": 39769, "file_name": "000000039769.jpg", "width": 640, "height": 480},
        ],
        "annotations": [
            {"image_id": 139, "file_name": "000000000139.png",
             "segments_info": load(TRANSFORMERS / "coco_annotations_panoptic.txt")},
            {"image_id": 39769, "file_name": "000000039769.png",
             "segments_info": load(TRANSFORMERS / "coco_panoptic_annotations.txt")},
        ],
        "categories": categories,
    }
    path = tmp_path / "panoptic_val2017_transformers.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# The phrases the held-out categories must read as, written out by hand (not by the rule).
PANOPTIC_PHRASES = {
    1: "person", 17: "cat", 62: "chair", 63: "couch", 64: "potted plant", 67: "dining table",
    72: "tv", 75: "remote", 78: "microwave", 82: "refrigerator", 84: "book", 85: "clock",
    86: "vase", 93: "blanket", 118: "wood floor", 119: "flower", 130: "light", 156: "shelf",
    181: "window", 186: "ceiling", 188: "cabinet", 189: "table", 199: "wall", 200: "rug",
}
LVIS_PHRASES = {
    "earring": "earring", "fork": "fork", "knife": "knife", "shirt": "shirt", "vase": "vase",
    "motor_scooter": "motor scooter", "taillight": "taillight", "jean": "jean",
    "wheel": "wheel",
}


def test_transformers_panoptic_segments_things_and_stuff(tmp_path: Path) -> None:
    path = _transformers_panoptic(tmp_path)
    records, tally = _convert(tmp_path, path)
    expected = _expected(load(path), PANOPTIC_PHRASES, lambda image, box: True)
    assert grounding_boxes(records) == expected
    assert sum(expected.values()) == 36  # 30 segments of picture 139, 6 of picture 39769
    # the whole-picture blanket of 39769 ends on the grid's last cell, not past it
    assert expected[("000000039769.jpg", "blanket", (0, 0, 999, 999))] == 1
    assert expected[("000000000139.jpg", "wood floor", (0, 631, 881, 999))] == 1
    assert tally["items"]["annotation"] == {"seen": 36, "used": 36, "skipped": {}}
    detection = {r["id"]: r["conversations"][1]["value"] for r in records
                 if r["id"].endswith("-detection")}
    assert sorted(detection) == ["coco-139-detection", "coco-39769-detection"]
    for answer in detection.values():  # no raw stuff name reaches an answer
        assert "-merged" not in answer and "-other" not in answer and "floor-wood" not in answer


@pytest.mark.parametrize("target", [[], ["--target", "qwen2-vl"]])
def test_datumaro_panoptic_with_nothing_usable_is_an_error(
    tmp_path: Path, target: list[str]
) -> None:
    # both segments are zero pixels high; one is also a crowd region
    out = tmp_path / "out.json"
    out.write_text("earlier output\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "datakit", "convert", "coco", str(DATUMARO_PANOPTIC), "-o",
         str(out), "-q", *target],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "datakit: error: no usable sample: 2 annotations seen, none used "
        "(2 degenerate-empty-in-pixels); 1 image seen, none used (1 nothing-usable); "
        f"{out} not written")
    assert "--include-crowd" not in result.stderr  # keeping crowd regions would not help
    assert out.read_text(encoding="utf-8") == "earlier output\n"


def test_datumaro_stuff_box_past_the_picture_is_cut_to_it(tmp_path: Path) -> None:
    records, tally = _convert(tmp_path, DATUMARO_STUFF)
    data = load(DATUMARO_STUFF)
    expected = _expected(data, {1: "TEST"}, lambda image, box: True)
    # bbox [0, 0, 10, 4] on a 5x10 picture: 10 pixels wide, cut to the picture's 5
    assert expected == Counter({("000000000001.jpg", "TEST", (0, 0, 999, 400)): 1})
    assert grounding_boxes(records) == expected
    assert tally["items"]["annotation"] == {"seen": 1, "used": 1, "skipped": {}}
    assert tally["notes"] == {"box-clipped": 1}


def test_lvis_held_out_images_leave_not_exhaustive_boxes_out(tmp_path: Path) -> None:
    records, tally = _convert(tmp_path, LVIS)
    data = load(LVIS)
    names = {c["id"]: LVIS_PHRASES.get(c["name"], c["name"]) for c in data["categories"]}

    def exhaustive(image: dict[str, Any], box: dict[str, Any]) -> bool:
        return box["category_id"] not in image["not_exhaustive_category_ids"]

    expected = _expected(data, names, exhaustive)
    assert grounding_boxes(records) == expected
    assert {name for _, name, _ in expected} == set(LVIS_PHRASES.values())
    leaked = _expected(data, names, lambda image, box: not exhaustive(image, box))
    assert sum(leaked.values()) == 23 and not set(leaked) & set(grounding_boxes(records))
    assert tally["items"]["annotation"] == {
        "seen": 62, "used": 39, "skipped": {"not-exhaustive": 23}}


def test_lvis_held_out_negatives_name_each_absent_category_in_words(tmp_path: Path) -> None:
    records, tally = _convert(tmp_path, LVIS, "--negatives")
    data = load(LVIS)
    by_id = {c["id"]: c["name"] for c in data["categories"]}
    negatives = [r for r in records if "-negative-" in r["id"]]
    expected = sum(len(i["neg_category_ids"]) for i in data["images"])
    assert len(negatives) == expected == tally["items"]["negative"]["used"] == 35
    for record in negatives:
        question, answer = (t["value"] for t in record["conversations"])
        asked = question.split("</img>\n", 1)[1]
        assert "_" not in asked + answer and "(" not in asked + answer, record
    raw = {by_id[c] for i in data["images"] for c in i["neg_category_ids"]}
    qualified = sorted(name for name in raw if "_(" in name)
    assert qualified == ["parasail_(sports)", "stapler_(stapling_machine)"]
    for name in qualified:  # the qualifier is dropped, the word kept
        word = name.split("_(")[0].replace("_", " ")
        assert any(word in r["conversations"][1]["value"] for r in negatives), name
