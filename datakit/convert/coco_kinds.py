"""What kind of COCO-family file ``convert coco`` was given, from its content.

``convert coco`` reads COCO instances, captions, panoptic, LVIS and Objects365 files (see
``coco_family``), MDETR/GLIP grounding files (``mdetr``) and ODVG JSONL (``odvg``). Files of
neighbouring kinds get an ``InputError`` saying what the file looks like and which command, if
any, reads it, instead of a pile of "malformed" records or an empty output. Only the first
records are looked at.
"""

from __future__ import annotations

from typing import Any

from datakit.errors import InputError


def recognise(data: Any, name: str) -> str:
    """``instances`` or ``captions`` (panoptic, LVIS and Objects365 read as instances),
    ``grounding`` (MDETR/GLIP), ``odvg``, or an ``InputError`` for a file ``convert coco``
    does not read."""
    from datakit.convert.odvg import OdvgFile

    if isinstance(data, OdvgFile):
        return "odvg"
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
        return "grounding"  # MDETR/GLIP: captions on the images, spans on the boxes
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
