"""LVIS ``neg_category_ids`` as "there is no X" samples with ``--negatives``, on the real lvis-api
extract: one sample per listed category, deterministic, tallied, never for a category with boxes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from coco_checks import assert_valid_records
from coco_family_checks import LVIS, load

from datakit.convert.category_names import CategoryNames, natural_name
from datakit.convert.coco import CocoInput, CocoOptions, convert_coco
from datakit.convert.coco_load import load_coco_file


def _convert(data: Any, **options: Any) -> tuple[list[dict[str, Any]], Any]:
    options.setdefault("renames", CategoryNames({}))
    records, tally = convert_coco(CocoInput(data, "lvis.json"), None, CocoOptions(**options))
    out = list(records)
    tally.check_balanced()
    return out, tally


def _negatives(records: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    return {
        r["id"]: (r["conversations"][0]["value"], r["conversations"][1]["value"])
        for r in records
        if "-negative-" in r["id"]
    }


def test_every_negative_category_is_one_sample_in_category_id_order() -> None:
    data = load_coco_file(LVIS)
    records, tally = _convert(data, negatives=True)
    assert_valid_records(records)
    names = {c["id"]: natural_name(c["name"]) for c in load(LVIS)["categories"]}
    negatives = _negatives(records)
    expected: dict[str, str] = {}
    for image in load(LVIS)["images"]:
        for n, category_id in enumerate(sorted(image["neg_category_ids"]), 1):
            expected[f"coco-{image['id']}-negative-{n}"] = names[category_id]
    assert len(expected) == 30
    assert {key: value[1] for key, value in negatives.items()} == {
        key: f"There is no {name} in the image." for key, name in expected.items()
    }
    for key, (question, _) in negatives.items():
        assert expected[key] in question  # the grounding question about that category
        assert question.startswith("Picture 1: <img>COCO_val2014_")
    assert tally.as_dict()["items"]["negative"] == {"seen": 30, "used": 30, "skipped": {}}
    # the boxes are what they were without the option
    plain, _ = _convert(load_coco_file(LVIS))
    assert [r for r in records if "-negative-" not in r["id"]] == plain


def test_without_the_option_negatives_are_only_noted() -> None:
    records, tally = _convert(load_coco_file(LVIS))
    assert not _negatives(records)
    assert "negative" not in tally.seen
    assert tally.notes["negatives-not-asked"] == 30


def test_a_negative_category_with_boxes_unknown_or_filtered_is_skipped() -> None:
    data = load_coco_file(LVIS)
    image = next(im for im in data["images"] if im["id"] == 89648)
    with_box = next(a["category_id"] for a in data["annotations"] if a["image_id"] == 89648
                    and a["category_id"] not in image["not_exhaustive_category_ids"])
    image["neg_category_ids"] += [with_box, 99999]
    records, tally = _convert(data, negatives=True)
    skipped = tally.as_dict()["items"]["negative"]
    assert skipped == {"seen": 32, "used": 30,
                       "skipped": {"has-boxes": 1, "unknown-category": 1}}
    answers = [v[1] for v in _negatives(records).values()]
    assert len(answers) == len(set(answers)) == 30


def test_chinese_negatives_and_determinism() -> None:
    data = load_coco_file(LVIS)
    first, _ = _convert(data, negatives=True, languages=("zh",), seed=3)
    again, _ = _convert(load_coco_file(LVIS), negatives=True, languages=("zh",), seed=3)
    assert first == again
    answers = [v[1] for v in _negatives(first).values()]
    assert answers and all(a.startswith("图中没有") and a.endswith("。") for a in answers)


def test_command_line_writes_negatives_and_counts_them(tmp_path: Path) -> None:
    out, report = tmp_path / "out.json", tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "datakit", "convert", "coco", str(LVIS), "-o", str(out),
         "--negatives", "--report", str(report), "-q"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(report.read_text())
    assert document["output"]["records_by_task"]["negative"] == 30
    assert document["options"]["negatives"] is True
    checked = subprocess.run(
        [sys.executable, "-m", "datakit", "validate", "--no-cache", "--images", "none", str(out)],
        capture_output=True, text=True, check=False,
    )
    assert checked.returncode == 0, checked.stdout
    assert "0 error(s)" in checked.stdout


def test_negatives_with_a_family_target_are_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "datakit", "convert", "coco", str(LVIS), "-o",
         str(tmp_path / "o.json"), "--negatives", "--target", "qwen2-vl"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 2
    assert "--negatives applies to --target qwen-vl only" in result.stderr
