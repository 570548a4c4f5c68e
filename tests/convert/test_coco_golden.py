"""The COCO converter on real COCO files: golden outputs, validity, boxes back to pixels,
determinism.

Golden files live in ``tests/golden/coco/`` (``NAME.json`` or ``.jsonl``: the records as the CLI
writes them; ``NAME.tally.json``: the tally). After an intended change, regenerate them with
``DATAKIT_REGENERATE_GOLDEN=1 python -m pytest tests/convert/test_coco_golden.py`` and review
the diff.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from coco_checks import (
    DATUMARO_CAPTIONS,
    DATUMARO_INSTANCES,
    GOLDEN,
    SAMPLE,
    VAL2017,
    WRONG_FORMAT,
    answer_groups,
    assert_valid_records,
    image_path,
    load,
)

from datakit.convert.coco import CocoInput, CocoOptions, convert_coco, has_problems
from datakit.convert.image_files import size_reader
from datakit.convert.tally import Tally
from datakit.io.atomic import write_json_array, write_jsonl
from datakit.qwenvl.boxes import norm1000_to_px, xywh_px_to_xyxy_px

REGENERATE = os.environ.get("DATAKIT_REGENERATE_GOLDEN") == "1"


@dataclass(frozen=True)
class Case:
    instances: Path | None
    captions: Path | None = None
    options: dict[str, Any] = field(default_factory=dict)
    image_root: Path | None = None
    jsonl: bool = False


CASES: dict[str, Case] = {
    "val2017-grounding-detection": Case(
        VAL2017, options={"tasks": ("grounding", "detection"), "languages": ("en", "zh")}
    ),
    "val2017-round-crowd-renamed": Case(
        VAL2017,
        options={
            "tasks": ("grounding", "detection"),
            "languages": ("zh",),
            "seed": 7,
            "rounding": "round",
            "max_boxes": 2,
            "include_crowd": True,
            "renames": {"dining table": "table", "car": "vehicle", "truck": "vehicle"},
            "split": "val2017",
            "path_prefix": "coco/val2017",
        },
        jsonl=True,
    ),
    "val2017-filtered-limit": Case(
        VAL2017, options={"categories": frozenset({"person", "car", "chair"}), "limit": 1}
    ),
    "datumaro-val-all-tasks": Case(
        DATUMARO_INSTANCES / "annotations" / "instances_val.json",
        DATUMARO_CAPTIONS / "annotations" / "captions_val.json",
        options={
            "tasks": ("grounding", "detection", "caption"),
            "caption_mode": "turns",
            "languages": ("en", "zh"),
            "path_prefix": "images/val",
        },
        image_root=DATUMARO_INSTANCES / "images" / "val",
    ),
    "datumaro-train-captions": Case(
        None,
        DATUMARO_CAPTIONS / "annotations" / "captions_train.json",
        options={"tasks": ("caption",), "path_prefix": "images/train"},
        image_root=DATUMARO_CAPTIONS / "images" / "train",
    ),
    "mmdet-sample": Case(SAMPLE, options={"tasks": ("grounding", "detection")}),
    "mmdet-wrong-format": Case(WRONG_FORMAT),
}


def _convert(case: Case) -> tuple[list[dict[str, Any]], Tally]:
    instances = CocoInput(load(case.instances), case.instances.name) if case.instances else None
    captions = CocoInput(load(case.captions), case.captions.name) if case.captions else None
    read_size = size_reader(case.image_root) if case.image_root else None
    records, tally = convert_coco(
        instances, captions, CocoOptions(**case.options), read_size=read_size
    )
    out = list(records)
    tally.check_balanced()
    return out, tally


def _compare(golden: Path, produced: bytes) -> None:
    if REGENERATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(produced)
    assert produced == golden.read_bytes(), f"{golden.name} differs from its golden file"


def _written(case: Case, records: list[dict[str, Any]], tmp_path: Path) -> bytes:
    out = tmp_path / "out"
    (write_jsonl if case.jsonl else write_json_array)(out, records)
    return out.read_bytes()


def _tally_bytes(tally: Tally) -> bytes:
    return (json.dumps(tally.as_dict(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@pytest.mark.parametrize("name", sorted(CASES))
def test_conversion_matches_its_golden_files(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    records, tally = _convert(case)
    assert_valid_records(records)
    _compare(GOLDEN / f"{name}{'.jsonl' if case.jsonl else '.json'}", _written(case, records, tmp_path))
    _compare(GOLDEN / f"{name}.tally.json", _tally_bytes(tally))


@pytest.mark.parametrize("name", sorted(CASES))
def test_two_runs_are_byte_identical(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    first = _written(case, _convert(case)[0], tmp_path)
    assert _written(case, _convert(case)[0], tmp_path) == first


def test_val2017_counts_every_item() -> None:
    records, tally = _convert(CASES["val2017-grounding-detection"])
    assert [r["id"] for r in records] == [
        *(f"coco-139-grounding-{n}" for n in range(1, 11)),
        "coco-139-detection",
        *(f"coco-255917-grounding-{n}" for n in range(1, 5)),
        "coco-255917-detection",
    ]
    assert tally.as_dict()["items"] == {
        "annotation": {"seen": 37, "used": 36, "skipped": {"crowd": 1}},
        "category": {"seen": 80, "used": 80, "skipped": {}},
        "image": {"seen": 2, "used": 2, "skipped": {}},
    }
    assert not has_problems(tally)


@pytest.mark.parametrize("rounding", ["floor", "round"])
def test_boxes_map_back_to_source_pixels_within_one_grid_unit(rounding: str) -> None:
    data = load(VAL2017)
    records, _ = _convert(
        Case(VAL2017, options={"tasks": ("grounding",), "rounding": rounding})
    )
    images = {image["file_name"]: image for image in data["images"]}
    names = {category["id"]: category["name"] for category in data["categories"]}
    checked = 0
    for record in records:
        image = images[image_path(record)]
        width, height = image["width"], image["height"]
        [(name, boxes)] = answer_groups(record["conversations"][1]["value"])
        sources = sorted(
            (a["bbox"][1], a["bbox"][0], a["id"], a["bbox"])
            for a in data["annotations"]
            if a["image_id"] == image["id"] and names[a["category_id"]] == name and not a["iscrowd"]
        )
        assert len(boxes) == len(sources)
        for box, (_, _, _, xywh) in zip(boxes, sources, strict=True):
            x1, y1, x2, y2 = xywh_px_to_xyxy_px(xywh)
            source = (max(x1, 0), max(y1, 0), min(x2, width), min(y2, height))
            sizes = (width, height, width, height)
            for value, pixel, size in zip(box, source, sizes, strict=True):
                assert abs(norm1000_to_px(value, size) - pixel) <= size / 1000
                checked += 1
    assert checked == 36 * 4


def test_output_does_not_depend_on_input_order() -> None:
    data = load(VAL2017)
    shuffled = json.loads(json.dumps(data))
    rng = random.Random(3)
    for key in ("images", "annotations", "categories"):
        rng.shuffle(shuffled[key])
    assert shuffled["annotations"] != data["annotations"]
    options = CocoOptions(tasks=("grounding", "detection"), languages=("en", "zh"))
    first, _ = convert_coco(CocoInput(data, "a"), options=options)
    second, _ = convert_coco(CocoInput(shuffled, "b"), options=options)
    assert list(first) == list(second)


def test_a_subset_keeps_each_samples_prompt() -> None:
    data = load(VAL2017)
    options = CocoOptions(tasks=("grounding",), languages=("en", "zh"), seed=3)
    full = {r["id"]: r for r in convert_coco(CocoInput(data, "x"), options=options)[0]}
    only_139 = dict(data, images=[i for i in data["images"] if i["id"] == 139])
    subset = list(convert_coco(CocoInput(only_139, "x"), options=options)[0])
    assert subset and all(full[r["id"]] == r for r in subset)
