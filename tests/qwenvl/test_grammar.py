from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datakit.qwenvl.grammar import (
    Box,
    Image,
    PictureLabel,
    Quad,
    Ref,
    TagProblem,
    Text,
    grounding,
    parse_value,
    picture,
    render,
)

# The Qwen-VL README's fine-tuning samples (tests/vectors/qwen_vl_readme.json), value by value.
README_VALUES = {
    "identity_0 user": ("你好", (Text(0, 2, "你好"),)),
    "identity_1 user": (
        "Picture 1: <img>https://qianwen-res.oss-cn-beijing.aliyuncs.com/Qwen-VL/assets/demo.jpeg"
        "</img>\n图中的狗是什么品种？",
        (
            PictureLabel(0, 11, 1, True),
            Image(
                11,
                94,
                "https://qianwen-res.oss-cn-beijing.aliyuncs.com/Qwen-VL/assets/demo.jpeg",
                16,
            ),
            Text(94, 105, "\n图中的狗是什么品种？"),
        ),
    ),
    "identity_1 answer": (
        "<ref>格子衬衫</ref><box>(588,499),(725,789)</box>",
        (Ref(0, 15, "格子衬衫", 5), Box(15, 45, "(588,499),(725,789)", (588, 499, 725, 789))),
    ),
    "identity_2 user": (
        "Picture 1: <img>assets/mm_tutorial/Chongqing.jpeg</img>\n"
        "Picture 2: <img>assets/mm_tutorial/Beijing.jpeg</img>\n图中都是哪",
        (
            PictureLabel(0, 11, 1, True),
            Image(11, 55, "assets/mm_tutorial/Chongqing.jpeg", 16),
            Text(55, 56, "\n"),
            PictureLabel(56, 67, 2, True),
            Image(67, 109, "assets/mm_tutorial/Beijing.jpeg", 72),
            Text(109, 115, "\n图中都是哪"),
        ),
    ),
}


@pytest.mark.parametrize("value,expected", README_VALUES.values(), ids=README_VALUES.keys())
def test_readme_samples_parse_into_exact_segments(value: str, expected: tuple[object, ...]) -> None:
    parsed = parse_value(value)
    assert parsed.segments == expected
    assert parsed.problems == ()
    assert render(parsed.segments) == value


def test_spaceless_picture_label_of_the_tokenizer() -> None:
    parsed = parse_value("Picture 3:<img>a.jpg</img>")
    assert parsed.segments == (PictureLabel(0, 10, 3, False), Image(10, 26, "a.jpg", 15))


def test_quad() -> None:
    parsed = parse_value("<quad>(1,2),(3,4),(5,6),(7,8)</quad>")
    assert parsed.segments == (Quad(0, 36, "(1,2),(3,4),(5,6),(7,8)", (1, 2, 3, 4, 5, 6, 7, 8)),)


PROBLEMS = {
    "unclosed img": ("a <img>x.jpg", [("unclosed-tag", "img", 2, 7)]),
    "unclosed ref": ("<ref>dog", [("unclosed-tag", "ref", 0, 5)]),
    "stray close": ("dog</ref>", [("stray-closing-tag", "ref", 3, 9)]),
    "nested ref": ("<ref>a<ref>b</ref>", [("nested-tag", "ref", 6, 11)]),
    "box inside ref": ("<ref>a<box>(1,2),(3,4)</box></ref>", [("nested-tag", "ref", 6, 11)]),
    "spaces": ("<box>(1, 2),(3,4)</box>", [("malformed-box", "box", 0, 23)]),
    "decimal": ("<box>(1.5,2),(3,4)</box>", [("malformed-box", "box", 0, 24)]),
    "negative": ("<box>(-1,2),(3,4)</box>", [("malformed-box", "box", 0, 23)]),
    "three numbers": ("<box>(1,2),(3)</box>", [("malformed-box", "box", 0, 20)]),
    "one point": ("<box>(1,2)</box>", [("malformed-box", "box", 0, 16)]),
    "leading zero": ("<box>(01,2),(3,4)</box>", [("malformed-box", "box", 0, 23)]),
    "huge number": ("<box>(1,2),(3,99999999999999999999)</box>", [("malformed-box", "box", 0, 41)]),
    "quad arity": ("<quad>(1,2),(3,4)</quad>", [("malformed-quad", "quad", 0, 24)]),
}


@pytest.mark.parametrize("value,expected", PROBLEMS.values(), ids=PROBLEMS.keys())
def test_structural_problems_come_back_as_data(
    value: str, expected: list[tuple[object, ...]]
) -> None:
    parsed = parse_value(value)
    assert [(p.kind, p.tag, p.start, p.end) for p in parsed.problems] == expected
    assert render(parsed.segments) == value  # nothing is lost, even when broken


def test_malformed_box_messages_name_the_reason() -> None:
    reasons = {
        v: parse_value(v).problems[0].message.split(": ", 1)[1]
        for v, _ in PROBLEMS.values()
        if v.startswith("<box>")
    }
    assert (
        reasons["<box>(1, 2),(3,4)</box>"]
        == "contains spaces; write (x1,y1),(x2,y2) with no spaces"
    )
    assert reasons["<box>(1.5,2),(3,4)</box>"] == (
        "'1.5' is not an integer; coordinates are integers on the 0..999 grid"
    )
    assert (
        reasons["<box>(-1,2),(3,4)</box>"]
        == "'-1' has a sign; coordinates are non-negative integers"
    )
    assert reasons["<box>(1,2)</box>"] == "expected 2 points (x,y), found 1"
    assert reasons["<box>(01,2),(3,4)</box>"] == "'01' has a leading zero"


def test_builders_write_the_canonical_form() -> None:
    assert picture(2, "img/a b.jpg") == "Picture 2: <img>img/a b.jpg</img>\n"
    assert grounding("狗", [(1, 2, 3, 4), (5, 6, 7, 8)]) == (
        "<ref>狗</ref><box>(1,2),(3,4)</box><box>(5,6),(7,8)</box>"
    )
    with pytest.raises(ValueError):
        grounding("dog", [])


# --- property-based: round trip of well-formed values, and no exception on anything ----------

_plain = st.text(
    alphabet=st.characters(blacklist_characters="<>", blacklist_categories=("Cs",)), max_size=20
).filter(lambda s: "Picture" not in s)
_coord = st.integers(min_value=0, max_value=999)
_box = st.tuples(_coord, _coord, _coord, _coord).map(
    lambda b: f"<box>({b[0]},{b[1]}),({b[2]},{b[3]})</box>"
)
_ref = _plain.map(lambda t: f"<ref>{t}</ref>")
_img = st.tuples(st.integers(1, 99), st.booleans(), _plain).map(
    lambda t: f"Picture {t[0]}:{' ' if t[1] else ''}<img>{t[2]}</img>"
)
_piece = st.one_of(_plain, _box, _ref, _img)


@given(st.lists(_piece, max_size=12).map("".join))
def test_render_parse_round_trip(value: str) -> None:
    parsed = parse_value(value)
    assert parsed.problems == ()
    assert render(parsed.segments) == value


@given(
    st.text(
        alphabet=st.sampled_from(list("<>/()ximgrefboxquadPicture 0123456789:,.-\n")), max_size=80
    )
)
def test_tag_soup_never_raises_and_keeps_every_character(value: str) -> None:
    parsed = parse_value(value)
    assert render(parsed.segments) == value or parsed.problems
    for problem in parsed.problems:
        assert isinstance(problem, TagProblem)
        assert 0 <= problem.start < problem.end <= len(value)
    covered = sum(s.end - s.start for s in parsed.segments)
    assert covered == len(value)
