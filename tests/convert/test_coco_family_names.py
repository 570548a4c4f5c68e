"""Category names as language: the documented rule, overrides, and the Chinese COCO table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from coco_checks import VAL2017, answer_groups
from coco_family_checks import PANOPTIC

from datakit.convert.category_names import CategoryNames, coco_names_zh, natural_name


@pytest.mark.parametrize(
    ("source", "phrase"),
    [
        ("bus_(vehicle)", "bus"),
        ("pan_(for_cooking)", "pan"),
        ("chest_of_drawers_(furniture)", "chest of drawers"),
        ("sky-other-merged", "sky"),
        ("tree-merged", "tree"),
        ("door-stuff", "door"),
        ("wall-brick", "brick wall"),
        ("floor-wood", "wood floor"),
        ("baseball_bat", "baseball bat"),
        ("traffic light", "traffic light"),
        ("t-shirt", "shirt t"),  # the pair rule is for stuff; --rename fixes such a name
    ],
)
def test_the_rule(source: str, phrase: str) -> None:
    assert natural_name(source) == phrase


def test_coco_names_are_unchanged_and_all_have_chinese_names() -> None:
    names = [c["name"] for c in json.loads(VAL2017.read_text())["categories"]]
    assert len(names) == 80
    assert [natural_name(n) for n in names] == names
    table = coco_names_zh()
    assert sorted(table) == sorted(names)
    assert table["dog"] == "狗" and table["person"] == "人"
    assert all(value and value.isprintable() and not value.isascii() for value in table.values())


def test_overrides_come_first_and_only_they_are_listed() -> None:
    names = CategoryNames({"bus_(vehicle)": "coach"}, zh=True)
    assert names.get("bus_(vehicle)") == "coach"
    assert names.get("dog") == "狗"
    assert names.get("sky-other-merged") == "sky" and names.untranslated("sky-other-merged")
    assert dict(names.items()) == {"bus_(vehicle)": "coach"}


def _convert(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "datakit", "convert", "coco", str(PANOPTIC), "-o",
         str(tmp_path / "out.json"), *args], capture_output=True, text=True, check=False,
    )


def _refs(tmp_path: Path) -> set[str]:
    records = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    return {name for r in records for name, _ in answer_groups(r["conversations"][1]["value"])}


def test_names_file_and_rename_override_the_rule(tmp_path: Path) -> None:
    names = tmp_path / "names.json"
    names.write_text(json.dumps({"sky-other-merged": "the sky", "truck": "lorry"}))
    result = _convert(tmp_path, "--names", str(names), "--rename", "truck=pickup", "-q")
    assert result.returncode == 0, result.stderr
    assert _refs(tmp_path) == {"grass", "gravel", "horse", "person", "the sky", "sports ball",
                               "tree", "pickup"}


def test_zh_names_translate_coco_and_tally_the_rest(tmp_path: Path) -> None:
    result = _convert(tmp_path, "--language", "zh", "--zh-names")
    assert result.returncode == 0, result.stderr
    assert _refs(tmp_path) == {"grass", "gravel", "马", "人", "sky", "球",
                               "tree", "卡车"}
    assert "name-not-translated 53" in result.stderr  # the panoptic stuff categories


def test_zh_names_need_zh_alone(tmp_path: Path) -> None:
    result = _convert(tmp_path, "--language", "en,zh", "--zh-names")
    assert result.returncode == 2
    assert result.stderr.startswith("datakit: error: --zh-names needs --language zh alone")
