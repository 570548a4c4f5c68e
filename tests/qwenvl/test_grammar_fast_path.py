"""The one-pass parser for well-formed values gives exactly what the full parser gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from datakit.qwenvl import grammar

_PIECES = [
    *"<>/()|,.-0123456789 \n\u0301é狗٣", "<img>", "</img>", "<ref>", "</ref>", "<box>",
    "</box>", "<quad>", "</quad>", "Picture 1: ", "Picture 12:", "Picture ", "(1,2),(3,4)",
    "(10,20),(999,1000)", "(0,0),(01,2)", "(1234567890,1),(2,3)", "img/a.jpg", "the dog",
]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join))
def test_fast_path_equals_full_parse(value: str) -> None:
    fast = grammar._parse_well_formed(value)
    assert fast is None or fast == grammar._parse_any(value)
    assert grammar.parse_value(value) == grammar._parse_any(value)


def test_the_usual_values_take_the_fast_path() -> None:
    for value in (
        "Picture 1: <img>coco/a b.jpg</img>\nWhere is the dog?",
        "Picture 1:<img>x</img>Picture 2: <img>y</img> compare",
        "<ref>the dog</ref><box>(0,1),(998,999)</box><box>(5,5),(6,6)</box>, <ref>猫</ref>",
        "a < b and c > d <box>(1,2),(3,4)</box>",
    ):
        assert grammar._parse_well_formed(value) is not None, value
    for value in ("<ref>dog", "x</box>", "<quad>(1,2),(3,4),(5,6),(7,8)</quad>",
                  "<box>(1, 2),(3,4)</box>", "<ref>a<b</ref>", "<box>(1234567890,1),(2,3)</box>"):
        assert grammar._parse_well_formed(value) is None, value
