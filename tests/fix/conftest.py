from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image


@pytest.fixture
def example_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The pictures the rule examples name (as tests/validation/conftest.py makes them)."""
    (tmp_path / "img").mkdir()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(tmp_path / "img" / "ok.jpg")
    Image.new("RGB", (8, 8), (0, 0, 0)).save(tmp_path / "img" / "tiny.png")
    Image.new("RGB", (1200, 40), (0, 0, 0)).save(tmp_path / "img" / "wide.png")
    Image.new("RGB", (603, 3), (0, 0, 0)).save(tmp_path / "img" / "sliver.png")
    monkeypatch.chdir(tmp_path)
    return tmp_path
