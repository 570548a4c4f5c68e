"""B006 box-in-pixels, piece by piece: the resized sizes, the grid chance, which picture each box
is drawn on, and the verdict on small files (the real COCO proofs are in test_box_scale_coco)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from datakit.findings import Finding
from datakit.qwenvl.smart_resize import llama_factory_resize, smart_resize
from datakit.validation.box_scale import SAMPLE_ALL, SAMPLE_STRIDE, pictures_of
from datakit.validation.box_spaces import grid_chance, limits
from datakit.validation.engine import validate_files
from datakit.validation.images import ImageChecker
from datakit.validation.settings import Settings
from datakit.validation.view import make_view


@pytest.mark.parametrize(("size", "resized"), [
    # image_grid_thw of the real Qwen2VLImageProcessor (qwen-vl-family.md): [1, H/14, W/14]
    ((640, 428), (644, 420)),
    ((1000, 1000), (1008, 1008)),
    ((27, 300), (28, 308)),
    ((4000, 3000), (4004, 2996)),
])
def test_smart_resize_matches_the_image_processor(size: tuple[int, int],
                                                 resized: tuple[int, int]) -> None:
    assert smart_resize(*size) == resized


def test_llama_factory_shrinks_large_pictures_first() -> None:
    # 1280x960 is over 768*768 pixels: int(1280 * 0.6928) = 886, int(960 * 0.6928) = 665
    assert llama_factory_resize(1280, 960) == smart_resize(886, 665) == (896, 672)
    assert llama_factory_resize(640, 427) == smart_resize(640, 427) == (644, 420)


def test_only_spaces_under_1000_a_side_count() -> None:
    assert [b[:3] for b in limits(640, 427)] == [(0, 641, 428), (1, 645, 421)]
    assert [b[:3] for b in limits(1280, 960)] == [(3, 897, 673)]  # only LLaMA-Factory's
    assert limits(3000, 200) == ()  # the 768x768-pixel cap still leaves it 2968 wide
    chance_beyond, reach_x, reach_y = limits(640, 427)[0][3:]
    assert chance_beyond == pytest.approx(1 - 642 * 429 / 1e6)
    assert (reach_x, reach_y) == (pytest.approx(576.0), pytest.approx(384.3))


def test_grid_chance_is_the_binomial_tail() -> None:
    assert grid_chance(0, 20, 0.7) == pytest.approx(0.3**20)
    assert grid_chance(1, 20, 0.7) == pytest.approx(0.3**20 + 20 * 0.7 * 0.3**19)
    assert grid_chance(14, 20, 0.7) == 1.0  # about as many beyond as expected: nothing odd
    assert math.isfinite(grid_chance(0, 100_000, 0.9))


def _picture(root: Path, name: str, size: tuple[int, int]) -> str:
    Image.new("RGB", size, (90, 120, 150)).save(root / name)
    return name


def _record(*values: str) -> dict[str, Any]:
    roles = ["user", "assistant"] * len(values)
    return {"id": "a", "conversations": [{"from": r, "value": v}
                                         for r, v in zip(roles, values, strict=False)]}


def _pictures(root: Path, record: dict[str, Any]) -> list[tuple[int, int, list[int], int]]:
    view = make_view("f.json", 0, 1, record)
    checker = ImageChecker(root, "header")
    sound = {m.index for m in view.messages if "<box>" in m.value}
    return pictures_of(view, checker, sound)


def test_a_box_is_drawn_on_the_latest_picture_before_it(tmp_path: Path) -> None:
    a = _picture(tmp_path, "a.png", (320, 240))
    b = _picture(tmp_path, "b.png", (200, 300))
    record = _record(f"Picture 1: <img>{a}</img>\nFind cars.",
                     "<ref>car</ref><box>(20,120),(120,200)</box><box>(180,110),(300,210)</box>",
                     f"Picture 2: <img>{b}</img>\nAnd here?",
                     "<ref>clock</ref><box>(110,40),(180,110)</box>",
                     "And the car in picture 1?",
                     "<ref>car</ref><box>(30,200),(90,280)</box>")
    assert _pictures(tmp_path, record) == [
        (320, 240, [120, 200, 300, 210], 1),
        (200, 300, [180, 110, 90, 280], 3),  # the last box follows picture 2 (as written)
    ]


def test_boxes_after_several_pictures_of_one_message_are_skipped(tmp_path: Path) -> None:
    a = _picture(tmp_path, "a.png", (320, 240))
    b = _picture(tmp_path, "b.png", (200, 300))
    record = _record(f"Picture 1: <img>{a}</img>\nPicture 2: <img>{b}</img>\nFind cars.",
                     "<ref>car</ref><box>(20,120),(120,200)</box>")
    assert _pictures(tmp_path, record) == []


def test_pictures_and_boxes_in_one_value_pair_by_position(tmp_path: Path) -> None:
    a = _picture(tmp_path, "a.png", (320, 240))
    b = _picture(tmp_path, "b.png", (200, 300))
    record = _record(f"<box>(1,2),(30,40)</box> <img>{a}</img> <box>(5,6),(70,80)</box> "
                     f"<img>{b}</img> <box>(9,9),(99,99)</box>", "ok")
    # the first box precedes every picture
    assert _pictures(tmp_path, record) == [(320, 240, [70, 80], 0), (200, 300, [99, 99], 0)]


def test_pictures_of_unknown_size_are_skipped(tmp_path: Path) -> None:
    record = _record("Picture 1: <img>missing.png</img>\nFind cars.",
                     "<ref>car</ref><box>(20,120),(120,200)</box>")
    assert _pictures(tmp_path, record) == []


# -- the verdict, through the engine --------------------------------------------------------

_STREET, _KITCHEN = (320, 240), (200, 300)
# The shapes drawn in samples/images street.jpg and kitchen.png, in pixels.
_PIXEL_ANSWERS = [
    ("street", "<box>(20,120),(120,200)</box><box>(180,110),(300,210)</box>"),
    ("street", "<box>(140,20),(180,60)</box>"),
    ("kitchen", "<box>(110,40),(180,110)</box><box>(30,200),(90,280)</box>"),
    ("street", "<box>(180,110),(300,210)</box><box>(140,20),(180,60)</box>"),
    ("kitchen", "<box>(30,200),(90,280)</box>"),
    ("street", "<box>(20,120),(120,200)</box><box>(140,20),(180,60)</box>"),
]
# The same boxes on the grid (as samples/grounding.json writes them).
_GRID_ANSWERS = [
    ("street", "<box>(62,500),(375,833)</box><box>(562,458),(937,875)</box>"),
    ("street", "<box>(437,83),(562,250)</box>"),
    ("kitchen", "<box>(550,133),(900,366)</box><box>(150,666),(450,933)</box>"),
    ("street", "<box>(562,458),(937,875)</box><box>(437,83),(562,250)</box>"),
    ("kitchen", "<box>(150,666),(450,933)</box>"),
    ("street", "<box>(62,500),(375,833)</box><box>(437,83),(562,250)</box>"),
]


def _dataset(root: Path, name: str, answers: list[tuple[str, str]]) -> str:
    for picture, size in (("street", _STREET), ("kitchen", _KITCHEN)):
        if not (root / f"{picture}.png").exists():
            _picture(root, f"{picture}.png", size)
    records = [{"id": f"{name}-{i}", "conversations": [
        {"from": "user", "value": f"Picture 1: <img>{picture}.png</img>\nWhere are they?"},
        {"from": "assistant", "value": f"<ref>them</ref>{boxes}"}]}
        for i, (picture, boxes) in enumerate(answers)]
    (root / name).write_text(json.dumps(records, indent=1), encoding="utf-8")
    return str(root / name)


def _b006(root: Path, *files: str, images: str = "header") -> list[Finding]:
    settings = Settings(jobs=1, cache=False, base_dir=str(root), image_root=".")
    settings = settings.with_overrides(images=images)
    return [f for f in validate_files(list(files), settings).findings if f.code == "B006"]


def test_pixel_boxes_on_small_pictures_are_found_once_with_examples(tmp_path: Path) -> None:
    found = _b006(tmp_path, _dataset(tmp_path, "px.json", _PIXEL_ANSWERS))
    assert len(found) == 1
    finding = found[0]
    assert finding.data["convention"] == "pixels-below-1000"
    assert (finding.location.record_index, finding.location.json_path) == (
        0, "$[0].conversations[1].value")
    assert finding.message.startswith(
        "all of 10 boxes on 6 pictures stay within their image's own width and height")
    assert "they look like pixel coordinates, not the 0..999 grid. Examples: " in finding.message
    assert finding.message.endswith("$[4].conversations[1].value <box>(30,200),(90,280)</box> "
                                    "on 200x300")
    assert finding.message.count(" on 320x240") == 3


def test_the_same_boxes_on_the_grid_are_clean(tmp_path: Path) -> None:
    assert _b006(tmp_path, _dataset(tmp_path, "grid.json", _GRID_ANSWERS)) == []


@pytest.mark.parametrize("images", ["none", "exists"])
def test_without_image_sizes_the_rule_is_silent(tmp_path: Path, images: str) -> None:
    assert _b006(tmp_path, _dataset(tmp_path, "px.json", _PIXEL_ANSWERS), images=images) == []


def test_too_few_boxes_are_not_judged(tmp_path: Path) -> None:
    assert _b006(tmp_path, _dataset(tmp_path, "px.json", _PIXEL_ANSWERS[:3])) == []


def test_files_too_small_alone_are_judged_together(tmp_path: Path) -> None:
    first = _dataset(tmp_path, "a.json", _PIXEL_ANSWERS[:3])
    second = _dataset(tmp_path, "b.json", _PIXEL_ANSWERS[3:])
    found = _b006(tmp_path, first, second)
    assert [(f.location.file, f.message.split(" stay")[0]) for f in found] == [
        (first, "all of 10 boxes on 6 pictures")]


def test_a_pixel_file_is_named_among_grid_files(tmp_path: Path) -> None:
    grid = _dataset(tmp_path, "grid.json", _GRID_ANSWERS * 3)
    pixels = _dataset(tmp_path, "px.json", _PIXEL_ANSWERS)
    assert [f.location.file for f in _b006(tmp_path, grid, pixels, grid)] == [pixels]


def test_pixels_past_1000_stay_b005s(tmp_path: Path) -> None:
    big = [("street", "<box>(20,1200),(1120,2000)</box>")] * 12  # more than half the boxes
    files = (_dataset(tmp_path, "big.json", big), _dataset(tmp_path, "px.json", _PIXEL_ANSWERS))
    settings = Settings(jobs=1, cache=False, base_dir=str(tmp_path), image_root=".")
    codes = {f.code for f in validate_files(list(files), settings).findings}
    assert "B005" in codes
    assert "B006" not in codes


def test_a_large_file_is_judged_on_a_sample_by_record_index(tmp_path: Path) -> None:
    answers = _PIXEL_ANSWERS * 200  # 1200 records, 2000 boxes
    found = _b006(tmp_path, _dataset(tmp_path, "px.json", answers))
    records = [*range(SAMPLE_ALL), *range(SAMPLE_ALL, len(answers), SAMPLE_STRIDE)]
    boxes = sum(answers[i % len(_PIXEL_ANSWERS)][1].count("<box>") for i in records)
    assert (len(records), boxes) == (1030, 1717)
    assert [f.message.split(" stay")[0] for f in found] == [
        f"all of {boxes} boxes on {len(records)} pictures"]
