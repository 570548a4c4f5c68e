"""Which boxes go on which picture, and which samples are chosen."""

from __future__ import annotations

import json
from pathlib import Path

from datakit.gallery.layout import PALETTE, label_slot, plan_sample
from datakit.gallery.select import select_samples


def _msg(role: str, value: object) -> dict[str, object]:
    return {"from": role, "value": value}


def test_boxes_go_to_the_latest_picture_with_their_ref() -> None:
    record = {"conversations": [
        _msg("user", "Picture 1: <img>a.jpg</img>\nfind"),
        _msg("assistant", "<ref>cat</ref><box>(1,2),(3,4)</box><box>(5,6),(7,8)</box>"),
        _msg("user", "Picture 2: <img>b.jpg</img>\nand"),
        _msg("assistant", "<box>(10,20),(30,40)</box> then <ref>cat</ref><box>(9,9),(99,99)</box>"),
    ]}
    plan = plan_sample(record)
    assert [(p.number, p.path) for p in plan.pictures] == [(1, "a.jpg"), (2, "b.jpg")]
    first, second = plan.pictures
    assert [(b.xyxy_norm1000, b.label, b.colour) for b in first.boxes] == [
        ((1, 2, 3, 4), "cat", PALETTE[0]),
        ((5, 6, 7, 8), "cat", PALETTE[0]),
    ]
    assert [(b.xyxy_norm1000, b.label, b.colour) for b in second.boxes] == [
        ((10, 20, 30, 40), "box 1", PALETTE[label_slot("box 1")]),
        ((9, 9, 99, 99), "cat", PALETTE[0]),
    ]
    assert plan.undrawable == []


def test_a_box_after_several_pictures_goes_on_each_as_one_of_them() -> None:
    record = {"conversations": [
        _msg("user", "Picture 1: <img>a.jpg</img>\nPicture 2: <img>b.jpg</img>\n?"),
        _msg("assistant", "<ref>tree</ref><box>(1,2),(3,4)</box>"),
    ]}
    plan = plan_sample(record)
    tree = [("tree", (1, 2), ("P004",), "P004 ? tree (one of Pictures 1, 2)")]
    assert [[(b.label, b.candidates, b.codes, b.caption()) for b in p.boxes]
            for p in plan.pictures] == [tree, tree]


def test_a_box_whose_question_names_a_picture_goes_on_that_one() -> None:
    record = {"conversations": [
        _msg("user", "Picture 1: <img>a.jpg</img>\nPicture 2: <img>b.jpg</img>\n图2中的树在哪？"),
        _msg("assistant", "<ref>树</ref><box>(1,2),(3,4)</box>"),
    ]}
    plan = plan_sample(record)
    assert [[(b.label, b.codes) for b in p.boxes] for p in plan.pictures] == [[], [("树", ())]]
    assert plan.faulty == []


def test_boxes_that_cannot_be_drawn_are_listed() -> None:
    record = {"conversations": [
        _msg("user", "<box>(1,2),(3,4)</box> before any picture"),
        _msg("assistant", 42),
        _msg("user", "Picture 1: <img>a.jpg</img>\n<box>(1, 2),(3,4)</box>"),
    ]}
    plan = plan_sample(record)
    assert plan.undrawable == [(0, 0, "no picture before this box"),
                               (2, 28, "malformed coordinates")]
    assert plan.messages[1][1] is None
    assert plan_sample("not a record").pictures == []


def _dataset(path: Path, n: int) -> None:
    records = [{"id": f"s{i}", "conversations": [_msg("user", "hi"), _msg("assistant", "yo")]}
               for i in range(n)]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")


def test_a_seeded_sample_is_stable_and_in_file_order(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    _dataset(data, 200)
    first = select_samples([data], sample=7, seed=3)
    again = select_samples([data], sample=7, seed=3)
    other = select_samples([data], sample=7, seed=4)
    indexes = [c.index for c in first.chosen]
    assert indexes == [c.index for c in again.chosen]
    assert indexes != [c.index for c in other.chosen]
    assert indexes == sorted(indexes) and len(set(indexes)) == 7
    assert first.candidates == 200
    # the choice of a record does not depend on the records around it
    _dataset(data, 400)
    larger = select_samples([data], sample=7, seed=3)
    kept = {c.index for c in larger.chosen if c.index < 200}
    assert kept <= set(indexes)


def test_ids_and_only_filter_before_sampling(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    _dataset(data, 20)
    chosen = select_samples([data], sample=None, ids=["s3", "s11", "nope"])
    assert [c.record["id"] for c in chosen.chosen] == ["s3", "s11"]
    assert chosen.missing_ids == ["nope"]
    only = select_samples([data], sample=None, only={(str(data), 5), (str(data), 6)})
    assert [c.index for c in only.chosen] == [5, 6]
    assert select_samples([data], sample=3, only=set()).chosen == []
