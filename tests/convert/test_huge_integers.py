"""Integers too long for ``int()`` (over 4,300 digits) or for a float (over 308 digits) in
converter inputs: each is a tallied skip of the record holding it, never an internal error.

Inputs: COCO files (every numeric field), a RefCOCO ``instances.json``, flattened RefCOCO rows
and prompt template files (JSON and TOML).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from datakit.convert.coco import CocoInput, CocoOptions, convert_coco
from datakit.convert.coco_load import load_coco_file
from datakit.convert.json_document import LongInteger, parse_json_bytes
from datakit.convert.prompts import load_prompt_file
from datakit.convert.refcoco import convert_refs
from datakit.convert.refcoco_raw import read_instances
from datakit.convert.refcoco_run import build_setup
from datakit.convert.tally import Tally
from datakit.errors import ConfigError

HUGE = "9" * 5000  # int() refuses it
BIG = "9" * 400  # int() reads it; float() overflows

COCO: dict[str, Any] = {
    "images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 80}],
    "annotations": [{"id": 7, "image_id": 1, "category_id": 3, "bbox": [1, 2, 30, 40],
                     "area": 1200, "iscrowd": 0}],
    "categories": [{"id": 3, "name": "cat"}],
}


def _coco_with(path: tuple[str | int, ...], number: str) -> str:
    """COCO as JSON text with the value at ``path`` replaced by the literal ``number``."""
    document = json.loads(json.dumps(COCO))
    target = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = "@NUMBER@"
    return json.dumps(document).replace('"@NUMBER@"', number)


def _datakit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "datakit", *args], cwd=cwd, capture_output=True,
                          text=True, check=False, timeout=120)


# field -> (the tally line it ends in, when the number is too long for int())
COCO_FIELDS: dict[tuple[str | int, ...], str] = {
    ("images", 0, "id"): "images[0]: 'id' must be an integer or a non-empty string, got "
                         "<an integer of 5,000 digits>",
    ("images", 0, "width"): "images[0] (id 1) (a.jpg): 'width' must be a positive number, got "
                            "<an integer of 5,000 digits>; pass --image-root to read the size "
                            "from the file",
    ("annotations", 0, "bbox", 2): "annotations[0] (id 7): 'bbox' w must be a finite number, "
                                   "got <an integer of 5,000 digits>",
    ("annotations", 0, "category_id"): "annotations[0] (id 7): 'category_id' must be an integer "
                                       "or a non-empty string, got <an integer of 5,000 digits>",
    ("annotations", 0, "iscrowd"): "annotations[0] (id 7): 'iscrowd' must be 0 or 1, got "
                                   "<an integer of 5,000 digits>",
    ("categories", 0, "id"): "categories[0]: 'id' must be an integer or a non-empty string, got "
                             "<an integer of 5,000 digits>",
}


@pytest.mark.parametrize("field", list(COCO_FIELDS), ids=lambda f: ".".join(map(str, f)))
def test_each_coco_field_with_an_integer_too_long_for_int_is_a_tallied_skip(
    field: tuple[str | int, ...], tmp_path: Path
) -> None:
    source = tmp_path / "coco.json"
    source.write_text(_coco_with(field, HUGE))
    records, tally = convert_coco(CocoInput(load_coco_file(source), "coco.json"), None,
                                  CocoOptions(tasks=("grounding",)))
    assert list(records) == []
    tally.check_balanced()
    examples = [e for found in tally.examples.values() for e in found]
    assert f"coco.json: {COCO_FIELDS[field]}" in examples


def test_the_command_exits_1_with_the_skip_in_its_report(tmp_path: Path) -> None:
    # a second, usable annotation: a run with nothing usable writes no output at all
    document = json.loads(_coco_with(("annotations", 0, "bbox", 2), "0"))
    document["annotations"].append({**COCO["annotations"][0], "id": 8})
    text = json.dumps(document).replace('"bbox": [1, 2, 0, 40]', f'"bbox": [1, 2, {HUGE}, 40]')
    (tmp_path / "coco.json").write_text(text)
    done = _datakit("convert", "coco", "coco.json", "-o", "out.json", "--report", "report.json",
                    "-q", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (1, "")
    assert (tmp_path / "out.json").exists()
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["tally"]["examples"]["annotation: malformed"] == [
        "coco.json: " + COCO_FIELDS[("annotations", 0, "bbox", 2)]]


def test_integers_too_long_for_a_float_are_skipped_too(tmp_path: Path) -> None:
    source = tmp_path / "coco.json"
    source.write_text(_coco_with(("annotations", 0, "bbox", 2), BIG))
    _, tally = convert_coco(CocoInput(load_coco_file(source), "coco.json"), None,
                            CocoOptions(tasks=("grounding",)))
    assert dict(tally.skipped["annotation"]) == {"malformed": 1}


def test_the_json_fallback_keeps_every_other_value() -> None:
    data = b'{"a": [1, -' + HUGE.encode() + b', 2.5, NaN], "b": 12345678901234567890123}'
    value = parse_json_bytes(data, Path("x.json"))
    assert isinstance(value["a"][1], LongInteger)
    assert repr(value["a"][1]) == "<an integer of 5,000 digits>"
    assert value["a"][0] == 1 and value["a"][2] == 2.5
    assert value["b"] == 12345678901234567890123


def test_instances_with_long_integers_leave_out_the_entries_holding_them(tmp_path: Path) -> None:
    source = tmp_path / "instances.json"
    source.write_text(
        '{"images": [{"id": ' + HUGE + ', "file_name": "a.jpg"}, {"id": 2, "file_name": "b.jpg",'
        ' "width": ' + BIG + ', "height": 10}],'
        ' "annotations": [{"id": 5, "image_id": 2, "bbox": [1, 2, 3, ' + BIG + ']},'
        ' {"id": ' + HUGE + ', "image_id": 2, "bbox": [1, 2, 3, 4]}]}'
    )
    tally = Tally()
    instances = read_instances(source, tally, display_name="instances.json")
    assert sorted(instances.images) == [2]
    assert instances.images[2].width_px is None  # a width beyond a float is no size
    assert instances.annotations[5].xywh_px is None
    assert tally.notes == {"instances-image-unusable": 1, "instances-annotation-unusable": 1}


@pytest.mark.parametrize(
    ("row", "reason", "detail"),
    [
        ('{"image": "a.jpg", "sent": "man", "bbox": [1, 2, 3, ' + HUGE + "]}", "invalid-json",
         "invalid JSON for Python: an integer of 5,000 digits; json.load fails on integers over "
         "4,300 digits (ValueError)"),
        ('{"image": "a.jpg", "sent": "man", "bbox": [1, 2, 3, ' + BIG + "]}", "malformed-box",
         "bbox is [1, 2, 3, <an integer of 1,329 bits>], not four finite numbers"),
        ('{"image": "a.jpg", "sent": "man", "bbox": [1, 2, 3, 4], "ref_id": ' + BIG + "}",
         "malformed", "ref_id is <an integer of 1,329 bits>, not an id"),
    ],
    ids=["too-long-for-int", "too-long-for-a-float", "id-beyond-64-bits"],
)
def test_flattened_rows_with_long_integers_are_skipped(
    row: str, reason: str, detail: str, tmp_path: Path
) -> None:
    source = tmp_path / "refcoco_train.jsonl"
    good = '{"image": "b.jpg", "sent": "dog", "bbox": [1, 2, 3, 4], "width": 9, "height": 9}'
    source.write_text(row + "\n" + good + "\n")
    setup = build_setup([source], layout="generic", bbox_format="xyxy")
    items, tally, _ = setup.read("sent")
    convert_refs(items, setup.options, tally)
    assert tally.as_dict()["items"]["row"] == {"seen": 2, "used": 1, "skipped": {reason: 1}}
    assert tally.examples[f"row: {reason}"] == [f"{source}:1: {detail}"]


@pytest.mark.parametrize("name", ["templates.json", "templates.toml"])
def test_template_files_with_long_integers_are_config_errors(name: str, tmp_path: Path) -> None:
    source = tmp_path / name
    if name.endswith(".json"):
        source.write_text('{"grounding": {"en": [' + HUGE + "]}}")
    else:
        source.write_text("grounding = { en = [" + HUGE + "] }\n")
    with pytest.raises(ConfigError) as raised:
        load_prompt_file(source)
    assert raised.value.message == f"{source}: an integer longer than Python reads"
