from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
REAL_IMAGES = ROOT / "tests" / "data" / "images"

Rect = tuple[int, int, int, int]


def colour_rect(image: Image.Image, colour: tuple[int, int, int]) -> Rect | None:
    """Bounding box (left, top, right, bottom, inclusive) of the pixels of exactly ``colour``."""
    pixels = np.asarray(image.convert("RGB"))
    mask = np.all(pixels == np.array(colour, dtype=np.uint8), axis=-1)
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def is_outline(image: Image.Image, colour: tuple[int, int, int], rect: Rect) -> bool:
    """All four edges of ``rect`` are drawn in ``colour``."""
    pixels = np.asarray(image.convert("RGB"))
    mask = np.all(pixels == np.array(colour, dtype=np.uint8), axis=-1)
    left, top, right, bottom = rect
    return bool(
        mask[top : bottom + 1, left].all()
        and mask[top : bottom + 1, right].all()
        and mask[top, left : right + 1].all()
        and mask[bottom, left : right + 1].all()
    )


def assert_lands_on(rect: Rect, xyxy_norm1000: tuple[int, int, int, int], size: tuple[int, int]
                    ) -> None:
    """The drawn outline covers [x1, x2) x [y1, y2) in pixels, v / 1000 * size, within 1 px."""
    width, height = size
    x1, y1, x2, y2 = (v / 1000 * s for v, s in zip(xyxy_norm1000, (width, height) * 2,
                                                  strict=True))
    left, top, right, bottom = rect
    assert abs(left - x1) <= 1, (rect, (x1, y1, x2, y2))
    assert abs(top - y1) <= 1, (rect, (x1, y1, x2, y2))
    assert abs(right + 1 - x2) <= 1, (rect, (x1, y1, x2, y2))
    assert abs(bottom + 1 - y2) <= 1, (rect, (x1, y1, x2, y2))


def run_datakit(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env_path = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "datakit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**_env(), "PYTHONPATH": env_path},
    )


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "DATAKIT_FONT"}


@pytest.fixture
def datakit() -> Callable[..., Any]:
    return run_datakit
