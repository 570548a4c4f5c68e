"""Flattened copies (jxu124, lmms-lab, Qwen-VL eval, generic): layouts, box conventions, splits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from refcoco_checks import assert_maps_back, assert_valid_records, image_path, rec_pairs

from datakit.convert.refcoco import RefcocoResult, convert_refs
from datakit.convert.refcoco_run import build_setup
from datakit.errors import ConfigError, InputError

DATA = Path(__file__).resolve().parent.parent / "data" / "refcoco"
JXU = DATA / "hub" / "jxu124" / "refcoco"
LMMS = DATA / "hub" / "lmms-lab" / "RefCOCO" / "data" / "val-00000-of-00001.parquet"
QWEN = DATA / "qwen-eval" / "refcoco_testA.jsonl"
GENERIC = DATA / "generic" / "refcoco_train_pairs.jsonl"


def _convert(files: list[Path], **options: Any) -> tuple[RefcocoResult, dict[str, Any]]:
    setup = build_setup(files, **options)
    items, tally, info = setup.read("sent")
    result = convert_refs(items, setup.options, tally, setup.size_reader)
    tally.check_balanced()
    assert_valid_records(result.records)
    return result, info


def test_jxu124_parquet_boxes_are_xyxy_and_every_sentence_is_kept() -> None:
    files = sorted((JXU / "data").glob("*.parquet"))
    result, info = _convert(files, splits=["all"])
    assert info == {"layout": "jxu124", "bbox_format": "xyxy", "text": "sent"}
    pairs = {(r["id"], text): box for r in result.records for text, box in rec_pairs(r)}
    assert sorted(r["id"] for r in result.records) == sorted([
        "refcoco-rec-r3-s6", "refcoco-rec-r3-s7",  # test file: split column testA
        "refcoco-rec-r0-s0", "refcoco-rec-r0-s1", "refcoco-rec-r1-s3",
        "refcoco-rec-r8-s12", "refcoco-rec-r8-s13", "refcoco-rec-r8-s14",
        "refcoco-rec-r2-s4", "refcoco-rec-r2-s5",
    ])
    assert_maps_back(pairs[("refcoco-rec-r0-s0", "man on left")], (3.5, 4.25, 23.5, 34.75), 64, 48)
    assert_maps_back(pairs[("refcoco-rec-r3-s6", "tiny dot")], (10.2, 12.7, 15.3, 18.0), 50, 50)
    assert result.refs_by_split == {"testA": 1, "train": 3, "val": 1}
    assert result.tally.as_dict()["items"]["row"] == {"seen": 5, "used": 5, "skipped": {}}
    assert result.tally.skipped["sentence"] == {
        "duplicate-in-ref": 1, "empty-expression": 1, "expression-has-tag": 1}


def test_jxu124_test_split_without_a_split_column_is_testA() -> None:
    result, _ = _convert([JXU / "test.jsonl"], dataset="refcoco", splits=["testA"])
    assert [r["id"] for r in result.records] == ["refcoco-rec-r3-s6", "refcoco-rec-r3-s7"]
    assert result.tally.notes == {"jxu124-test-read-as-testA": 1}


def test_jxu124_test_needs_the_dataset(tmp_path: Path) -> None:
    copy = tmp_path / "test.jsonl"
    copy.write_bytes((JXU / "test.jsonl").read_bytes())
    with pytest.raises(ConfigError, match="pass --dataset refcoco"):
        _convert([copy], splits=["testA"])
    result, _ = _convert([copy], dataset="refcocog", splits=["test"])
    assert len(result.records) == 2


def test_lmms_lab_boxes_are_xywh_sizes_come_from_the_embedded_image() -> None:
    result, info = _convert([LMMS], splits=["val"])
    assert info == {"layout": "lmms-lab", "bbox_format": "xywh", "text": "sent"}
    assert [r["id"] for r in result.records] == [
        "refcoco-rec-qrefcoco_val_0-si0", "refcoco-rec-qrefcoco_val_0-si1",
        "refcoco-rec-qrefcoco_val_1-si0"]
    assert [rec_pairs(r)[0] for r in result.records] == [
        ("whole picture", (0, 0, 999, 999)), ("everything", (0, 0, 999, 999)),
        ("top left square", (125, 83, 375, 250))]
    assert image_path(result.records[2]) == "COCO_train2014_000000000025.jpg"
    assert result.tally.notes == {"refer-file-name-suffix-stripped": 1}
    assert result.holdout_images == ["COCO_train2014_000000000025.jpg"]


def test_qwen_eval_rows_group_into_refs_and_bad_rows_are_tallied() -> None:
    result, info = _convert([QWEN], splits=["testA"], group_by="ref")
    assert info == {"layout": "qwen-eval", "bbox_format": "xyxy", "text": "sent"}
    assert [r["id"] for r in result.records] == ["refcoco-rec-l1", "refcoco-rec-l6"]
    assert [t for t, _ in rec_pairs(result.records[0])] == ["tiny dot", "the small one"]
    assert image_path(result.records[0]) == "coco/train2014/COCO_train2014_000000000030.jpg"
    tally = result.tally.as_dict()["items"]
    assert tally["row"] == {"seen": 6, "used": 3, "skipped": {
        "invalid-json": 1, "malformed-box": 1, "not-an-object": 1}}
    assert tally["ref"] == {"seen": 2, "used": 2, "skipped": {}}
    assert tally["sentence"] == {"seen": 3, "used": 3, "skipped": {}}


def test_a_layout_without_a_known_convention_must_be_declared() -> None:
    with pytest.raises(ConfigError, match=r"bbox could be \[x1,y1,x2,y2\] or \[x,y,w,h\]"):
        _convert([GENERIC], layout="generic")
    with pytest.raises(InputError, match=r"columns \(image, sent, bbox\) are not a RefCOCO "
                                         r"layout datakit knows"):
        _convert([GENERIC])
    xywh, info = _convert([GENERIC], bbox_format="xywh", image_root=DATA / "images",
                          path_prefix="")
    assert info == {"layout": "generic", "bbox_format": "xywh", "text": "sent"}
    assert [rec_pairs(r)[0][1] for r in xywh.records] == [(54, 88, 367, 723), (0, 0, 999, 999)]
    xyxy, _ = _convert([GENERIC], bbox_format="xyxy", image_root=DATA / "images")
    assert [rec_pairs(r)[0][1] for r in xyxy.records] == [(54, 88, 312, 635), (0, 0, 999, 999)]


def test_a_declared_convention_must_agree_with_a_known_layout() -> None:
    with pytest.raises(ConfigError, match=r"the lmms-lab layout stores bbox as xywh, but "
                                          r"--bbox-format xyxy was given"):
        _convert([LMMS], bbox_format="xyxy")


def test_a_file_without_any_split_needs_input_split(tmp_path: Path) -> None:
    rows = tmp_path / "pairs.jsonl"
    rows.write_bytes(GENERIC.read_bytes())
    with pytest.raises(ConfigError, match="pass --input-split NAME"):
        _convert([rows], bbox_format="xywh")
    result, _ = _convert([rows], bbox_format="xywh", input_split="train")
    assert len(result.records) == 0  # no sizes: neither columns nor an image root
    assert result.tally.skipped["ref"] == {"size-missing": 2}


def test_layouts_cannot_be_mixed() -> None:
    with pytest.raises(ConfigError, match="a qwen-eval file among lmms-lab files"):
        _convert([LMMS, QWEN], splits=["all"])


def test_rows_of_one_image_and_box_are_one_ref_across_files(tmp_path: Path) -> None:
    second = tmp_path / "refcoco_testA.jsonl"
    second.write_bytes(QWEN.read_bytes())
    result, _ = _convert([QWEN, second], splits=["testA"])
    assert [r["id"] for r in result.records] == [
        "refcoco-rec-f0l1-sf0l1", "refcoco-rec-f0l1-sf0l3", "refcoco-rec-f0l6-sf0l6"]
    assert result.tally.skipped["sentence"] == {"duplicate-in-ref": 3}
    assert result.tally.as_dict()["items"]["row"]["seen"] == 12


def test_broken_inputs_are_clear_errors(tmp_path: Path) -> None:
    parquet = tmp_path / "train.parquet"
    parquet.write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match=r"train\.parquet: not a readable Parquet file"):
        _convert([parquet])
    text = tmp_path / "train.csv"
    text.write_text("a,b\n")
    with pytest.raises(InputError, match=r"train\.csv: not a file datakit reads"):
        _convert([text])
    with pytest.raises(InputError, match=r"instances\.json: not flattened RefCOCO rows"):
        _convert([DATA / "data" / "refcoco" / "instances.json"])
    empty = tmp_path / "train.jsonl"
    empty.write_text("")
    with pytest.raises(InputError):
        _convert([empty])
    lines = tmp_path / "val.jsonl"
    lines.write_text(json.dumps({"image": "a.jpg", "sent": "x", "bbox": [0, 0, 1, 1],
                                 "width": 0, "height": 2}) + "\n")
    result, _ = _convert([lines], splits=["val"])
    assert result.tally.skipped["ref"] == {"size-missing": 1}
