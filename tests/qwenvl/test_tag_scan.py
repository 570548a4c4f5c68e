"""Every quick answer of ``tag_scan`` is what the full parser says about the same value."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from datakit.qwenvl import grammar, tag_scan

_PIECES = [
    *"<>/()|,.-0123456789 :\n\u0301é狗", "<img>", "</img>", "<ref>", "</ref>", "<box>", "</box>",
    "<quad>", "</quad>", "Picture 1: ", "Picture 2:", "Picture 3: ", "Picture 12:", "Picture ",
    "Picture 1234567890:", "Picture 01: ", "Picture this ", "(1,2),(3,4)", "(10,20),(999,1000)", "(5,9),(3,1)", "(0,0),(1,1)",
    "(0,0),(01,2)", "(1234567890,1),(2,3)", "(0,0),(999,999)", "(5,5),(5,6)", "(1,2),(3,4),(5,6),(7,8)", "img/a.jpg", "the dog",
]
_VALUES = st.lists(st.sampled_from(_PIECES), max_size=30).map("".join)


def _structural(parsed: grammar.ParsedValue) -> list[grammar.TagProblem]:
    return [p for p in parsed.problems if not p.kind.startswith("malformed")]


def _label_numbers(parsed: grammar.ParsedValue) -> list[int] | None:
    """Label numbers when every image follows its label and every label precedes an image."""
    segments = parsed.segments
    numbers = []
    for i, seg in enumerate(segments):
        if isinstance(seg, grammar.Image):
            prev = segments[i - 1] if i else None
            if not isinstance(prev, grammar.PictureLabel) or prev.end != seg.start:
                return None
            numbers.append(prev.number)
        elif isinstance(seg, grammar.PictureLabel):
            nxt = segments[i + 1] if i + 1 < len(segments) else None
            if not isinstance(nxt, grammar.Image):
                return None
    return numbers


@settings(max_examples=2500, deadline=None)
@given(_VALUES)
@example("<img>Picture 1: x</img>")
@example("Picture 1: <img>a</img><ref>Picture 2: </ref>")
@example("Picture 1:  <img>a</img>")
@example("Picture 1: <img>a</img> Picture this")
def test_quick_answers_equal_the_parser(value: str) -> None:
    parsed = grammar.parse_value(value)
    paired = tag_scan.tags_paired(value)
    if paired:
        assert _structural(parsed) == []
    if not paired:
        return
    images = parsed.images()
    assert tag_scan.image_paths(value) == [i.path for i in images]
    if images:
        assert tag_scan.image_offsets(value) == [i.path_start for i in images]
    for first in (1, 2):
        count = tag_scan.labels_in_order(value, first)
        if count is not None:
            assert _label_numbers(parsed) == list(range(first, first + count))
    sound = tag_scan.sound_boxes(value)
    if sound is not None:
        assert not any(isinstance(s, grammar.Quad) for s in parsed.segments)
        corners = [b.xyxy_norm1000 for b in parsed.boxes()]
        assert all(c is not None and c[0] < c[2] < 1000 and c[1] < c[3] < 1000 for c in corners)
        assert sound == (len(corners), sum(1 for c in corners if c and max(c) <= 1))


def test_the_usual_values_get_quick_answers() -> None:
    value = "Picture 1: <img>a b.jpg</img>\nPicture 2:<img>c</img> and <ref>猫</ref>"
    assert tag_scan.tags_paired(value)
    assert tag_scan.image_paths(value) == ["a b.jpg", "c"]
    assert tag_scan.image_offsets(value) == [16, 45]
    assert tag_scan.labels_in_order(value, 1) == 2
    assert tag_scan.labels_in_order("Picture 3: <img>x</img>", 3) == 1
    answer = "<ref>the dog</ref><box>(0,1),(998,999)</box><box>(5,5),(6,6)</box>"
    assert tag_scan.tags_paired(answer)
    assert tag_scan.sound_boxes(answer) == (2, 0)
    assert tag_scan.sound_boxes("<ref>a</ref><box>(0,0),(1,1)</box>") == (1, 1)


def test_other_values_are_left_to_the_parser() -> None:
    for value in ("<ref>dog", "x</box>", "<ref>a<box>(1,2),(3,4)</box></ref>", "<img>a<ref></img>"):
        assert not tag_scan.tags_paired(value), value
    assert tag_scan.labels_in_order("Picture 1: a dog", 1) is None
    assert tag_scan.labels_in_order("<img>a</img>", 1) is None
    assert tag_scan.labels_in_order("Picture 2: <img>a</img>", 1) is None
    assert tag_scan.labels_in_order("Picture 01: <img>a</img>", 1) is None  # the parser decides
    for value in ("<box>(1, 2),(3,4)</box>", "<quad>(1,2),(3,4),(5,6),(7,8)</quad>",
                  "<box>(1,2),(1000,4)</box>", "<box>(5,2),(3,4)</box>", "<box>(1,2),(1,4)</box>"):
        assert tag_scan.sound_boxes(value) is None, value
