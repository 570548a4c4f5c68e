"""ODVG JSONL read by ``convert coco``: the real examples of Open-GroundingDino's README (COCO
train2017 detection lines, GRIT grounding lines) with its COCO label map; every box exactly once
with its exact grid value, phrases marked in their captions, output that ``validate`` accepts."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from coco_checks import assert_valid_records
from coco_family_checks import FAMILY, grid_floor, grounding_boxes

ODVG = FAMILY / "open-groundingdino"
OD = ODVG / "odvg_od_readme_examples.jsonl"
VG = ODVG / "odvg_vg_readme_examples.jsonl"
LABEL_MAP = ODVG / "coco2017_label_map.json"


def _run(tmp_path: Path, path: Path, *args: str) -> tuple[list[dict[str, Any]], Any]:
    out, report = tmp_path / "out.json", tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "datakit", "convert", "coco", str(path), "-o", str(out),
         "--report", str(report), "-q", *args],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    checked = subprocess.run(
        [sys.executable, "-m", "datakit", "validate", "--no-cache", "--images", "none", str(out)],
        capture_output=True, text=True, check=False,
    )
    assert checked.returncode == 0 and "0 error(s)" in checked.stdout, checked.stdout
    records = json.loads(out.read_text())
    assert_valid_records(records)
    return records, json.loads(report.read_text())["tally"]["items"]


def _grid_xyxy(xyxy: list[float], width: int, height: int) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = (Fraction(v) for v in xyxy)
    grid = grid_floor([x1, y1, x2 - x1, y2 - y1], width, height)  # type: ignore[list-item]
    assert grid is not None
    return grid


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("label_map", [True, False])
def test_detection_lines_are_coco_instances_with_exact_boxes(
    tmp_path: Path, label_map: bool
) -> None:
    args = ["--task", "grounding,detection"] + (["--label-map", str(LABEL_MAP)] if label_map
                                                 else [])
    records, items = _run(tmp_path, OD, *args)
    names = json.loads(LABEL_MAP.read_text())
    expected: Counter[Any] = Counter()
    for line in _lines(OD):
        for instance in line["detection"]["instances"]:
            name = names[str(instance["label"])] if label_map else instance["category"]
            grid = _grid_xyxy(instance["bbox"], line["width"], line["height"])
            expected[(line["filename"], name, grid)] += 1
    assert grounding_boxes(records) == expected
    assert sum(expected.values()) == 8
    assert items["annotation"] == {"seen": 8, "used": 8, "skipped": {}}
    assert [r["id"] for r in records if r["id"].endswith("-detection")] == [
        "coco-1-detection", "coco-2-detection"]  # image id = line number


def test_grounding_lines_mark_each_phrase_in_its_caption(tmp_path: Path) -> None:
    records, items = _run(tmp_path, VG)
    lines = _lines(VG)
    assert [r["id"] for r in records] == ["odvg-1", "odvg-2"]
    for record, line in zip(records, lines, strict=True):
        question, answer = (t["value"] for t in record["conversations"])
        assert question == (f"Picture 1: <img>{line['filename']}</img>\n"
                            "Generate the caption in English with grounding:")
        expected = line["grounding"]["caption"]
        for region in line["grounding"]["regions"]:
            box = "<box>({},{}),({},{})</box>".format(
                *_grid_xyxy(region["bbox"], line["width"], line["height"]))
            phrase = region["phrase"]
            expected = expected.replace(phrase, f"<ref>{phrase}</ref>{box}", 1)
        assert answer == expected
    assert records[1]["conversations"][1]["value"] == (
        "naive : <ref>Heart graphics</ref><box>(208,188),(280,305)</box> in "
        "<ref>a notebook background</ref><box>(5,5),(997,996)</box>")
    assert items["annotation"] == {"seen": 3, "used": 3, "skipped": {}}


def test_phrases_outside_the_caption_overlapping_or_with_spans(tmp_path: Path) -> None:
    line = {"filename": "a.jpg", "height": 100, "width": 200, "grounding": {
        "caption": "Two surfers walking down the shore. sand on the beach.",
        "regions": [
            {"bbox": [20, 10, 40, 50], "phrase": "Two surfers", "tokens_positive": [[0, 11]]},
            {"bbox": [[100, 60, 150, 90], [10, 60, 50, 99]], "phrase": "beach",
             "tokens_positive": [[48, 53]]},
            {"bbox": [0, 0, 200, 100], "phrase": "the ocean"},  # not in the caption
            {"bbox": [30, 10, 45, 50], "phrase": "surfers"},  # inside "Two surfers"
            {"bbox": [5, 5, 5, 9], "phrase": "sand"},  # empty in pixels
        ]}}
    path = tmp_path / "vg.jsonl"
    path.write_text(json.dumps(line) + "\n")
    records, items = _run(tmp_path, path)
    values = [t["value"] for t in records[0]["conversations"]]
    assert values[1] == ("<ref>Two surfers</ref><box>(100,100),(200,500)</box> walking down "
                         "the shore. sand on the <ref>beach</ref><box>(50,600),(250,990)</box>"
                         "<box>(500,600),(750,900)</box>.")  # top to bottom, left to right
    # the phrase the caption lacks and the one inside another are asked on their own
    assert values[3::2] == ["<ref>the ocean</ref><box>(0,0),(999,999)</box>",
                            "<ref>surfers</ref><box>(150,100),(225,500)</box>"]
    assert "the ocean" in values[2] and "surfers" in values[4]
    assert items["annotation"] == {"seen": 6, "used": 5,
                                   "skipped": {"degenerate-empty-in-pixels": 1}}


def test_empty_detection_file_is_an_error_not_an_empty_output(tmp_path: Path) -> None:
    odvg = tmp_path / "train.jsonl"
    odvg.write_text(
        '{"filename": "a.jpg", "height": 10, "width": 10, "detection": {"instances": []}}\n')
    out = tmp_path / "out.json"
    result = subprocess.run(
        [sys.executable, "-m", "datakit", "convert", "coco", str(odvg), "-o", str(out)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 1
    assert "no usable sample" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("layout", [[], ["--layout", "generic", "--bbox-format", "xyxy"]])
def test_convert_refcoco_points_odvg_at_convert_coco(tmp_path: Path, layout: list[str]) -> None:
    out = tmp_path / "out.json"
    result = subprocess.run(
        [sys.executable, "-m", "datakit", "convert", "refcoco", str(VG), "-o", str(out),
         *layout], capture_output=True, text=True, check=False,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"datakit: error: {VG}: this looks like ODVG JSONL (Grounding DINO training data: one "
        "picture a line with 'detection' or 'grounding')",
        "  fix: use datakit convert coco, which reads it"]
    assert not out.exists()
