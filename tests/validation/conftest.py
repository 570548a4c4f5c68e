from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image


def make_example_images(root: Path) -> None:
    """The images every rule example may reference (see datakit.validation.rule.Rule)."""
    (root / "img").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 48), (200, 30, 30)).save(root / "img" / "ok.jpg")
    Image.new("RGB", (8, 8), (0, 0, 0)).save(root / "img" / "tiny.png")
    Image.new("RGB", (1200, 40), (0, 0, 0)).save(root / "img" / "wide.png")
    Image.new("RGB", (603, 3), (0, 0, 0)).save(root / "img" / "sliver.png")
    (root / "img" / "broken.jpg").write_bytes(b"this is not a JPEG" * 4)
    (root / "holdout.txt").write_text("val2014/ok.jpg\n", encoding="utf-8")


@pytest.fixture
def example_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_example_images(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path
