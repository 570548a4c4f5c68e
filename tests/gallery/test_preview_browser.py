"""The gallery opened in a real headless Chromium: the page, its colours and its pictures show.

Chromium comes from Debian's `chromium` package (`.ci/run` installs it). The test skips only
when no browser is installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import run_datakit
from PIL import Image

from datakit.gallery.html import ERROR_COLOUR, HEADER_COLOUR
from datakit.gallery.layout import PALETTE


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _count(pixels: np.ndarray, colour: tuple[int, int, int], tolerance: int = 0) -> int:
    distance = np.abs(pixels.astype(int) - np.array(colour))
    return int(np.all(distance <= tolerance, axis=-1).sum())


def test_gallery_renders_in_headless_chromium(tmp_path: Path) -> None:
    browser = _browser()
    if browser is None:
        pytest.skip("no Chromium installed (Debian package `chromium`; .ci/run installs it)")
    (tmp_path / "img").mkdir()
    Image.new("RGB", (320, 240), (70, 90, 110)).save(tmp_path / "img" / "street.png")
    records = [{"id": "flagged", "conversations": [
        {"from": "user", "value": "Picture 1: <img>img/street.png</img>\n框出图中的门"},
        {"from": "assistant", "value": "<ref>门</ref><box>(100,100),(500,600)</box>"
                                       "<box>(600,100),(1500,900)</box>"},
    ]}]
    (tmp_path / "data.json").write_text(json.dumps(records, ensure_ascii=False),
                                        encoding="utf-8")
    made = run_datakit(["preview", "data.json", "--out", "gallery", "--with-findings"],
                       cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    # Zipped and moved elsewhere, the folder still works: open a copy.
    moved = tmp_path / "moved"
    shutil.copytree(tmp_path / "gallery", moved)
    shot = tmp_path / "shot.png"
    result = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--no-first-run",
         "--disable-sync", "--hide-scrollbars", "--force-device-scale-factor=1",
         "--window-size=1200,900", f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={shot}", (moved / "index.html").as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert shot.is_file(), result.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    assert pixels.shape == (900, 1200, 3)
    # the page's own colours: header bar and the highlighted finding
    assert _count(pixels, _rgb(HEADER_COLOUR)) > 20_000
    assert _count(pixels, _rgb(ERROR_COLOUR)) > 500
    # the picture loaded through its relative path: its background and the drawn box show
    assert _count(pixels, (70, 90, 110)) > 30_000
    # (Chromium's colour management moves saturated colours by a few levels, e.g. 255,0,255
    # shows as 243,5,245)
    assert _count(pixels, PALETTE[0], tolerance=16) > 300
