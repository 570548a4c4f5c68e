"""Files of the COCO family read as COCO instances: panoptic, LVIS, Objects365.

Each is recognised from its content, never from its name:

- COCO panoptic: ``annotations[]`` are per image, each with ``segments_info[]`` whose items
  carry ``bbox``, ``category_id`` and ``iscrowd``. Every segment becomes one box annotation;
  segment ids repeat across images, so its id is ``IMAGEID-SEGMENTID``.
- LVIS (v0.5, v1): ``images[]`` carry ``not_exhaustive_category_ids`` (boxes of those
  categories would teach "find every X" where not every X was annotated: they are skipped as
  ``not-exhaustive``) and, in v1, ``coco_url`` instead of ``file_name`` (see
  ``coco_index.lvis_file_name``).
- Objects365: annotations with ``ignore: 1`` mark regions to ignore, not objects; they are
  skipped as ``ignore-region``.

The checks look at the first records only, so plain COCO instances pay nothing.
"""

from __future__ import annotations

from typing import Any

from datakit.convert.coco_index import CocoIndex, is_id, record_label, show_value
from datakit.convert.tally import Tally


def family_annotations(
    records: list[Any], name: str, index: CocoIndex, tally: Tally
) -> list[Any]:
    """``records`` as instance annotations: panoptic segments flattened, ignore regions and
    not-exhaustive boxes taken out (seen and skipped here, with their reasons)."""
    if not records:
        return records
    first = records[0]
    if isinstance(first, dict):
        if "segments_info" in first:
            records = _panoptic_segments(records, name, tally)
        elif "ignore" in first:
            records = _without_ignored(records, name, tally)
    if index.not_exhaustive:
        records = _without_not_exhaustive(records, name, index, tally)
    return records


def _panoptic_segments(records: list[Any], name: str, tally: Tally) -> list[Any]:
    out: list[Any] = []
    for i, record in enumerate(records):
        segments = record.get("segments_info") if isinstance(record, dict) else None
        image_id = record.get("image_id") if isinstance(record, dict) else None
        if not isinstance(segments, list) or not is_id(image_id):
            where = record_label(name, "annotations", i, record)
            problem = (
                "'segments_info' must be a list of segments"
                if not isinstance(segments, list)
                else f"'image_id' must be an integer or a non-empty string, got "
                f"{show_value(image_id)}"
            )
            tally.see("annotation")
            tally.skip("annotation", "malformed", f"{where} (a panoptic image): {problem}")
            continue
        for segment in segments:
            if isinstance(segment, dict):
                segment_id = segment.get("id")
                flat = dict(segment, image_id=image_id)
                # ids repeat across images (they encode the PNG's colour), so the image is
                # part of the id; a bad one stays bad for the checks that follow
                if is_id(segment_id):
                    flat["id"] = f"{image_id}-{segment_id}"
                out.append(flat)
            else:
                out.append(segment)
    return out


def _without_ignored(records: list[Any], name: str, tally: Tally) -> list[Any]:
    out: list[Any] = []
    for i, record in enumerate(records):
        ignore = record.get("ignore", 0) if isinstance(record, dict) else 0
        if ignore == 0 and type(ignore) in (int, bool):
            out.append(record)
            continue
        where = record_label(name, "annotations", i, record)
        tally.see("annotation")
        if ignore == 1 and type(ignore) in (int, bool):
            tally.skip("annotation", "ignore-region", f"{where}: 'ignore' is 1, not an object")
        else:
            tally.skip("annotation", "malformed", f"{where}: 'ignore' must be 0 or 1, got "
                       f"{show_value(ignore)}")
    return out


def _without_not_exhaustive(
    records: list[Any], name: str, index: CocoIndex, tally: Tally
) -> list[Any]:
    partial = index.not_exhaustive
    out: list[Any] = []
    for i, record in enumerate(records):
        image_id: Any = record.get("image_id") if isinstance(record, dict) else None
        listed = partial.get(image_id) if is_id(image_id) else None
        if listed is not None:
            category_id = record.get("category_id")
            if is_id(category_id) and category_id in listed:
                where = record_label(name, "annotations", i, record)
                tally.see("annotation")
                tally.skip(
                    "annotation",
                    "not-exhaustive",
                    f"{where}: category {show_value(category_id)} is in the "
                    "image's not_exhaustive_category_ids",
                )
                continue
        out.append(record)
    return out
