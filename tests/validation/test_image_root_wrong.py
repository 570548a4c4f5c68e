"""I011 image-root-wrong: when nearly every image of a file is missing, one diagnosis instead
of one I003 per image; the counts say what was folded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from PIL import Image

from datakit.validation.engine import validate_files
from datakit.validation.settings import Settings


def _dataset(root: Path, images: int, missing: int) -> Path:
    """``images`` records under ``root``, one picture each, in ``root/pictures``; the last
    ``missing`` of them name files that do not exist there."""
    (root / "pictures" / "img").mkdir(parents=True)
    records = []
    for i in range(images):
        name = f"img/{i}.jpg"
        if i < images - missing:
            Image.new("RGB", (32, 32), (i, 0, 0)).save(root / "pictures" / name)
        records.append({"id": str(i), "conversations": [
            {"from": "user", "value": f"Picture 1: <img>{name}</img>\nWhat is it?"},
            {"from": "assistant", "value": f"thing {i}"}]})
    path = root / "d.json"
    path.write_text(json.dumps(records, indent=0), encoding="utf-8")
    return path


def _codes(root: Path, **settings: object) -> list[str]:
    base = Settings(jobs=1, cache=False, images="exists", select=("I",), base_dir=str(root))
    report = validate_files([str(root / "d.json")], base.with_overrides(**settings))
    return [f.code for f in report.findings]


def test_one_diagnosis_from_the_wrong_folder(tmp_path: Path) -> None:
    _dataset(tmp_path, 25, 0)  # the pictures are in ./pictures, the paths say img/...
    out = subprocess.run(
        [sys.executable, "-m", "datakit", "validate", "d.json", "--images", "exists",
         "--select", "I", "--no-cache", "--format", "json"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert report["summary"]["by_rule"] == [
        {"code": "I011", "name": "image-root-wrong", "severity": "error", "count": 1,
         "omitted": 0}]
    [finding] = report["findings"]
    assert finding["message"] == (
        f"0 of 25 images found under {tmp_path}; is --image-root right? 25 image-missing "
        f"(I003) findings are folded into this one, the first at record 0: img/0.jpg does not "
        f"exist (looked for {tmp_path}/img/0.jpg)")
    assert finding["location"] == {"file": "d.json", "line": None, "column": None,
                                   "record_index": None, "record_id": None,
                                   "json_path": None, "char_offset": None,
                                   "end_line": None, "end_column": None}
    assert _codes(tmp_path, image_root="pictures") == []


def test_a_few_missing_images_are_findings_of_their_own(tmp_path: Path) -> None:
    _dataset(tmp_path, 25, 3)
    assert _codes(tmp_path, image_root="pictures") == ["I003"] * 3


def test_the_share_and_the_minimum_decide(tmp_path: Path) -> None:
    _dataset(tmp_path, 20, 18)  # 90% of 20: folded
    assert _codes(tmp_path, image_root="pictures") == ["I011"]
    assert _codes(tmp_path, image_root="pictures", image_root_missing_share=0.95) == ["I003"] * 18
    assert _codes(tmp_path, image_root="pictures", image_root_min_references=21) == ["I003"] * 18
    assert _codes(tmp_path, image_root="pictures", ignore=("I011",)) == ["I003"] * 18


def test_the_fold_counts_the_findings_that_were_not_kept(tmp_path: Path) -> None:
    _dataset(tmp_path, 30, 30)
    base = Settings(jobs=1, cache=False, images="exists", select=("I",), base_dir=str(tmp_path),
                    max_findings_per_rule=4)
    report = validate_files([str(tmp_path / "d.json")], base)
    assert [f.code for f in report.findings] == ["I011"]
    assert report.findings[0].message.startswith("0 of 30 images found under ")
    assert " 30 image-missing (I003) findings are folded" in report.findings[0].message
    assert report.omitted == {}
    assert report.counts() == {"error": 1, "warning": 0, "info": 0}


def test_no_diagnosis_for_a_file_whose_missing_images_are_ignored(tmp_path: Path) -> None:
    _dataset(tmp_path, 25, 25)
    ignores = (("d.json", ("I003",)),)
    assert _codes(tmp_path, image_root="pictures", per_file_ignores=ignores) == []
    assert _codes(tmp_path, image_root="pictures") == ["I011"]


def test_urls_are_neither_found_nor_missing(tmp_path: Path) -> None:
    path = _dataset(tmp_path, 22, 0)
    records = json.loads(path.read_text(encoding="utf-8"))
    for i in range(10):
        records.append({"id": f"u{i}", "conversations": [
            {"from": "user", "value": f"Picture 1: <img>https://example.com/{i}.jpg</img>\nWhat?"},
            {"from": "assistant", "value": f"url {i}"}]})
    path.write_text(json.dumps(records), encoding="utf-8")
    base = Settings(jobs=1, cache=False, images="exists", select=("I",), base_dir=str(tmp_path))
    report = validate_files([str(path)], base)  # the pictures are in ./pictures: all missing
    assert [f.code for f in report.findings] == ["I011"] + ["I010"] * 10
    assert report.findings[0].message.startswith(f"0 of 22 images found under {Path.cwd()}; ")
