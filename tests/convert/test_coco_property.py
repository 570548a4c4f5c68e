"""Any COCO-shaped input, however broken: no exception but a clear ``InputError``, every item
accounted for, every record valid."""

from __future__ import annotations

from typing import Any

from coco_checks import assert_valid_records
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from datakit.convert.coco import CocoInput, CocoOptions, convert_coco
from datakit.errors import InputError

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.integers(0, 5), max_size=5),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
ids = st.one_of(st.integers(0, 6), st.sampled_from(["a", "b", ""]), junk)
numbers = st.one_of(st.floats(-20, 700), st.integers(-5, 700), junk)


def _maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(value, value, value, junk)


images = st.lists(
    _maybe(st.fixed_dictionaries(
        {"id": ids, "file_name": st.one_of(st.sampled_from(["a.jpg", "b/c.jpg", "<img>"]), junk)},
        optional={"width": numbers, "height": numbers},
    )),
    max_size=5,
)
categories = st.lists(
    _maybe(st.fixed_dictionaries({"id": ids, "name": st.one_of(st.text(max_size=6), junk)})),
    max_size=4,
)
boxes = st.lists(
    _maybe(st.fixed_dictionaries(
        {"id": ids, "image_id": ids, "category_id": ids,
         "bbox": st.one_of(st.lists(numbers, min_size=4, max_size=4), junk)},
        optional={"iscrowd": st.one_of(st.sampled_from([0, 1, True]), junk)},
    )),
    max_size=12,
)
captions = st.lists(
    _maybe(st.fixed_dictionaries(
        {"id": ids, "image_id": ids, "caption": st.one_of(st.text(max_size=10), junk)}
    )),
    max_size=6,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.fixed_dictionaries({"images": images, "annotations": boxes, "categories": categories}),
        junk,
    ),
    st.fixed_dictionaries({"images": images, "annotations": captions}),
    st.fixed_dictionaries(
        {
            "rounding": st.sampled_from(["floor", "round"]),
            "include_crowd": st.booleans(),
            "max_boxes": st.one_of(st.none(), st.integers(1, 3)),
            "limit": st.one_of(st.none(), st.integers(0, 3)),
            "path_prefix": st.sampled_from(["", "data"]),
            "caption_mode": st.sampled_from(["each", "turns"]),
        }
    ),
)
# Found by this test: an empty instances object beside an empty captions file.
@example(
    instances={},
    caption_file={"images": [], "annotations": []},
    options={"rounding": "floor", "include_crowd": False, "max_boxes": None, "limit": None,
             "path_prefix": "", "caption_mode": "each"},
)
def test_never_crashes_and_accounts_for_everything(
    instances: Any, caption_file: Any, options: dict[str, Any]
) -> None:
    try:
        records, tally = convert_coco(
            CocoInput(instances, "in.json"),
            CocoInput(caption_file, "cap.json"),
            CocoOptions(tasks=("grounding", "detection", "caption"), **options),
        )
        out = list(records)
    except InputError as exc:
        # only a top level that is not COCO (junk instead of the generated document)
        assert not (isinstance(instances, dict) and "images" in instances), exc
        assert exc.message.startswith("in.json: ")
        return
    tally.check_balanced()
    assert_valid_records(out)
    for kind in ("annotation", "caption"):
        assert tally.seen[kind] == len(instances["annotations"] if kind == "annotation" else
                                       caption_file["annotations"])
