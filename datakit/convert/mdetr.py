"""MDETR / GLIP grounding files (``final_refcoco_train.json``, ``final_flickr_separateGT_*.json``,
``final_mixed_train*.json``) read as phrase-grounding captions (see ``phrase_grounding``).

Each ``images[]`` entry is one caption of one picture (``caption``, ``file_name``, ``width``,
``height``; Flickr files write the sizes as strings, which are read as numbers). Each
``annotations[]`` entry is one box (COCO ``[x, y, w, h]`` pixels) with ``tokens_positive``:
the ``[start, end)`` character spans of the caption that name it. A box is written after each
of its spans, and a span names every box that lists it.
"""

from __future__ import annotations

from typing import Any

from datakit.convert.coco_index import (
    CocoImage,
    id_problem,
    is_id,
    is_number,
    json_type,
    record_label,
    show_value,
    top_level_list,
)
from datakit.convert.phrase_grounding import CaptionBox, GroundedCaption, GroundingInput, Span
from datakit.convert.tally import Tally


def read_mdetr(data: Any, name: str, tally: Tally) -> GroundingInput:
    """Every caption and box of the file, checked; bad ones tallied with their reason."""
    out = GroundingInput("mdetr")
    for i, record in enumerate(top_level_list(data, name, "images")):
        tally.see("image")
        where = record_label(name, "images", i, record)
        problem = _image_problem(record)
        if problem is None and record["id"] in out.captions:
            tally.skip("image", "duplicate-id", f"{where}: the image id is used more than once")
            continue
        if problem is not None:
            tally.skip("image", "malformed", f"{where}: {problem}")
            continue
        width, height = size_number(record.get("width")), size_number(record.get("height"))
        size_problem = None if width and height else (
            f"'width'/'height' must be positive numbers, got {show_value(record.get('width'))}"
            f"x{show_value(record.get('height'))}")
        image = CocoImage(record["id"], record["file_name"], width, height, size_problem, where)
        out.captions[record["id"]] = GroundedCaption(image, record["caption"])
    seen: set[Any] = set()
    for i, record in enumerate(top_level_list(data, name, "annotations")):
        tally.see("annotation")
        where = record_label(name, "annotations", i, record)
        image_id: Any = record.get("image_id") if isinstance(record, dict) else None
        target = out.captions.get(image_id) if is_id(image_id) else None
        problem = _box_problem(record, target.caption if target else None)
        if problem is not None:
            tally.skip("annotation", "malformed", f"{where}: {problem}")
            continue
        if record["id"] in seen:
            tally.skip("annotation", "duplicate-id", f"{where}: the id is used more than once")
            continue
        seen.add(record["id"])
        if target is None:
            tally.skip("annotation", "missing-image",
                       f"{where}: image_id {show_value(record['image_id'])} is not a usable image")
            continue
        x, y, w, h = record["bbox"]
        spans: tuple[Span, ...] = tuple((s, e) for s, e in record["tokens_positive"])
        target.boxes.append(CaptionBox(record["id"], (x, y, x + w, y + h), spans, None,
                                       record.get("iscrowd", 0) == 1))
    return out


def size_number(value: Any) -> float | None:
    """A positive size, from a number or a numeric string (Flickr writes ``"500"``)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return value if is_number(value) and value > 0 else None


def _image_problem(record: Any) -> str | None:
    if not isinstance(record, dict):
        return f"is {json_type(record)}, not an object"
    problem = id_problem(record, "id")
    if problem is not None:
        return problem
    for key in ("file_name", "caption"):
        value = record.get(key)
        if not isinstance(value, str) or not value.strip():
            return f"'{key}' is missing" if key not in record else (
                f"'{key}' must be a non-empty string, got {show_value(value)}")
    return None


def _box_problem(record: Any, caption: str | None) -> str | None:
    if not isinstance(record, dict):
        return f"is {json_type(record)}, not an object"
    for key in ("id", "image_id"):
        problem = id_problem(record, key)
        if problem is not None:
            return problem
    xywh = record.get("bbox")
    if not isinstance(xywh, list) or len(xywh) != 4 or not all(is_number(v) for v in xywh):
        return f"'bbox' must be [x, y, width, height] of finite numbers, got {show_value(xywh)}"
    if record.get("iscrowd", 0) not in (0, 1) or type(record.get("iscrowd", 0)) not in (int, bool):
        return f"'iscrowd' must be 0 or 1, got {show_value(record.get('iscrowd'))}"
    spans = record.get("tokens_positive")
    if not isinstance(spans, list) or not spans:
        return f"'tokens_positive' must be a list of [start, end] spans, got {show_value(spans)}"
    for span in spans:
        if not (isinstance(span, list) and len(span) == 2
                and all(type(v) is int for v in span) and 0 <= span[0] < span[1]):
            return f"'tokens_positive' span {show_value(span)} is not [start, end] with start < end"
        if caption is not None and (span[1] > len(caption)
                                    or not caption[span[0]:span[1]].strip()):
            return (f"'tokens_positive' span {span} is outside the caption's "
                    f"{len(caption)} characters or blank")
    return None if is_id(record.get("image_id")) else "'image_id' is not an id"
