"""The main process's image statuses for parallel batches: what a worker would have found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from datakit.validation import registry
from datakit.validation.image_prefill import ImagePrefill
from datakit.validation.images import ImageChecker
from datakit.validation.settings import Settings
from datakit.validation.worker import PackedRecord


def _row(index: int, raw: bytes) -> PackedRecord:
    return ("f.jsonl", index, index + 1, 1, 0, raw, None, None)


def _record(*values: str) -> bytes:
    conversations = [{"from": "user", "value": v} for v in values]
    return json.dumps({"id": "a", "conversations": conversations}, ensure_ascii=False).encode()


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "img").mkdir()
    Image.new("RGB", (64, 48)).save(tmp_path / "img" / "ok.jpg")
    Image.new("RGB", (8, 8)).save(tmp_path / "img" / "é.png")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_statuses_follow_the_first_batch_and_match_a_checker(root: Path) -> None:
    settings = Settings(cache=False)
    prefill = ImagePrefill(settings, registry.severities((), (), ()))
    rows = [
        _row(0, _record("Picture 1: <img>img/ok.jpg</img>\nq", "<img>img/é.png</img>")),
        _row(1, _record("<img>img/missing.jpg</img> and <img>img/ok.jpg</img>")),
        _row(2, _record("<img>img/\\u00e9.png</img>")),  # escaped: left to the worker
        _row(3, b'{"a": "<img>x", "b": "y</img>"}'),  # spans two strings: not a path
        ("f.parquet", 4, None, None, None, None, {"conversations": []}, 0),
    ]
    assert prefill.statuses(rows) == {}  # the pool forks on the first batch
    statuses = prefill.statuses(rows)
    assert sorted(statuses) == ["img/missing.jpg", "img/ok.jpg", "img/é.png"]
    checker = ImageChecker(root, "header")
    for path, fields in statuses.items():
        status = checker.check(path)
        assert fields == (status.kind, status.detail, status.width, status.height)
    prefill.close()


def test_nothing_is_checked_when_images_are_not(root: Path) -> None:
    rows = [_row(0, _record("<img>img/ok.jpg</img>"))]
    for settings, ignore in ((Settings(images="none"), ()), (Settings(), ("I",))):
        prefill = ImagePrefill(settings, registry.severities((), ignore, ()))
        assert prefill.statuses(rows) == {}
        assert prefill.statuses(rows) == {}


def test_a_worker_keeps_what_it_checked_itself(root: Path) -> None:
    checker = ImageChecker(root, "header")
    own = checker.check("img/ok.jpg")
    checker.learn({"img/ok.jpg": ("missing", "told otherwise", None, None),
                   "img/other.jpg": ("ok", "", 10, 10)})
    assert checker.check("img/ok.jpg") is own
    assert checker.check("img/other.jpg").width == 10
