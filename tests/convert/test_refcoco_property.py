"""Whatever boxes, sizes and texts a source holds, ``convert_refs`` writes only valid records
and accounts for every ref and sentence."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from refcoco_checks import assert_valid_records

from datakit.convert.refcoco import RefcocoOptions, RefItem, RefSentence, convert_refs
from datakit.convert.refcoco_prompts import NATURAL
from datakit.convert.tally import Tally

_numbers = st.floats(allow_nan=True, allow_infinity=True, width=32) | st.integers(-5, 5000)
_texts = st.text(max_size=20) | st.sampled_from(["<ref>", "</box>", "<|im_end|>", " ", "a\nb"])


@st.composite
def _items(draw: st.DrawFn) -> list[RefItem]:
    items = []
    for number in range(draw(st.integers(0, 4))):
        sentences = tuple(RefSentence(t, draw(st.none() | st.integers(0, 3)))
                          for t in draw(st.lists(_texts, max_size=4)))
        items.append(RefItem(
            key=f"r{number}",
            where=f"ref {number}",
            split=draw(st.sampled_from(["train", "val", None])),
            image_file=draw(st.sampled_from(["a.jpg", "dir/b.jpg", "<img>.jpg", "x" * 300])),
            box_px=tuple(float(draw(_numbers)) for _ in range(4)),  # type: ignore[arg-type]
            box_format=draw(st.sampled_from(["xyxy", "xywh"])),
            width_px=draw(st.none() | st.floats(0.5, 5000)),
            height_px=draw(st.none() | st.floats(0.5, 5000)),
            sentences=sentences,
        ))
    return items


@settings(max_examples=120, deadline=None)
@given(items=_items(), group=st.sampled_from(["sentence", "ref"]),
       tasks=st.sampled_from([("rec",), ("region",), ("rec", "region")]))
def test_any_input_gives_valid_records_and_a_balanced_tally(
    items: list[RefItem], group: str, tasks: tuple[str, ...]
) -> None:
    tally = Tally()
    for item in items:
        tally.see("ref")
        tally.see("sentence", len(item.sentences))
    options = RefcocoOptions(tasks=tasks, group_by=group, splits=None,  # type: ignore[arg-type]
                             prompts=NATURAL, languages=("en", "zh"))
    result = convert_refs(items, options, tally)
    tally.check_balanced()
    assert_valid_records(result.records)
