"""P004 box-picture-ambiguous: which picture a box marks, as its documentation defines it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from datakit.qwenvl.grammar import parse_value
from datakit.qwenvl.picture_refs import BoxPlace, named_pictures, place_boxes
from datakit.qwenvl.tag_scan import tags_paired
from datakit.validation.engine import validate_files
from datakit.validation.rules import ambiguity
from datakit.validation.settings import Settings
from datakit.validation.view import make_view

ROOT = Path(__file__).resolve().parents[2]
TWO = "Picture 1: <img>a.jpg</img>\nPicture 2: <img>b.jpg</img>\n"
BOX = "<box>(10,20),(500,600)</box>"


def _user(value: str) -> dict[str, str]:
    return {"from": "user", "value": value}


def _assistant(value: str) -> dict[str, str]:
    return {"from": "assistant", "value": value}


@pytest.mark.parametrize(("text", "names"), [
    ("Where is the dog in Picture 2?", {2}),
    ("where is the dog in picture 2?", {2}),
    ("Find it in IMAGE #3.", {3}),
    ("the second image", {2}),
    ("In the First Photo, what is red?", {1}),
    ("Compare Picture 1 and picture 2.", {1, 2}),
    ("框出图1中的树", {1}),
    ("框出图片2里的车", {2}),
    ("第一张图片里有什么？", {1}),
    ("第2张图", {2}),
    ("第十幅", {10}),
    # no picture named
    ("两张图片有什么不同？", set()),
    ("这两张图一样吗", set()),  # 图 followed by 一样 ("the same"), not a number
    ("图中的狗", set()),
    ("Where is the dog?", set()),
    ("Resize the image to 448 pixels.", set()),
    ("An image 1920x1080 and a photo 2.5 MB", set()),  # sizes are not picture numbers
])
def test_named_pictures(text: str, names: set[int]) -> None:
    assert named_pictures(text) == names


def _places(*conversation: dict[str, Any]) -> list[BoxPlace]:
    return place_boxes((i, m["from"], m["value"], parse_value(m["value"]))
                       for i, m in enumerate(conversation))


def _verdicts(*conversation: dict[str, Any]) -> list[tuple[int, tuple[int, ...], int | None]]:
    """(message, candidates, the picture) per box."""
    return [(p.message_index, p.candidates, p.picture) for p in _places(*conversation)]


CASES: dict[str, tuple[list[dict[str, str]], list[tuple[int, tuple[int, ...], int | None]]]] = {
    "one picture": (
        [_user("Picture 1: <img>a.jpg</img>\nWhere?"), _assistant(f"<ref>dog</ref>{BOX}")],
        [(1, (1,), 1)],
    ),
    "two pictures, nothing named (the issue's case)": (
        [_user(TWO + "两张图片有什么不同？"), _assistant(f"第一张有一棵<ref>树</ref>{BOX}")],
        [(1, (1, 2), None)],
    ),
    "two pictures, the question names one": (
        [_user(TWO + "Where is the dog in Picture 2?"), _assistant(BOX)],
        [(1, (1, 2), 2)],
    ),
    "two pictures, named in Chinese": (
        [_user(TWO + "框出图1中的树"), _assistant(BOX)],
        [(1, (1, 2), 1)],
    ),
    "the question names both": (
        [_user(TWO + "Where is the dog in Picture 1 and in Picture 2?"), _assistant(BOX + BOX)],
        [(1, (1, 2), None), (1, (1, 2), None)],
    ),
    "the question names a picture that is not a candidate": (
        [_user("Picture 1: <img>a.jpg</img>\nhi"), _assistant("ok"),
         _user("Picture 2: <img>b.jpg</img>\nPicture 3: <img>c.jpg</img>\nFind it in "
               "Picture 1."), _assistant(BOX)],
        [(3, (2, 3), None)],
    ),
    "the answer naming a picture does not count": (
        [_user(TWO + "What differs?"), _assistant(f"In Picture 1 a <ref>tree</ref>{BOX}")],
        [(1, (1, 2), None)],
    ),
    "multi-turn: a named follow-up, then an unnamed one": (
        [_user(TWO + "两张图片有什么不同？"), _assistant("公园和街道。"),
         _user("框出图1中的树"), _assistant(BOX), _user("框出车"), _assistant(BOX)],
        [(3, (1, 2), 1), (5, (1, 2), None)],
    ),
    "multi-turn: a later message with one picture is the latest": (
        [_user(TWO + "What differs?"), _assistant("a lot"),
         _user("Picture 3: <img>c.jpg</img>\nWhere is the dog?"), _assistant(BOX)],
        [(3, (3,), 3)],
    ),
    "a box in a user message after two pictures of that message": (
        [_user(TWO + f"What is at {BOX}?"), _assistant("a dog")],
        [(0, (1, 2), None)],
    ),
    "a box in a user message that names its picture after it": (
        [_user(TWO + f"What is at {BOX} in Picture 2?"), _assistant("a dog")],
        [(0, (1, 2), 2)],
    ),
    "interleaved: only the pictures before the box in its message": (
        [_user("Picture 1: <img>a.jpg</img>\n" + BOX + "\nPicture 2: <img>b.jpg</img>\n" + BOX),
         _assistant("ok")],
        [(0, (1,), 1), (0, (1, 2), None)],
    ),
    "a box after a picture of its own message ignores earlier ones": (
        [_user(TWO + "hi"), _assistant("ok"), _user(f"Picture 3: <img>c.jpg</img>\nWhat is {BOX}?")],
        [(2, (3,), 3)],
    ),
    "a box before the pictures of its own message uses the earlier message": (
        [_user("Picture 1: <img>a.jpg</img>\nhi"), _assistant("ok"),
         _user(BOX + " Picture 2: <img>b.jpg</img>\nPicture 3: <img>c.jpg</img>\n")],
        [(2, (1,), 1)],
    ),
    "a box before any picture has no candidate": (
        [_user(f"What is {BOX}?"), _assistant("nothing")],
        [(0, (), None)],
    ),
    "quads count like boxes": (
        [_user(TWO + "Read the sign."), _assistant("<quad>(1,2),(3,4),(5,6),(7,8)</quad>")],
        [(1, (1, 2), None)],
    ),
    "a label without its image names a picture": (
        [_user(TWO + "Where is the dog in Picture 2: the street?"), _assistant(BOX)],
        [(1, (1, 2), 2)],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_candidates_and_picture(name: str) -> None:
    conversation, expected = CASES[name]
    assert _verdicts(*conversation) == expected


@pytest.mark.parametrize("name", list(CASES))
def test_the_quick_reading_of_paired_tags_agrees_with_the_parser(name: str) -> None:
    conversation, _ = CASES[name]
    values = [m["value"] for m in conversation]
    assert all(tags_paired(v) for v in values)
    quick = place_boxes((i, m["from"], m["value"], None) for i, m in enumerate(conversation))
    assert quick == _places(*conversation)


def _run(records: list[Any], tmp_path: Path) -> list[Any]:
    path = tmp_path / "data.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    settings = Settings(jobs=1, cache=False, images="none", base_dir=str(tmp_path))
    return [f for f in validate_files([str(path)], settings).findings if f.code == "P004"]


def test_the_finding_names_the_box_the_pictures_and_the_fix(tmp_path: Path) -> None:
    records = [{"id": "two", "conversations": [
        _user(TWO + "两张图片有什么不同？"),
        _assistant(f"第一张是公园，有一棵<ref>树</ref>{BOX}；第二张是街道。"),
    ]}]
    (finding,) = _run(records, tmp_path)
    assert finding.message == (
        f"{BOX} may mark any of Pictures 1, 2: it follows a message with 2 pictures, and its "
        "question names none of them"
    )
    assert finding.severity.value == "error"
    assert finding.location.json_path == "$[0].conversations[1].value"
    assert finding.location.char_offset == records[0]["conversations"][1]["value"].index("<box>")
    assert finding.data == {"candidates": [1, 2]}
    assert "name the picture in the question" in (finding.fix or "")


def test_multi_turn_findings_point_at_each_ambiguous_box(tmp_path: Path) -> None:
    records = [{"id": "t", "conversations": [
        _user(TWO + "What differs?"), _assistant(f"<ref>a</ref>{BOX}"),
        _user("框出图2中的车"), _assistant(f"<ref>车</ref>{BOX}"),
        _user(f"What is at {BOX}?"), _assistant("a dog"),
    ]}]
    found = [(f.location.json_path, f.message.split(": ")[-1]) for f in _run(records, tmp_path)]
    assert found == [
        ("$[0].conversations[1].value",
         "it follows a message with 2 pictures, and its question names none of them"),
        ("$[0].conversations[4].value",
         "it follows a message with 2 pictures, and its question names none of them"),
    ]


def test_qwen_readme_example_has_no_ambiguous_box(tmp_path: Path) -> None:
    # identity_2 shows two pictures but asks for no box; identity_1's box follows one picture.
    records = json.loads((ROOT / "tests" / "vectors" / "qwen_vl_readme.json").read_text("utf-8"))
    assert len(records) == 3
    assert _run(records, tmp_path) == []


def test_clean_records_are_judged_without_a_parse() -> None:
    """The hot path: a record with one picture is never parsed by this rule, and a record
    with two pictures whose tags are paired is read without the full parser."""
    calls: list[Any] = []

    def emit(*args: Any) -> None:
        calls.append(args)

    for conversation in (
        [_user("Picture 1: <img>a.jpg</img>\nWhere?"), _assistant(f"<ref>dog</ref>{BOX}")],
        [_user(TWO + "Where is the dog in Picture 2?"), _assistant(f"<ref>dog</ref>{BOX}")],
    ):
        view = make_view("f.json", 0, 1, {"conversations": conversation})
        ambiguity.check(view, emit, None)  # type: ignore[arg-type]
        assert all(m._parsed is None for m in view.messages)
    assert calls == []
