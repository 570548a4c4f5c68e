"""COCO panoptic, LVIS and Objects365 files read by ``convert coco`` from their content: every
usable box exactly once with its exact grid value, nothing unusable leaking in, every item
tallied, output that ``datakit validate`` accepts, and the same bytes as the golden files.

Regenerate the golden files with ``DATAKIT_REGENERATE_GOLDEN=1`` after an intended change.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from coco_checks import assert_valid_records
from coco_family_checks import (
    GOLDEN,
    IMAGE_INFO,
    LVIS,
    OBJECTS365,
    PANOPTIC,
    grid_floor,
    grounding_boxes,
    load,
)

from datakit.convert.category_names import CategoryNames, natural_name
from datakit.convert.coco import CocoInput, CocoOptions, convert_coco
from datakit.convert.coco_load import load_coco_file
from datakit.io.atomic import write_json_array

REGENERATE = os.environ.get("DATAKIT_REGENERATE_GOLDEN") == "1"
TASKS = ("grounding", "detection")


def _convert(path: Path, **options: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    options.setdefault("renames", CategoryNames({}))  # what the command line passes
    records, tally = convert_coco(
        CocoInput(load_coco_file(path), path.name), None, CocoOptions(tasks=TASKS, **options)
    )
    out = list(records)
    tally.check_balanced()
    return out, tally.as_dict()["items"]


def _expected(path: Path, usable: Any) -> Counter[Any]:
    """(file_name, phrase, grid) of every box ``usable(image, annotation)`` accepts."""
    data = load(path)
    images = {im["id"]: im for im in data["images"]}
    categories = {c["id"]: c["name"] for c in data["categories"]}
    out: Counter[Any] = Counter()
    for image, ann in _annotations(data, images):
        if ann["category_id"] not in categories or ann.get("iscrowd", 0) or not usable(image, ann):
            continue
        grid = grid_floor(ann["bbox"], image["width"], image["height"])
        if grid is not None:
            source = categories[ann["category_id"]]
            out[(image["file_name"], natural_name(source), grid)] += 1
    return out


def _annotations(data: dict[str, Any], images: dict[Any, Any]) -> list[tuple[Any, Any]]:
    pairs = []
    for ann in data["annotations"]:
        if "segments_info" in ann:
            pairs += [(images[ann["image_id"]], s) for s in ann["segments_info"]]
        elif ann["image_id"] in images:
            pairs.append((images[ann["image_id"]], ann))
    return pairs


def _golden(name: str, records: list[dict[str, Any]], tmp_path: Path) -> None:
    written = tmp_path / name
    write_json_array(written, iter(records))
    golden = GOLDEN / name
    if REGENERATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(written.read_bytes())
    assert written.read_bytes() == golden.read_bytes(), name


def test_panoptic_segments_are_boxes(tmp_path: Path) -> None:
    records, items = _convert(PANOPTIC)
    assert_valid_records(records)
    expected = _expected(PANOPTIC, lambda image, ann: True)
    assert grounding_boxes(records) == expected
    assert sum(expected.values()) == 47
    assert {name for _, name, _ in expected} == {  # tree-merged, sky-other-merged, ...
        "grass", "gravel", "horse", "person", "sky", "sports ball", "tree", "truck"}
    # 50 segments over 2 images, 3 of them crowd regions; segment ids repeat across images
    assert items["annotation"] == {"seen": 50, "used": 47, "skipped": {"crowd": 3}}
    assert items["image"] == {"seen": 2, "used": 2, "skipped": {}}
    _golden("panoptic_examples.json", records, tmp_path)


def test_objects365_ignore_regions_never_become_boxes(tmp_path: Path) -> None:
    records, items = _convert(OBJECTS365)
    assert_valid_records(records)
    expected = _expected(OBJECTS365, lambda image, ann: not ann.get("ignore"))
    assert grounding_boxes(records) == expected
    # fake2.jpg: annotation 4 is an ignore region on exactly the box of annotation 3
    assert expected[("fake2.jpg", "bus", (0, 0, 25, 25))] == 1
    assert items["annotation"] == {
        "seen": 8, "used": 4,
        "skipped": {"crowd": 1, "degenerate-empty-in-pixels": 1, "ignore-region": 1,
                    "unknown-category": 1},
    }
    _golden("unsorted_obj365_sample.json", records, tmp_path)


def test_lvis_boxes_of_not_exhaustive_categories_are_left_out(tmp_path: Path) -> None:
    records, items = _convert(LVIS)
    assert_valid_records(records)

    def exhaustive(image: dict[str, Any], ann: dict[str, Any]) -> bool:
        return ann["category_id"] not in image["not_exhaustive_category_ids"]

    expected = _expected(LVIS, exhaustive)
    assert grounding_boxes(records) == expected
    assert {name for _, name, _ in expected} == {  # baseball_bat, cellular_telephone, ...
        "baseball base", "baseball bat", "baseball glove", "cellular telephone", "helmet",
        "jersey", "laptop computer", "life jacket", "spectacles", "watch"}
    assert items["annotation"] == {"seen": 38, "used": 31, "skipped": {"not-exhaustive": 7}}
    _golden("lvis_val_100_extract.json", records, tmp_path)


def test_lvis_v1_images_take_their_path_from_coco_url() -> None:
    data = load(LVIS)
    for image in data["images"]:  # v1 drops file_name; the URL names folder and file
        del image["file_name"]
    records, tally = convert_coco(CocoInput(data, "v1.json"), None, CocoOptions(tasks=TASKS))

    paths = {r["conversations"][0]["value"].split("</img>")[0] for r in records}
    assert paths == {
        "Picture 1: <img>val2017/000000057672.jpg",
        "Picture 1: <img>val2017/000000089648.jpg",
        "Picture 1: <img>val2017/000000196141.jpg",
    }
    assert tally.skipped.get("image", {}) == {}


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (IMAGE_INFO, "this looks like a COCO image-info file (images and categories, no "
         "annotations): there is nothing to convert"),
    ],
)
def test_files_of_another_kind_exit_2_naming_what_they_look_like(
    tmp_path: Path, path: Path, message: str
) -> None:
    out = tmp_path / "out.json"
    result = subprocess.run(
        [sys.executable, "-m", "datakit", "convert", "coco", str(path), "-o", str(out)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == f"datakit: error: {path}: {message}"
    assert not out.exists()


def test_golden_outputs_pass_datakit_validate() -> None:
    names = ["panoptic_examples.json", "unsorted_obj365_sample.json",
             "lvis_val_100_extract.json"]
    for name in names:
        result = subprocess.run(
            [sys.executable, "-m", "datakit", "validate", "--no-cache", "--images", "none", name],
            cwd=GOLDEN, capture_output=True, text=True, check=False,
        )
        assert result.returncode == 0, result.stdout
        assert "0 error(s)" in result.stdout
