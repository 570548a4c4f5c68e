"""Reading COCO files: segmentations dropped before parsing, and clear errors for bad files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from coco_checks import DATUMARO_INSTANCES, VAL2017
from hypothesis import example, given, settings
from hypothesis import strategies as st

from datakit.convert.coco_load import drop_segmentation, load_coco_file
from datakit.errors import InputError


def _without_segmentation(data: Any) -> Any:
    return [{k: v for k, v in a.items() if k != "segmentation"} for a in data["annotations"]]


@pytest.mark.parametrize(
    "path", [VAL2017, DATUMARO_INSTANCES / "annotations" / "instances_val.json"], ids=["val2017", "datumaro"]
)
def test_dropping_keeps_everything_but_segmentation(path: Path) -> None:
    raw = path.read_bytes()
    original, dropped = orjson.loads(raw), orjson.loads(drop_segmentation(raw))
    assert {k: v for k, v in dropped.items() if k != "annotations"} == {
        k: v for k, v in original.items() if k != "annotations"
    }
    assert _without_segmentation(dropped) == _without_segmentation(original)


def test_compact_polygons_and_rles_are_dropped_pretty_ones_kept() -> None:
    dropped = orjson.loads(drop_segmentation(VAL2017.read_bytes()))
    assert all(a["segmentation"] == [] for a in dropped["annotations"])  # 36 polygons, 1 RLE
    pretty = orjson.loads(
        drop_segmentation((DATUMARO_INSTANCES / "annotations" / "instances_val.json").read_bytes())
    )
    # The polygon is written across lines (kept, parsed as usual); the RLE is dropped.
    assert [a["segmentation"] for a in pretty["annotations"]] == [
        [[0.0, 0.0, 1.0, 0.0, 1.0, 2.0, 0.0, 2.0]],
        [],
    ]


def test_text_that_only_looks_like_a_segmentation_is_untouched() -> None:
    raw = json.dumps(
        {
            "info": {"note": 'the key "segmentation": [[1,2]] is ignored'},
            "annotations": [
                {"segmentation": {"counts": "PPY2a0", "size": [4, 5]}, "id": 1},
                {"segmentation": [[1, 2]], "x": "]]"},
                {"segmentation": [[[1]]], "id": 3},
                {"segmentation": [], "id": 4},
            ],
        }
    ).encode()
    parsed = orjson.loads(drop_segmentation(raw))
    assert parsed["info"]["note"] == 'the key "segmentation": [[1,2]] is ignored'
    assert [a.get("segmentation") for a in parsed["annotations"]] == [
        {"counts": "PPY2a0", "size": [4, 5]},
        [],
        [[[1]]],
        [],
    ]


segmentations = st.one_of(
    st.lists(st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=6), max_size=3),
    st.fixed_dictionaries(
        {"counts": st.one_of(st.lists(st.integers(0, 999), max_size=5), st.text(max_size=6)),
         "size": st.lists(st.integers(1, 99), min_size=2, max_size=2)}
    ),
    # 64-bit integers: orjson reads larger ones as floats, which is not the dropper's doing
    # (integers beyond int64 are tests/convert/test_huge_integers.py's)
    st.recursive(st.integers(-(2**63), 2**63 - 1), lambda inner: st.lists(inner, max_size=3),
                 max_leaves=6),
    st.text(max_size=8),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(segmentations, st.text(max_size=8)), max_size=5), st.booleans())
@example([({"counts": "}", "size": [1, 1]}, "")], False)  # a brace inside an RLE string
def test_dropping_never_changes_anything_else(
    items: list[tuple[Any, str]], indented: bool
) -> None:
    annotations = [{"segmentation": seg, "note": note, "id": i} for i, (seg, note) in
                   enumerate(items)]
    document = {"images": [], "annotations": annotations}
    raw = json.dumps(document, indent=1 if indented else None).encode()
    parsed = orjson.loads(drop_segmentation(raw))
    assert _without_segmentation(parsed) == _without_segmentation(document)
    for before, after in zip(annotations, parsed["annotations"], strict=True):
        assert after["segmentation"] in ([], before["segmentation"])


def test_load_reads_gzip_bom_and_python_json_constants(tmp_path: Path) -> None:
    document = {"images": [], "annotations": [{"id": 1, "bbox": [1, 2, 3, 4]}]}
    plain = tmp_path / "a.json"
    plain.write_bytes(b"\xef\xbb\xbf" + json.dumps(document).encode())
    packed = tmp_path / "a.json.gz"
    packed.write_bytes(gzip.compress(json.dumps(document).encode()))
    assert load_coco_file(plain) == document == load_coco_file(packed)
    nan = tmp_path / "nan.json"
    nan.write_text('{"annotations": [{"bbox": [NaN, 1, 2, Infinity]}], "n": 1' + "0" * 30 + "}")
    loaded = load_coco_file(nan)
    assert loaded["n"] == 10**30 and str(loaded["annotations"][0]["bbox"]) == "[nan, 1, 2, inf]"


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "the file is empty"),
        (b'{"images": [\n  {"id": 1,}\n]}', "2:12: not valid JSON (Expecting property name "
         "enclosed in double quotes)"),
        (b'{"images": "\xff"}', "byte 12 is not valid UTF-8"),
        (b"[" * 100_000, "the JSON is nested too deeply to be a COCO file"),
    ],
    ids=["empty", "syntax", "utf8", "deep"],
)
def test_load_errors_name_the_place(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        load_coco_file(path)
    assert info.value.message in (f"{path}: {message}", f"{path}:{message}")


def test_load_refuses_missing_files_and_folders(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_coco_file(tmp_path / "none.json")
    assert info.value.message == f"{tmp_path}/none.json: no such file"
    with pytest.raises(InputError) as info:
        load_coco_file(tmp_path)
    assert info.value.message == f"{tmp_path}: is a directory, not a file"
