"""Broken image files: each is named by its rule, nothing hangs, nothing blows up memory."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

IMAGES = Path(__file__).resolve().parent.parent / "data" / "images"


def _png_bomb(path: Path, width: int, height: int) -> None:
    """A valid PNG header claiming width x height pixels (the data is a few bytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    img = tmp_path / "img"
    img.mkdir()
    shutil.copy(IMAGES / "hopper.jpg", img / "ok.jpg")
    shutil.copy(IMAGES / "truncated_jpeg.jpg", img / "truncated.jpg")
    shutil.copy(IMAGES / "broken.png", img / "corrupt.png")
    shutil.copy(IMAGES / "pil123p.png", img / "really_a_png.jpg")  # wrong extension: fine
    (img / "empty.jpg").write_bytes(b"")
    (img / "folder.jpg").mkdir()
    (img / "loop.jpg").symlink_to(img / "loop.jpg")
    os.mkfifo(img / "pipe.jpg")
    _png_bomb(img / "bomb.png", 40_000, 40_000)  # 1.6 gigapixels: over Pillow's bomb limit
    names = ["ok.jpg", "truncated.jpg", "corrupt.png", "really_a_png.jpg", "empty.jpg",
             "folder.jpg", "loop.jpg", "pipe.jpg", "bomb.png"]
    records = [
        {"id": name, "conversations": [
            {"from": "user", "value": f"Picture 1: <img>img/{name}</img>\nWhat is it?"},
            {"from": "assistant", "value": "a picture"}]}
        for name in names
    ]
    (tmp_path / "d.json").write_text(json.dumps(records), encoding="utf-8")
    return tmp_path


def _findings(root: Path, mode: str) -> list[tuple[str | None, str]]:
    out = subprocess.run(
        [sys.executable, "-m", "datakit", "validate", "d.json", "--images", mode, "--no-cache",
         "--format", "json", "--select", "I"],
        cwd=root, capture_output=True, text=True, timeout=120,
    )
    assert "Traceback" not in out.stderr
    report = json.loads(out.stdout)
    return [(f["location"]["record_id"], f["code"]) for f in report["findings"]]


def test_header_mode(dataset: Path) -> None:
    assert _findings(dataset, "header") == [
        ("corrupt.png", "I006"),
        ("empty.jpg", "I006"),
        ("folder.jpg", "I004"),
        ("loop.jpg", "I005"),
        ("pipe.jpg", "I004"),
        ("bomb.png", "I006"),
    ]


def test_decode_mode_also_finds_the_truncated_jpeg(dataset: Path) -> None:
    assert ("truncated.jpg", "I006") in _findings(dataset, "decode")
    assert ("ok.jpg", "I006") not in _findings(dataset, "decode")


def test_exists_mode_opens_nothing(dataset: Path) -> None:
    assert _findings(dataset, "exists") == [
        ("folder.jpg", "I004"),
        ("loop.jpg", "I005"),
        ("pipe.jpg", "I004"),
    ]
