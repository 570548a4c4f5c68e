"""Check COCO instance and caption annotations record by record and file them by image id.

Annotations are kept as plain tuples in per-image lists: at COCO scale (860k annotations) a
dataclass per annotation would cost more than the rest of the conversion. A bad annotation is
skipped and tallied with a message naming the file, the record and the field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from datakit.convert.coco_family import family_annotations
from datakit.convert.coco_index import (
    ID_TYPES,
    NUMBER_TYPES,
    CocoIndex,
    id_problem,
    is_number,
    json_type,
    record_label,
    show_value,
)
from datakit.convert.prompts import SPECIAL_TEXT_RE
from datakit.convert.tally import Tally


def index_boxes(
    records: list[Any],
    name: str,
    categories: Mapping[Any, str | tuple[str]],
    index: CocoIndex,
    tally: Tally,
) -> None:
    """Check every instance annotation and file the usable ones under their image."""
    records = family_annotations(records, name, index, tally)
    index.category_by_id = categories
    images, skipped_images = index.images, index.skipped_image_ids
    by_image = index.boxes_by_image
    seen_ids: set[Any] = set()
    is_finite = math.isfinite
    numbers = NUMBER_TYPES
    kind = "annotation"
    # "used" is settled per image later, where filed boxes can still be skipped (crowd, ...)
    tally.see(kind, len(records))
    for i, record in enumerate(records):
        try:
            ann_id = record["id"]
            image_id = record["image_id"]
            category_id = record["category_id"]
            x, y, w, h = record["bbox"]
            crowd = record.get("iscrowd", 0)
            ok = (
                type(x) in numbers
                and type(y) in numbers
                and type(w) in numbers
                and type(h) in numbers
                and is_finite(x)
                and is_finite(y)
                and is_finite(w)
                and is_finite(h)
                and type(ann_id) in ID_TYPES
                and type(image_id) in ID_TYPES
                and type(category_id) in ID_TYPES
                and (crowd == 0 or crowd == 1)
                and type(crowd) in (int, bool)
            )
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
            ok = False
        if not ok:
            where = record_label(name, "annotations", i, record)
            tally.skip(kind, "malformed", f"{where}: {_box_problem(record)}")
            continue
        if ann_id in seen_ids:
            where = record_label(name, "annotations", i, record)
            tally.skip(kind, "duplicate-id", f"{where}: the annotation id is used more than once")
            continue
        seen_ids.add(ann_id)
        reason = _image_reason(image_id, images, skipped_images)
        if reason is None:
            category = categories.get(category_id)
            if category is None:
                reason = "unknown-category"
            elif type(category) is tuple:
                reason = category[0]
            else:
                by_image.setdefault(image_id, []).append(
                    (ann_id, category, x, y, w, h, bool(crowd))  # type: ignore[arg-type]
                )
                continue
        where = record_label(name, "annotations", i, record)
        tally.skip(kind, reason, f"{where}: {_dangling(reason, image_id, category_id)}")


def _image_reason(image_id: Any, images: Mapping[Any, Any], skipped: set[Any]) -> str | None:
    if image_id in images:
        return None
    return "image-skipped" if image_id in skipped else "missing-image"


def _dangling(reason: str, image_id: Any, category_id: Any) -> str:
    if reason == "missing-image":
        return f"image_id {show_value(image_id)} is not among the images"
    if reason == "image-skipped":
        return f"image {show_value(image_id)} was skipped"
    if reason == "unknown-category":
        return f"category_id {show_value(category_id)} is not among the categories"
    if reason == "category-filtered":
        return f"category_id {show_value(category_id)} is not among the selected categories"
    return f"category_id {show_value(category_id)} was skipped (see its entry in categories)"


def _box_problem(record: Any) -> str:
    if not isinstance(record, dict):
        return f"is {json_type(record)}, not an object"
    for key in ("id", "image_id", "category_id"):
        problem = id_problem(record, key)
        if problem is not None:
            return problem
    if "bbox" not in record:
        return "'bbox' is missing"
    xywh = record["bbox"]
    if not isinstance(xywh, list) or len(xywh) != 4:
        return f"'bbox' must be [x, y, width, height], got {show_value(xywh)}"
    for axis, value in zip("xywh", xywh, strict=True):
        if not is_number(value):
            return f"'bbox' {axis} must be a finite number, got {show_value(value)}"
    crowd = record.get("iscrowd", 0)
    return f"'iscrowd' must be 0 or 1, got {show_value(crowd)}"


def index_captions(records: list[Any], name: str, index: CocoIndex, tally: Tally) -> None:
    """Check every caption annotation and file the usable ones under their image."""
    seen_ids: set[Any] = set()
    kind = "caption"
    for i, record in enumerate(records):
        tally.see(kind)
        where = record_label(name, "annotations", i, record)
        problem = _caption_problem(record)
        if problem is not None:
            tally.skip(kind, "malformed", f"{where}: {problem}")
            continue
        ann_id, image_id, text = record["id"], record["image_id"], record["caption"].strip()
        if ann_id in seen_ids:
            tally.skip(kind, "duplicate-id", f"{where}: the annotation id is used more than once")
            continue
        seen_ids.add(ann_id)
        reason = _image_reason(image_id, index.images, index.skipped_image_ids)
        if reason is not None:
            tally.skip(kind, reason, f"{where}: {_dangling(reason, image_id, None)}")
            continue
        if not text:
            tally.skip(kind, "empty-caption", where)
            continue
        special = SPECIAL_TEXT_RE.search(text)
        if special is not None:
            tally.skip(kind, "caption-has-tag", f"{where}: contains {special.group(0)}")
            continue
        index.captions_by_image.setdefault(image_id, []).append((ann_id, text))


def _caption_problem(record: Any) -> str | None:
    if not isinstance(record, dict):
        return f"is {json_type(record)}, not an object"
    for key in ("id", "image_id"):
        problem = id_problem(record, key)
        if problem is not None:
            return problem
    if "caption" not in record:
        return "'caption' is missing"
    if not isinstance(record["caption"], str):
        return f"'caption' must be a string, got {show_value(record['caption'])}"
    return None
