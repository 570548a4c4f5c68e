"""``datakit convert coco --target qwen2-vl|qwen2.5-vl|qwen3-vl --layout ...``: every box of
every record maps back to the source annotation within one unit of the target's scale, in each
layout; the tally follows the Qwen-VL converter; output is deterministic and atomic."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from coco_checks import DATUMARO_INSTANCES, VAL2017, load
from targets_checks import (
    FAMILY,
    LAYOUTS,
    assert_within,
    back_to_px,
    clipped_xyxy,
    datakit,
    grounded,
    load_output,
    units_px,
)

from datakit.io.atomic import TEMP_MARKER


def _expected(path: Path) -> tuple[dict[tuple[str, str], list[tuple[float, ...]]],
                                   dict[str, tuple[int, int]]]:
    """(file_name, category) -> the non-crowd boxes as the grounding task orders them (top to
    bottom, left to right, then id), cut to the picture; and each file's size."""
    data = load(path)
    images = {i["id"]: i for i in data["images"]}
    names = {c["id"]: c["name"] for c in data["categories"]}
    rows: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for ann in data["annotations"]:
        if ann.get("iscrowd"):
            continue
        image = images[ann["image_id"]]
        x, y = ann["bbox"][:2]
        rows[(image["file_name"], names[ann["category_id"]])].append((y, x, ann["id"], ann))
    sizes = {i["file_name"]: (i["width"], i["height"]) for i in images.values()}
    out = {key: [clipped_xyxy(r[3]["bbox"], sizes[key[0]]) for r in sorted(found)]
           for key, found in rows.items()}
    return out, sizes


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("target", FAMILY)
def test_every_box_maps_back_to_the_annotation(tmp_path: Path, target: str, layout: str) -> None:
    out = tmp_path / ("out.jsonl" if layout == "ms-swift" else "out.json")
    result = datakit("convert", "coco", str(VAL2017), "-o", str(out), "--target", target,
                     "--layout", layout, "--dataset-name", "val") if layout == "sharegpt" else \
        datakit("convert", "coco", str(VAL2017), "-o", str(out), "--target", target,
                "--layout", layout)
    assert result.returncode == 0, result.stderr
    expected, sizes = _expected(VAL2017)
    records = load_output(out, layout)
    # one grounding record per (image, category) that keeps a box; crowd regions are skipped
    assert len(records) == len(expected) == 14
    seen = set()
    for record in records:
        path, phrases = grounded(record, target, layout)
        assert len(phrases) == 1
        key = (path, phrases[0].label or "")
        seen.add(key)
        want = expected[key]
        assert len(phrases[0].boxes) == len(want)
        unit = units_px(target, sizes[path], layout)
        for box, want_px in zip(phrases[0].boxes, want, strict=True):
            assert_within(back_to_px(box, target, sizes[path], layout), want_px, unit)
    assert seen == set(expected)
    first_user = records[0].get("messages", records[0].get("conversations"))[0]
    text = first_user.get("content", first_user.get("value"))
    assert text.startswith("<image>\n" if layout == "qwen-vl-finetune" else "<image>")
    if layout == "sharegpt":
        assert json.loads(result.stdout) == {"val": {
            "file_name": "out.json", "formatting": "sharegpt",
            "columns": {"messages": "conversations", "images": "images"}}}
    else:
        assert result.stdout == ""


def test_qwen25_boxes_follow_the_resize_bounds(tmp_path: Path) -> None:
    """A smaller --max-pixels shrinks the picture the model sees, and the pixel boxes with it."""
    small, default = tmp_path / "small.jsonl", tmp_path / "default.jsonl"
    for out, extra in ((small, ["--max-pixels", str(100 * 28 * 28)]), (default, [])):
        result = datakit("convert", "coco", str(VAL2017), "-o", str(out), "--target",
                         "qwen2.5-vl", *extra)
        assert result.returncode == 0, result.stderr
    expected, sizes = _expected(VAL2017)
    for record in load_output(small, "ms-swift"):
        path, phrases = grounded(record, "qwen2.5-vl", "ms-swift")
        unit = units_px("qwen2.5-vl", sizes[path], max_pixels=100 * 28 * 28)
        assert unit[0] > 1.5  # the picture really was shrunk
        for box, want in zip(phrases[0].boxes, expected[(path, phrases[0].label or "")],
                             strict=True):
            assert_within(back_to_px(box, "qwen2.5-vl", sizes[path], max_pixels=100 * 28 * 28),
                          want, unit)
    assert small.read_bytes() != default.read_bytes()


def test_the_tally_matches_the_qwen_vl_converter(tmp_path: Path) -> None:
    v1, family = tmp_path / "v1.json", tmp_path / "f.jsonl"
    r1 = datakit("convert", "coco", str(VAL2017), "-o", str(v1), "--task", "grounding,detection",
                 "--report", str(tmp_path / "r1.json"))
    r2 = datakit("convert", "coco", str(VAL2017), "-o", str(family), "--task",
                 "grounding,detection", "--target", "qwen3-vl", "--report",
                 str(tmp_path / "r2.json"))
    assert (r1.returncode, r2.returncode) == (0, 0), r2.stderr
    report1 = json.loads((tmp_path / "r1.json").read_text())
    report2 = json.loads((tmp_path / "r2.json").read_text())
    assert report2["tally"]["items"] == report1["tally"]["items"]
    assert report2["output"]["records_by_task"] == report1["output"]["records_by_task"]
    assert report2["output"]["format"] == "jsonl"
    assert {k: report2["target"][k] for k in ("model", "layout", "framework", "box_space")} == {
        "model": "qwen3-vl", "layout": "ms-swift", "framework": "ms-swift",
        "box_space": "norm1000"}
    assert "forQwen3-VL(ms-swift)" in "".join(r2.stderr.split())  # wherever rich wraps it


