"""Boxes with findings and ambiguous boxes cannot be mistaken for good ones in the gallery.

The pictures are drawn with real Pillow and read back pixel by pixel: a good box is a solid
outline in its colour; a box with findings is dashed, its colour alternating with pure red; an
ambiguous box (P004) is drawn that way on every picture it may mark, and a box whose question
names its picture is drawn on that picture only.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import colour_rect, is_outline, run_datakit
from PIL import Image

from datakit.findings import Finding, Location, Severity
from datakit.gallery.draw import dash_px, draw_boxes, outline_px
from datakit.gallery.layout import FAULT_COLOUR, PALETTE, PlannedBox, label_slot, plan_sample

GREY = (128, 128, 128)
BOX = (100, 150, 600, 700)
# a label keeps the colour its text hashes to
TREE, CAR = PALETTE[label_slot("树")], PALETTE[label_slot("the car")]


def _mask(image: Image.Image, colour: tuple[int, int, int]) -> np.ndarray:
    pixels = np.asarray(image.convert("RGB"))
    return np.all(pixels == np.array(colour, dtype=np.uint8), axis=-1)


def _assert_dashed(image: Image.Image, colour: tuple[int, int, int],
                   xyxy: tuple[int, int, int, int]) -> None:
    """Along the top and left edges, runs of ``dash`` pixels alternate ``colour`` and red."""
    width, height = image.size
    left, top, right, bottom = outline_px(xyxy, width, height)
    dash = dash_px(width, height)
    ours, red = _mask(image, colour), _mask(image, FAULT_COLOUR)
    for x in range(left + 2, right - 1):  # the corners belong to the side bands
        expected = red if (x - left) // dash % 2 else ours
        assert expected[top, x] and expected[top + 1, x], (x, top)
        assert expected[bottom, x], (x, bottom)
    for y in range(top + 2, bottom - 1):
        expected = red if (y - top) // dash % 2 else ours
        assert expected[y, left] and expected[y, right], (left, y)


def test_a_box_with_findings_is_dashed_and_a_good_one_is_solid() -> None:
    image = Image.new("RGB", (300, 200), GREY)
    good = PlannedBox((700, 20, 990, 300), "good", PALETTE[1], 1, 0)
    swapped = PlannedBox((600, 700, 100, 150), "swapped", PALETTE[0], 1, 40, codes=("B003",))
    drawn = draw_boxes(image, [good, swapped], font=None, labels=False)
    # the good box: a closed outline in its colour and no red anywhere near it
    rect = outline_px(good.xyxy_norm1000, 300, 200)
    assert colour_rect(drawn, PALETTE[1]) == rect
    assert is_outline(drawn, PALETTE[1], rect)
    # the faulty one: the rectangle its corners span, dashed, two pixels wide
    assert colour_rect(drawn, FAULT_COLOUR) is not None
    assert not is_outline(drawn, PALETTE[0], outline_px(BOX, 300, 200))
    _assert_dashed(drawn, PALETTE[0], BOX)
    left, top, _, _ = outline_px(BOX, 300, 200)
    # inside the two-pixel band: one black contrast line, then the picture
    assert _mask(drawn, (0, 0, 0))[top + 2, left + 2]
    assert _mask(drawn, GREY)[top + 3, left + 3]


def test_labels_of_faulty_boxes_start_with_their_codes() -> None:
    ambiguous = PlannedBox(BOX, "树", PALETTE[0], 1, 3, candidates=(1, 2), codes=("P004",))
    swapped = PlannedBox(BOX, "the red car", PALETTE[0], 1, 3, codes=("B002", "B003"))
    good = PlannedBox(BOX, "dog", PALETTE[0], 1, 3)
    assert ambiguous.caption() == "P004 ? 树 (one of Pictures 1, 2)"
    assert swapped.caption() == "B002 B003 the red car"
    assert good.caption() == "dog"


def _finding(code: str, message: int, offset: int) -> Finding:
    return Finding(code, "x", Severity.ERROR, "m",
                   Location("f", record_index=0,
                            json_path=f"$[0].conversations[{message}].value", char_offset=offset))


def test_the_plan_marks_faults_from_the_box_and_from_findings() -> None:
    answer = ("<ref>dog</ref><box>(10,20),(1000,600)</box><box>(5,5),(5,9)</box>"
              "<box>(9,9),(1,1)</box><box>(1,1),(9,9)</box>")
    off_grid, flat, swapped, good = (m.start() for m in re.finditer("<box>", answer))
    record = {"conversations": [
        {"from": "user", "value": "Picture 1: <img>a.png</img>\nPicture 2: <img>b.png</img>\n"
                                  "Where is the dog in Picture 2?"},
        {"from": "assistant", "value": answer},
        {"from": "user", "value": "And the cat?"},
        {"from": "assistant", "value": "<ref>cat</ref><box>(1,1),(9,9)</box>"},
    ]}
    plan = plan_sample(record, [_finding("X999", 1, good + 1)])  # no box starts there
    first, second = plan.pictures
    # the dog's question names Picture 2; "And the cat?" names none: the cat is on both
    cat = (3, 14, ("P004",), (1, 2))
    assert [(b.message_index, b.start, b.codes, b.candidates) for b in first.boxes] == [cat]
    assert [(b.message_index, b.start, b.codes, b.candidates) for b in second.boxes] == [
        (1, off_grid, ("B002",), ()),
        (1, flat, ("B004",), ()),
        (1, swapped, ("B003",), ()),
        (1, good, (), ()),
        cat,
    ]
    plan = plan_sample(record, [_finding("X999", 1, good)])
    assert plan.pictures[1].boxes[3].codes == ("X999",)  # a finding located at the box
    assert [b.codes for b in plan.faulty] == [("B002",), ("B004",), ("B003",), ("X999",),
                                              ("P004",)]
    assert plan.drawn_on[(1, off_grid)] == (2,) and plan.drawn_on[(3, 14)] == (1, 2)


@pytest.fixture(scope="module")
def gallery(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("faults")
    (root / "img").mkdir()
    Image.new("RGB", (400, 200), (90, 140, 200)).save(root / "img" / "park.png")
    Image.new("RGB", (320, 240), GREY).save(root / "img" / "street.png")
    two = "Picture 1: <img>img/park.png</img>\nPicture 2: <img>img/street.png</img>\n"
    box = "<box>({},{}),({},{})</box>".format(*BOX)
    records = [
        {"id": "ambiguous", "conversations": [
            {"from": "user", "value": two + "两张图片有什么不同？"},
            {"from": "assistant", "value": f"第一张是公园，有一棵<ref>树</ref>{box}。"}]},
        {"id": "named", "conversations": [
            {"from": "user", "value": two + "Where is the car in Picture 2?"},
            {"from": "assistant", "value": f"<ref>the car</ref>{box}"}]},
        {"id": "swapped", "conversations": [
            {"from": "user", "value": "Picture 1: <img>img/street.png</img>\nWhere?"},
            {"from": "assistant", "value": "<ref>the car</ref><box>(600,700),(100,150)</box>"}]},
    ]
    (root / "data.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    result = run_datakit(["preview", "data.json", "--out", "out"], cwd=root)
    assert result.returncode == 0, result.stderr
    page = (root / "out" / "index.html").read_text(encoding="utf-8")
    return {"root": root, "stdout": result.stdout, "page": page}


def _png(gallery: dict[str, Any], name: str) -> Image.Image:
    return Image.open(gallery["root"] / "out" / "images" / name)


def test_the_terminal_counts_faulty_and_ambiguous_boxes(gallery: dict[str, Any]) -> None:
    assert gallery["stdout"].splitlines()[:2] == [
        f"wrote 3 sample(s), 5 picture(s), 4 box(es) to {Path('out') / 'index.html'}",
        "2 box(es) with findings drawn dashed, 1 of them ambiguous (P004: drawn on each "
        "picture they may mark)",
    ]


@pytest.mark.parametrize("name", ["0001-1.png", "0001-2.png"])
def test_an_ambiguous_box_is_dashed_on_each_picture_it_may_mark(gallery: dict[str, Any],
                                                               name: str) -> None:
    _assert_dashed(_png(gallery, name), TREE, BOX)


def test_a_named_picture_gets_the_box_alone(gallery: dict[str, Any]) -> None:
    assert colour_rect(_png(gallery, "0002-1.png"), CAR) is None
    street = _png(gallery, "0002-2.png")
    rect = colour_rect(street, CAR)
    assert rect == outline_px(BOX, 320, 240)
    assert is_outline(street, CAR, rect)
    assert colour_rect(street, FAULT_COLOUR) is None


def test_a_swapped_box_is_dashed(gallery: dict[str, Any]) -> None:
    _assert_dashed(_png(gallery, "0003-1.png"), CAR, BOX)


def test_the_page_lists_ambiguous_and_faulty_boxes(gallery: dict[str, Any]) -> None:
    page = gallery["page"]
    assert ("<li>P004 box &#8220;树&#8221; in message 2 at character 22: ambiguous: one of "
            "Pictures 1, 2, drawn on each</li>") in page
    assert ("<span class=\"on ambiguous\">? one of Pictures 1, 2 (P004: the text does not say "
            "which)</span>") in page
    assert "<span class=\"on\">&#8594; Picture 2</span>" in page
    assert "<li>B003 box &#8220;the car&#8221; in message 2 at character 18: drawn dashed</li>" \
        in page
    assert page.count('<span class="tag box faulty"') == 2
    assert page.count('<span class="tag box"') == 1  # the named one is good
    assert 'class="legend"' in page and "<script" not in page
