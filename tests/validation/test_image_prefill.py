"""Image statuses shared between worker processes through the main process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from datakit.validation.image_prefill import ImagePrefill
from datakit.validation.images import ImageChecker
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


def test_known_statuses_go_with_the_batches_that_cite_them(root: Path) -> None:
    worker = ImageChecker(root, "header")
    for path in ("img/ok.jpg", "img/é.png", "img/missing.jpg", "img/\u00e9.png"):
        worker.check(path)
    news = worker.news()
    assert sorted(news) == ["img/missing.jpg", "img/ok.jpg", "img/é.png"]
    assert news["img/ok.jpg"] == ("ok", "", 64, 48)
    assert worker.news() == {}  # told once
    prefill = ImagePrefill()
    rows = [
        _row(0, _record("Picture 1: <img>img/ok.jpg</img>\nq", "<img>img/é.png</img>")),
        _row(1, _record("<img>img/missing.jpg</img> and <img>img/new.jpg</img>")),
        _row(2, _record("<img>img/\\u00e9.png</img>")),  # escaped: left to the worker
        _row(3, b'{"a": "<img>img/ok.jpg", "b": "x</img>"}'),  # spans two strings
        ("f.parquet", 4, None, None, None, None, {"conversations": []}, 0),
    ]
    assert prefill.statuses(rows) == {}
    prefill.learn(news)
    assert prefill.statuses(rows) == news
    assert prefill.statuses(rows[2:]) == {}


def test_a_worker_keeps_what_it_checked_itself(root: Path) -> None:
    checker = ImageChecker(root, "header")
    own = checker.check("img/ok.jpg")
    checker.learn({"img/ok.jpg": ("missing", "told otherwise", None, None),
                   "img/other.jpg": ("ok", "", 10, 10)})
    assert checker.check("img/ok.jpg") is own
    assert checker.check("img/other.jpg").width == 10
    assert list(checker.news()) == ["img/ok.jpg"]  # learned statuses are not news
