"""Fixtures of the COCO-family tests and the exact arithmetic their boxes are checked by."""

from __future__ import annotations

import json
import math
from collections import Counter
from fractions import Fraction
from pathlib import Path
from typing import Any

from coco_checks import answer_groups

TESTS = Path(__file__).resolve().parent.parent
FAMILY = TESTS / "data" / "coco_family"
GOLDEN = TESTS / "golden" / "coco_family"
PANOPTIC = FAMILY / "panopticapi" / "panoptic_examples.json"
IMAGE_INFO = FAMILY / "panopticapi" / "images_info_examples.json"
LVIS = FAMILY / "lvis-api" / "lvis_val_100_extract.json"
OBJECTS365 = FAMILY / "mmdetection" / "unsorted_obj365_sample.json"

Grid = tuple[int, int, int, int]


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def grid_floor(xywh: list[float], width: float, height: float) -> Grid | None:
    """min(999, floor(v / size * 1000)) after clipping to the image, in exact fractions;
    None for a box empty in pixels or on the grid."""
    x, y, w, h = (Fraction(v) for v in xywh)
    fw, fh = Fraction(width), Fraction(height)
    xyxy = [min(max(x, 0), fw), min(max(y, 0), fh), min(max(x + w, 0), fw), min(max(y + h, 0), fh)]
    if w <= 0 or h <= 0 or xyxy[2] <= xyxy[0] or xyxy[3] <= xyxy[1]:
        return None
    out = []
    for value, size in zip(xyxy, (fw, fh, fw, fh), strict=True):
        scaled = value * 1000 / size
        nearest = round(scaled)
        if abs(scaled - nearest) < Fraction(1, 10**9):
            scaled = Fraction(nearest)
        out.append(min(999, math.floor(scaled)))
    x1, y1, x2, y2 = out
    return None if x2 <= x1 or y2 <= y1 else (x1, y1, x2, y2)


def grounding_boxes(records: list[dict[str, Any]]) -> Counter[tuple[str, str, Grid]]:
    """(image path, ref text, box) of every box in the grounding answers."""
    from coco_checks import image_path

    found: Counter[tuple[str, str, Grid]] = Counter()
    for record in records:
        if "-grounding-" not in record["id"]:
            continue
        path = image_path(record)
        for name, boxes in answer_groups(record["conversations"][1]["value"]):
            for box in boxes:
                found[(path, name, box)] += 1
    return found
