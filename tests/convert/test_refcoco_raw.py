"""The raw refer layout: pickles + instances.json to records, every ref and sentence tallied."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from refcoco_checks import assert_maps_back, assert_valid_records, image_path, rec_pairs

from datakit.convert.image_files import size_reader
from datakit.convert.refcoco import RefcocoResult, convert_refs
from datakit.convert.refcoco_run import build_setup
from datakit.errors import ConfigError

DATA = Path(__file__).resolve().parent.parent / "data" / "refcoco"
UNC = DATA / "data" / "refcoco" / "refs(unc).p"

# ref_id -> (split, image id, xyxy px after clipping, image size the box is normalised by,
# expressions kept in order)
KEPT = {
    0: ("train", 9, (3.5, 4.25, 23.5, 34.75), (64, 48), ["man on left", "left guy"]),
    1: ("train", 9, (40.0, 10.0, 64.0, 48.0), (64, 48), ["right bottom corner thing"]),
    2: ("val", 25, (0.0, 0.0, 40.0, 60.0), (40, 60), ["whole picture", "everything"]),
    3: ("testA", 30, (10.2, 12.7, 15.3, 18.0), (50, 50), ["tiny dot", "the small one"]),
    4: ("testB", 25, (5.0, 5.0, 15.0, 15.0), (40, 60), ["top left square"]),
    8: ("train", 9, (50.0, 40.0, 64.0, 48.0), (64, 48),
        ["café chair", "naïve person", "spaced out"]),
    11: ("train", 36, (3.0, 3.0, 12.0, 12.0), (32, 30), ["centre block"]),
}


def _convert(*, image_root: Path | None = DATA / "images", path_prefix: str = "images",
             **options: Any) -> RefcocoResult:
    setup = build_setup([UNC], image_root=image_root, path_prefix=path_prefix, **options)
    items, tally, _ = setup.read("sent")
    result = convert_refs(items, setup.options, tally, setup.size_reader)
    tally.check_balanced()
    assert_valid_records(result.records)
    return result


def test_every_ref_and_sentence_is_accounted_for() -> None:
    tally = _convert(splits=["all"], path_prefix="").tally.as_dict()
    assert tally["items"] == {
        "ref": {"seen": 15, "used": 7, "skipped": {
            "annotation-on-another-image": 1, "annotation-without-box": 1,
            "box-empty-in-pixels": 1, "box-empty-on-grid": 1, "duplicate-id": 1,
            "file-missing": 1, "malformed": 1, "unknown-ann-id": 1}},
        "sentence": {"seen": 22, "used": 12, "skipped": {
            "annotation-on-another-image": 1, "annotation-without-box": 1,
            "box-empty-in-pixels": 1, "box-empty-on-grid": 1, "duplicate-id": 1,
            "duplicate-in-ref": 1, "empty-expression": 1, "expression-has-tag": 1,
            "file-missing": 1, "unknown-ann-id": 1}},
    }
    assert tally["notes"] == {"box-clipped-to-image": 1, "image-size-disagrees-file-wins": 1,
                              "pickle-strings-read-as-latin1": 1}


def test_every_kept_sentence_appears_exactly_once_with_its_box() -> None:
    records = _convert(splits=["all"], path_prefix="coco/train2014").records
    seen = Counter()
    for record in records:
        ref_id = int(record["id"].split("-")[3][1:])
        _split, image_id, xyxy_px, (width, height), _ = KEPT[ref_id]
        assert image_path(record) == f"coco/train2014/COCO_train2014_{image_id:012d}.jpg"
        for text, box in rec_pairs(record):
            seen[(ref_id, text)] += 1
            assert_maps_back(box, xyxy_px, width, height)
    expected = {(ref_id, text) for ref_id, kept in KEPT.items() for text in kept[4]}
    assert set(seen) == expected
    assert set(seen.values()) == {1}


def test_without_image_root_sizes_come_from_instances_and_nothing_is_looked_up() -> None:
    result = _convert(splits=["all"], image_root=None, path_prefix="")
    ref_ids = sorted({int(r["id"].split("-")[3][1:]) for r in result.records})
    assert ref_ids == [0, 1, 2, 3, 4, 8, 10, 11]  # 10's image is absent, 11's size trusted
    r11 = [r for r in result.records if "-r11-" in r["id"]]
    assert rec_pairs(r11[0]) == [("centre block", (100, 100, 400, 400))]  # 30x30, not 32x30
    assert image_path(r11[0]) == "COCO_train2014_000000000036.jpg"


@pytest.mark.parametrize(
    ("splits", "ref_ids", "not_selected"),
    [
        (["train"], [0, 1, 8, 11], 3),
        (["val"], [2], 9),
        (["testA,testB"], [3, 4], 8),
        (["validation", "testA"], [2, 3], 8),
        (["all"], [0, 1, 2, 3, 4, 8, 11], 0),
    ],
    ids=["train", "val", "tests", "alias", "all"],
)
def test_split_filters_hold(splits: list[str], ref_ids: list[int], not_selected: int) -> None:
    result = _convert(splits=[s for v in splits for s in v.split(",")])
    found = sorted({int(r["id"].split("-")[3][1:]) for r in result.records})
    assert found == ref_ids
    assert result.tally.skipped["ref"].get("split-not-selected", 0) == not_selected
    # Refs the reader could build, by split, whatever the selection.
    assert result.refs_by_split == {"testA": 1, "testB": 1, "train": 7, "val": 1}
    assert result.holdout_images == ["COCO_train2014_000000000025.jpg",
                                     "COCO_train2014_000000000030.jpg"]


def test_holdout_splits_can_be_chosen() -> None:
    result = _convert(holdout_splits=["testA"])
    assert result.holdout_images == ["COCO_train2014_000000000030.jpg"]


def test_group_by_ref_makes_one_conversation_per_ref_with_a_turn_per_expression() -> None:
    records = _convert(group_by="ref", splits=["train"]).records
    assert [r["id"] for r in records] == ["refcoco-unc-rec-r0", "refcoco-unc-rec-r1",
                                          "refcoco-unc-rec-r8", "refcoco-unc-rec-r11"]
    r8 = records[2]["conversations"]
    assert [m["value"] for m in r8] == [
        "Picture 1: <img>images/COCO_train2014_000000000009.jpg</img>\n<ref>café chair</ref>",
        "<ref>café chair</ref><box>(781,833),(999,999)</box>",
        "<ref>naïve person</ref>",
        "<ref>naïve person</ref><box>(781,833),(999,999)</box>",
        "<ref>spaced out</ref>",
        "<ref>spaced out</ref><box>(781,833),(999,999)</box>",
    ]


def test_region_task_and_box_only_answers() -> None:
    records = _convert(tasks=["rec", "region"], answer_style="box", splits=["val"]).records
    assert [r["id"] for r in records] == [
        "refcoco-unc-rec-r2-s4", "refcoco-unc-rec-r2-s5",
        "refcoco-unc-region-r2-s4", "refcoco-unc-region-r2-s5",
    ]
    picture = "Picture 1: <img>images/COCO_train2014_000000000025.jpg</img>\n"
    assert records[1]["conversations"] == [
        {"from": "user", "value": picture + "<ref>everything</ref>"},
        {"from": "assistant", "value": "<box>(0,0),(999,999)</box>"},
    ]
    assert records[2]["conversations"] == [
        {"from": "user",
         "value": picture + "Describe the object in <box>(0,0),(999,999)</box> in a short phrase."},
        {"from": "assistant", "value": "whole picture"},
    ]


def test_natural_prompts_are_seeded_per_sample() -> None:
    first = _convert(prompt_set="natural", languages="en,zh", seed=3, splits=["all"]).records
    again = _convert(prompt_set="natural", languages="en,zh", seed=3, splits=["val"]).records
    by_id = {r["id"]: r for r in first}
    assert again and all(by_id[r["id"]] == r for r in again)
    questions = {r["conversations"][0]["value"].split("\n", 1)[1] for r in first}
    assert len(questions) > 3
    other = _convert(prompt_set="natural", languages="en,zh", seed=4, splits=["all"]).records
    assert other != first


def test_raw_text_field() -> None:
    records = _convert(splits=["train"]).records
    assert rec_pairs(records[0])[0][0] == "man on left"
    setup = build_setup([UNC], splits=["train"])
    items, _tally, _ = setup.read("raw")
    texts = [s.text for s in items[0].sentences]
    assert texts == ["Man on left!", "left guy", "man on left"]


def test_names_come_from_the_path_and_flags_must_agree() -> None:
    setup = build_setup([UNC])
    assert (setup.dataset, setup.split_by, setup.options.id_prefix) == (
        "refcoco", "unc", "refcoco-unc")
    assert setup.instances == UNC.parent / "instances.json"
    with pytest.raises(ConfigError, match=r"--split-by google disagrees with the input path"):
        build_setup([UNC], split_by="google")
    with pytest.raises(ConfigError, match=r"--split: refcoco \(unc\) has no split 'test'"):
        build_setup([UNC], splits=["test"])
    google = build_setup([UNC.parent / "refs(google).p"], splits=["test"])
    assert google.options.splits == frozenset({"test"})


def test_protocol_0_google_and_python3_umd_pickles() -> None:
    google = build_setup([UNC.parent / "refs(google).p"], splits=["all"])
    items, tally, _ = google.read("sent")
    result = convert_refs(items, google.options, tally)
    assert [r["id"] for r in result.records] == [
        "refcoco-google-rec-r100-s100", "refcoco-google-rec-r101-s101",
        "refcoco-google-rec-r102-s102"]
    assert tally.skipped["sentence"] == {"duplicate-in-ref": 1}
    umd = build_setup([DATA / "data" / "refcocog" / "refs(umd).p"], splits=["train"])
    items, tally, _ = umd.read("sent")
    result = convert_refs(items, umd.options, tally, size_reader(DATA / "images"))
    assert [r["id"] for r in result.records] == ["refcocog-umd-rec-r200-s200",
                                                 "refcocog-umd-rec-r200-s201"]
    assert result.holdout_images == ["COCO_train2014_000000000025.jpg",
                                     "COCO_train2014_000000000030.jpg"]
