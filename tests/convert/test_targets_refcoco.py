"""``datakit convert refcoco --target ... --output-layout ...``: every answer box maps back to
its ref's box within one unit of the target's scale; the tally is the Qwen-VL converter's."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from PIL import Image
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

from datakit.convert.refcoco import clean_expression
from datakit.convert.refcoco_run import build_setup

DATA = Path(__file__).resolve().parent.parent / "data" / "refcoco"
REFS = DATA / "data" / "refcoco" / "refs(unc).p"
IMAGES = DATA / "images"


def _sizes() -> dict[str, tuple[int, int]]:
    out = {}
    for path in IMAGES.iterdir():
        with Image.open(path) as image:
            out[f"images/{path.name}"] = image.size
    return out


def _ref_boxes(sizes: dict[str, tuple[int, int]]) -> dict[tuple[str, str], list[tuple[float, ...]]]:
    """(trainer path, expression) -> the boxes of the refs saying it, cut to the picture."""
    items, _, _ = build_setup([REFS], image_root=IMAGES).read("sent")
    out: dict[tuple[str, str], list[tuple[float, ...]]] = defaultdict(list)
    for item in items:
        path = f"images/{item.image_file}"
        if path not in sizes:
            continue
        for sentence in item.sentences:
            out[(path, clean_expression(sentence.text))].append(
                clipped_xyxy(item.box_px, sizes[path]))
    return out


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("target", FAMILY)
def test_every_answer_box_maps_back_to_its_ref(tmp_path: Path, target: str, layout: str) -> None:
    out = tmp_path / "out.json"
    result = datakit("convert", "refcoco", str(REFS), "-o", str(out), "--image-root", "images",
                     "--target", target, "--output-layout", layout, cwd=DATA)
    # the planted faults of refs(unc).p are skipped and reported, as for Qwen-VL
    assert result.returncode == 1, result.stderr
    sizes = _sizes()
    expected = _ref_boxes(sizes)
    records = load_output(out, layout)
    # qwen-vl-finetune hands Qwen3-VL's processor the 32x30 picture of image 36 as it is;
    # transformers' resize scales a side below 32 px up rather than refusing it, so every
    # target keeps all seven refs
    assert len(records) == 7
    assert "image-too-small" not in result.stderr
    for record in records:
        path, phrases = grounded(record, target, layout)
        assert len(phrases) == 1 and len(phrases[0].boxes) == 1
        candidates = expected[(path, phrases[0].label or "")]
        got = back_to_px(phrases[0].boxes[0], target, sizes[path], layout)
        unit = units_px(target, sizes[path], layout)
        errors = []
        for want in candidates:
            try:
                assert_within(got, want, unit)
                break
            except AssertionError as exc:
                errors.append(exc)
        else:
            raise AssertionError(errors)


def test_the_tally_matches_the_qwen_vl_converter(tmp_path: Path) -> None:
    reports = []
    for n, extra in enumerate(([], ["--target", "qwen3-vl", "--output-layout", "sharegpt"])):
        report = tmp_path / f"r{n}.json"
        result = datakit("convert", "refcoco", str(REFS), "-o", str(tmp_path / f"o{n}.json"),
                         "--image-root", "images", "--task", "rec,region", "--report",
                         str(report), *extra, cwd=DATA)
        assert result.returncode == 1, result.stderr
        reports.append(json.loads(report.read_text()))
    assert reports[1]["tally"] == reports[0]["tally"]
    assert reports[1]["output"]["records_by_task"] == reports[0]["output"]["records_by_task"]
    assert reports[1]["target"]["model"] == "qwen3-vl"
    assert reports[1]["target"]["framework"] == "llama-factory"


def test_json_targets_ask_for_json_and_qwen2_vl_marks_the_ref(tmp_path: Path) -> None:
    texts = {}
    for target in ("qwen2-vl", "qwen3-vl"):
        out = tmp_path / f"{target}.jsonl"
        result = datakit("convert", "refcoco", str(REFS), "-o", str(out), "--image-root",
                         "images", "--target", target, "--language", "zh", cwd=DATA)
        assert result.returncode == 1, result.stderr
        texts[target] = json.loads(out.read_text().splitlines()[0])["messages"][0]["content"]
    assert texts["qwen2-vl"] == "<image><|object_ref_start|>man on left<|object_ref_end|>"
    assert texts["qwen3-vl"] == "<image>定位man on left，以JSON格式输出其bbox坐标。"


def test_an_expression_holding_a_layout_tag_is_skipped(tmp_path: Path) -> None:
    source = tmp_path / "pairs.jsonl"
    rows = [{"image": "COCO_train2014_000000000009.jpg", "sentence": text, "bbox": [1, 1, 20, 20],
             "split": "train"} for text in ("the dog", "the <image> dog")]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = tmp_path / "o.jsonl"
    result = datakit("convert", "refcoco", str(source), "-o", str(out), "--bbox-format", "xyxy",
                     "--image-root", str(IMAGES), "--target", "qwen2-vl")
    assert result.returncode == 1, result.stderr
    assert "expression-has-tag 1" in result.stderr
    assert len(out.read_text().splitlines()) == 1
