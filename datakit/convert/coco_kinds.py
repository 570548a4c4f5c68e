"""What kind of COCO-family file ``convert coco`` was given, from its content.

``convert coco`` reads COCO instances, captions, panoptic, LVIS and Objects365 files (see
``coco_family``). Files of neighbouring kinds get an ``InputError`` saying what the file looks
like and which command, if any, reads it, instead of a pile of "malformed" records or an empty
output. Only the first records are looked at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from datakit.errors import InputError


def recognise(data: Any, name: str) -> str:
    """``instances`` or ``captions`` (panoptic, LVIS and Objects365 read as instances), or
    an ``InputError`` for a file ``convert coco`` does not read."""
    if isinstance(data, list):
        first = data[0] if data else None
        if isinstance(first, dict) and {"image_id", "bbox", "score"} <= first.keys():
            raise InputError(
                f"{name}: this looks like COCO detection results (a list of image_id, "
                "category_id, bbox, score): model outputs, not annotations",
                fix="pass the annotation file the results were computed against",
            )
        if isinstance(first, dict) and {"image_id", "caption"} <= first.keys():
            raise InputError(
                f"{name}: this looks like COCO caption results (a list of image_id, caption) "
                "without the images they describe",
                fix="pass a COCO captions file (images and annotations)",
            )
        return "instances"  # top_level_list says what is wrong with it
    if not isinstance(data, dict):
        return "instances"
    annotations = data.get("annotations")
    images = data.get("images")
    first_image = _first_dict(images)
    first = _first_dict(annotations)
    if (first is not None and "tokens_positive" in first) or (
        first_image is not None and "caption" in first_image and "dataset_name" in first_image
    ):
        raise InputError(
            f"{name}: this looks like an MDETR/GLIP grounding file (captions on the images, "
            "'tokens_positive' spans on the boxes), which convert coco does not read yet",
            fix="for RefCOCO/+/g use the original refer files with datakit convert refcoco",
        )
    if "annotations" not in data and isinstance(images, list) and "categories" in data:
        raise InputError(
            f"{name}: this looks like a COCO image-info file (images and categories, no "
            "annotations): there is nothing to convert",
            fix="pass the instances, panoptic or captions file of the split",
        )
    if {"refs", "ref_id"} & data.keys() or (first is not None and "ref_id" in first):
        raise InputError(
            f"{name}: this looks like referring expressions (RefCOCO-style refs)",
            fix="use datakit convert refcoco",
        )
    if first is not None and "caption" in first and "bbox" not in first:
        return "captions"
    return "instances"


def _first_dict(records: Any) -> dict[str, Any] | None:
    if isinstance(records, list) and records and isinstance(records[0], dict):
        return records[0]
    return None


def odvg_problem(data: bytes, path: Path) -> InputError | None:
    """An ``InputError`` naming ODVG JSONL when a file that is not JSON is ODVG, else None."""
    line = data.lstrip()[: 1 << 20].split(b"\n", 1)[0]
    try:
        first = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if isinstance(first, dict) and "filename" in first and (
        "detection" in first or "grounding" in first
    ):
        return InputError(
            f"{path}: this looks like ODVG JSONL (Grounding DINO training data: one image a "
            "line with 'detection' or 'grounding'), which convert coco does not read yet",
            fix="convert the COCO or refer files it was made from instead",
        )
    return None