def test_output_is_deterministic(tmp_path: Path) -> None:
    outputs = []
    for n in range(2):
        out = tmp_path / f"o{n}.json"
        result = datakit("convert", "coco", str(VAL2017), "-o", str(out), "--target",
                         "qwen2.5-vl", "--layout", "qwen-vl-finetune", "--language", "en,zh",
                         "--task", "grounding,detection")
        assert result.returncode == 0, result.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_a_box_below_one_grid_unit_is_degenerate_on_the_target(tmp_path: Path) -> None:
    data = load(DATUMARO_INSTANCES / "annotations" / "instances_train.json")
    # 10x5 picture: 0.004 px wide is 0.4 of a grid unit
    data["annotations"][0]["bbox"] = [1.0, 1.0, 0.004, 2.0]
    source = tmp_path / "instances.json"
    source.write_text(json.dumps(data))
    result = datakit("convert", "coco", str(source), "-o", str(tmp_path / "o.jsonl"),
                     "--target", "qwen3-vl")
    assert result.returncode == 1  # nothing usable: nothing written
    assert "degenerate-empty-on-grid 1" in result.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_dataset_info_is_merged_atomically(tmp_path: Path) -> None:
    info = tmp_path / "dataset_info.json"
    info.write_text(json.dumps({"mllm_demo": {"file_name": "mllm_demo.json"}}))
    out = tmp_path / "data" / "coco.json"
    out.parent.mkdir()
    result = datakit("convert", "coco", str(VAL2017), "-o", str(out), "--target", "qwen2-vl",
                     "--layout", "sharegpt", "--dataset-info", str(info))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert json.loads(info.read_text()) == {
        "mllm_demo": {"file_name": "mllm_demo.json"},
        "coco": {"file_name": "data/coco.json", "formatting": "sharegpt",
                 "columns": {"messages": "conversations", "images": "images"}},
    }
    assert [p.name for p in tmp_path.iterdir() if TEMP_MARKER in p.name] == []


def test_a_broken_dataset_info_stops_the_run_before_any_output(tmp_path: Path) -> None:
    info = tmp_path / "dataset_info.json"
    info.write_text("[1, 2")
    out = tmp_path / "o.json"
    out.write_text("old")
    result = datakit("convert", "coco", str(VAL2017), "-o", str(out), "--target", "qwen2-vl",
                     "--layout", "sharegpt", "--dataset-info", str(info))
    assert result.returncode == 2
    assert f"--dataset-info {info}: not valid JSON" in result.stderr
    assert out.read_text() == "old"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "qwen3-vl", "--rounding", "round"],
         "--rounding applies to --target qwen-vl only"),
        (["--target", "qwen3-vl", "--max-pixels", "1000"],
         "--max-pixels changes nothing for Qwen3-VL"),
        (["--layout", "sharegpt"], "--layout sharegpt needs a --target of the Qwen2-VL family"),
        (["--target", "qwen2-vl", "--dataset-info", "x.json"],
         "--dataset-info applies to --layout sharegpt"),
        (["--target", "qwen2.5-vl", "--min-pixels", "900", "--max-pixels", "800"],
         "--min-pixels 900 is above --max-pixels 800"),
        (["--target", "qwen2-vl", "--data-format", "json"],
         "--data-format json does not fit --layout ms-swift"),
        (["--max-pixels", "1000"], "--max-pixels applies to the Qwen2-VL family targets only"),
    ],
)
def test_options_that_do_not_fit_the_target_are_usage_errors(
    tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "o.json"
    result = datakit("convert", "coco", str(VAL2017), "-o", str(out), *args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"datakit: error: {message}"), result.stderr
    assert "fix:" in result.stderr
    assert not out.exists()


def test_a_picture_the_processor_refuses_is_skipped(tmp_path: Path) -> None:
    data = load(DATUMARO_INSTANCES / "annotations" / "instances_train.json")
    data["images"][0].update(width=2100, height=10)  # aspect ratio 210: above 200
    source = tmp_path / "instances.json"
    source.write_text(json.dumps(data))
    for target in ("qwen2-vl", "qwen2.5-vl", "qwen3-vl"):
        result = datakit("convert", "coco", str(source), "-o", str(tmp_path / "o.jsonl"),
                         "--target", target)
        assert result.returncode == 1  # nothing usable: nothing written
        assert "image-too-small 1" in result.stderr
        expected = "aspect ratio of 2100x10 is above 200"
        assert "".join(expected.split()) in "".join(result.stderr.split())
        assert not (tmp_path / "o.jsonl").exists()
