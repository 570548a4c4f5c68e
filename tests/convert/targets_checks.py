"""What the family-target conversion tests assert: every written box, read back with the
layout's reader and mapped to the stored picture's pixels, lies within one unit of the target's
scale of the source annotation (one grid unit for Qwen2-VL / Qwen3-VL, one resized pixel for
Qwen2.5-VL)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from datakit.convert.targets import resolve_target
from datakit.family.layouts import read_record
from datakit.family.profiles import MODELS
from datakit.family.sample import Box, Grounded
from datakit.family.spaces import PictureSizes, to_source_px

FAMILY = ("qwen2-vl", "qwen2.5-vl", "qwen3-vl")
LAYOUTS = ("ms-swift", "sharegpt", "qwen-vl-finetune")


def datakit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "datakit", *args], cwd=cwd,
                          capture_output=True, text=True, check=False)


def load_output(path: Path, layout: str) -> list[dict[str, Any]]:
    """The records of a written file, checking its format: JSON Lines for ms-swift, one
    JSON array for the other layouts."""
    text = path.read_text(encoding="utf-8")
    if layout == "ms-swift":
        assert not text.startswith("[")
        return [json.loads(line) for line in text.splitlines()]
    data = json.loads(text)
    assert isinstance(data, list)
    return data


def grounded(record: dict[str, Any], target: str, layout: str) -> tuple[str, list[Grounded]]:
    """The record's picture path and the grounded phrases of its answers, read back with the
    layout's reader (no problems allowed)."""
    result = read_record(record, MODELS[target], layout)  # type: ignore[index]
    assert result.problems == (), result.problems
    sample = result.sample
    assert len(sample.images) == 1
    phrases = [
        part for turn in sample.turns if turn.role == "assistant" for part in turn.parts
        if isinstance(part, Grounded) and part.boxes
    ]
    return sample.images[0].path, phrases


def units_px(target: str, source_px: tuple[int, int], layout: str = "ms-swift",
             **resize: int | None) -> tuple[float, float]:
    """One unit of the target's scale in stored pixels, per axis (Qwen2.5-VL: the resize of
    the layout's framework)."""
    sizes = resolve_target(target, layout, **resize).sizes(source_px)  # type: ignore[arg-type]
    if sizes.resized_px is not None:
        return (source_px[0] / sizes.resized_px[0], source_px[1] / sizes.resized_px[1])
    return (source_px[0] / 1000, source_px[1] / 1000)


def back_to_px(box: Box, target: str, source_px: tuple[int, int], layout: str = "ms-swift",
               **resize: int | None) -> tuple[float, ...]:
    sizes = resolve_target(target, layout, **resize).sizes(source_px)  # type: ignore[arg-type]
    return to_source_px(box, PictureSizes(source_px, sizes.resized_px))


def assert_within(got_px: Sequence[float], want_px: Sequence[float],
                  unit: tuple[float, float], units: float = 1.0) -> None:
    assert len(got_px) == len(want_px) == 4
    for i, (got, want) in enumerate(zip(got_px, want_px, strict=True)):
        limit = units * unit[i % 2] + 1e-9
        assert abs(got - want) <= limit, (list(got_px), list(want_px), unit)


def clipped_xyxy(xywh: Sequence[float], size_px: tuple[int, int]) -> tuple[float, ...]:
    x, y, w, h = xywh
    width, height = size_px
    return (min(max(x, 0), width), min(max(y, 0), height), min(max(x + w, 0), width),
            min(max(y + h, 0), height))
