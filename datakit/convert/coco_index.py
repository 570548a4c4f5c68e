"""Check parsed COCO files record by record and index them by image id.

Nothing here raises on a bad record: a malformed image or category is skipped and tallied with
a message naming the file, the record and the field (annotations and captions: see
``coco_annotations``). Only a file whose top level cannot be COCO (not an object, ``images``
not a list, ...) stops the conversion, with an ``InputError``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from datakit.convert.prompts import SPECIAL_TEXT_RE
from datakit.convert.tally import Tally
from datakit.errors import InputError

_COCO_HOST = "http://images.cocodataset.org/"

ImageId = int | str
AnnotationId = int | str
# (annotation id, output category name, x, y, w, h, iscrowd) in source pixels
BoxRow = tuple[AnnotationId, str, float, float, float, float, bool]
# (annotation id, caption text)
CaptionRow = tuple[AnnotationId, str]

ID_TYPES = (int, str)
NUMBER_TYPES = (int, float)


@dataclass(frozen=True, slots=True)
class CocoImage:
    image_id: ImageId
    file_name: str
    # None when the record's size is missing or unusable; size_problem says why
    width_px: float | None
    height_px: float | None
    size_problem: str | None
    where: str  # "instances.json: images[3] (id 139)", for messages


@dataclass
class CocoIndex:
    images: dict[ImageId, CocoImage] = field(default_factory=dict)
    # image ids whose record was skipped (their annotations are skipped as "image-skipped")
    skipped_image_ids: set[ImageId] = field(default_factory=set)
    boxes_by_image: dict[ImageId, list[BoxRow]] = field(default_factory=dict)
    captions_by_image: dict[ImageId, list[CaptionRow]] = field(default_factory=dict)
    # output category name -> sort key of its smallest category id (orders refs within an
    # image by category id, whatever order the file lists categories in)
    name_order: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    source_names: list[str] = field(default_factory=list)  # category names, in file order
    # LVIS: image id -> the category ids not every instance of which is annotated there
    not_exhaustive: dict[ImageId, frozenset[Any]] = field(default_factory=dict)
    # LVIS: image id -> its neg_category_ids (see coco_negatives)
    negative_ids: dict[ImageId, tuple[Any, ...]] = field(default_factory=dict)
    # category id -> output name, or (reason,) for a category that cannot be used
    category_by_id: Mapping[Any, str | tuple[str]] = field(default_factory=dict)


def id_sort_key(value: ImageId) -> tuple[int, int, str]:
    """Integers numerically, then strings: ids of mixed types still sort deterministically."""
    return (0, value, "") if isinstance(value, int) else (1, 0, value)


def is_id(value: Any) -> bool:
    return type(value) in ID_TYPES and value != ""


def is_number(value: Any) -> bool:
    try:
        return type(value) in NUMBER_TYPES and math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def show_value(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def record_label(name: str, section: str, index: int, record: Any) -> str:
    if isinstance(record, dict) and is_id(record.get("id")):
        return f"{name}: {section}[{index}] (id {record['id']})"
    return f"{name}: {section}[{index}]"


def id_problem(record: dict[str, Any], key: str) -> str | None:
    """Why ``record[key]`` is not a usable id (``None`` when it is)."""
    if key not in record:
        return f"'{key}' is missing"
    if not is_id(record[key]):
        return f"'{key}' must be an integer or a non-empty string, got {show_value(record[key])}"
    return None


def top_level_list(data: Any, name: str, section: str, *, required: bool = True) -> list[Any]:
    """``data[section]`` as a list, or an ``InputError`` that says what the file holds."""
    if not isinstance(data, dict):
        raise InputError(
            f"{name}: the top level is {json_type(data)}, not a COCO object",
            fix="pass a COCO annotation file: an object with images, annotations, categories",
        )
    value = data.get(section)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        found = "missing" if section not in data else f"{json_type(value)}, not a list"
        raise InputError(
            f"{name}: '{section}' is {found}",
            fix=f"a COCO file needs '{section}': [...] at the top level",
        )
    return value


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    return "a number"


def index_images(
    records: list[Any], name: str, index: CocoIndex, tally: Tally, *, merge: bool = False
) -> None:
    """Add the images of one file. With ``merge`` (a second file of the same split), an id
    already indexed is the same image, not a duplicate."""
    seen_here: set[Any] = set()
    for i, record in enumerate(records):
        where = record_label(name, "images", i, record)
        problem = _image_problem(record)
        image_id: Any = record.get("id") if isinstance(record, dict) else None
        hashable = is_id(image_id)
        if hashable and image_id in seen_here:
            tally.see("image")
            tally.skip("image", "duplicate-id", f"{where}: the image id is used more than once")
            continue
        if hashable:
            seen_here.add(image_id)
        if merge and hashable and (image_id in index.images or image_id in index.skipped_image_ids):
            _merge_image(index, record, where, tally)
            continue
        tally.see("image")
        if problem is not None:
            tally.skip("image", "malformed", f"{where}: {problem}")
            if hashable:
                index.skipped_image_ids.add(image_id)
            continue
        width, height, size_problem = _image_size(record)
        index.images[image_id] = CocoImage(
            image_id, record.get("file_name") or lvis_file_name(record) or "", width, height,
            size_problem, where,
        )
        partial = record.get("not_exhaustive_category_ids")
        if partial and isinstance(partial, list):
            index.not_exhaustive[image_id] = frozenset(c for c in partial if is_id(c))
        negatives = record.get("neg_category_ids")
        if negatives and isinstance(negatives, list):
            index.negative_ids[image_id] = tuple(c for c in negatives if is_id(c))


def lvis_file_name(record: dict[str, Any]) -> str | None:
    """The image path of an LVIS v1 record, which has ``coco_url`` and no ``file_name``.

    The URL's folder and file (``val2017/000000397133.jpg``), as mmdetection and detectron2
    resolve it: LVIS v1 val holds images of COCO's train2017 *and* val2017, so the file name
    alone would not say which folder under ``--image-root`` holds it.
    """
    url = record.get("coco_url")
    if not isinstance(url, str) or "/" not in url.rstrip("/"):
        return None
    parts = url.rstrip("/").split("/")
    if url.startswith(_COCO_HOST) and len(parts) >= 2:
        return "/".join(parts[-2:])
    return parts[-1] or None


def _image_problem(record: Any) -> str | None:
    if not isinstance(record, dict):
        return f"is {json_type(record)}, not an object"
    problem = id_problem(record, "id")
    if problem is not None:
        return problem
    file_name = record.get("file_name")
    if not isinstance(file_name, str) or not file_name:
        if "file_name" not in record:
            if lvis_file_name(record) is not None:
                return None
            return "'file_name' is missing"
        return f"'file_name' must be a non-empty string, got {show_value(file_name)}"
    return None


def _image_size(record: dict[str, Any]) -> tuple[float | None, float | None, str | None]:
    width, height = record.get("width"), record.get("height")
    for key, value in (("width", width), ("height", height)):
        if value is None:
            return None, None, f"'{key}' is missing"
        if not is_number(value) or value <= 0:
            return None, None, f"'{key}' must be a positive number, got {show_value(value)}"
    return width, height, None


def _merge_image(index: CocoIndex, record: Any, where: str, tally: Tally) -> None:
    # The same image listed by the instances and the captions file of one split.
    known = index.images.get(record["id"])
    if known is not None and record.get("file_name") != known.file_name:
        tally.note(
            "image-record-conflict",
            f"{where}: file_name {show_value(record.get('file_name'))} differs from "
            f"{known.where} ({known.file_name!r}); the first is used",
        )


def index_categories(
    records: list[Any],
    name: str,
    renames: Mapping[str, str],
    keep: Callable[[str], bool],
    tally: Tally,
    index: CocoIndex,
) -> dict[Any, str | tuple[str]]:
    """Category id -> output name, or ``(reason,)`` for a category that cannot be used."""
    categories: dict[Any, str | tuple[str]] = {}
    for i, record in enumerate(records):
        tally.see("category")
        where = record_label(name, "categories", i, record)
        problem = _category_problem(record)
        if problem is not None:
            tally.skip("category", "malformed", f"{where}: {problem}")
            continue
        category_id, source_name = record["id"], record["name"]
        if category_id in categories:
            tally.skip("category", "duplicate-id", f"{where}: the category id is used again")
            continue
        index.source_names.append(source_name)
        out_name = renames.get(source_name, source_name)
        untranslated = getattr(renames, "untranslated", None)  # a CategoryNames
        if untranslated is not None and untranslated(source_name):
            tally.note("name-not-translated", f"{where}: {source_name!r} written as {out_name!r}")
        special = SPECIAL_TEXT_RE.search(out_name)
        if special is not None:
            tally.skip(
                "category",
                "name-has-tag",
                f"{where}: name {out_name!r} contains {special.group(0)}, a control token",
            )
            categories[category_id] = ("category-skipped",)
        elif not keep(source_name):
            tally.skip("category", "filtered-out", f"{where}: {source_name!r}")
            categories[category_id] = ("category-filtered",)
        else:
            tally.use("category")
            categories[category_id] = out_name
            key = id_sort_key(category_id)
            index.name_order[out_name] = min(key, index.name_order.get(out_name, key))
    return categories


def _category_problem(record: Any) -> str | None:
    if not isinstance(record, dict):
        return f"is {json_type(record)}, not an object"
    problem = id_problem(record, "id")
    if problem is not None:
        return problem
    category_name = record.get("name")
    if not isinstance(category_name, str) or not category_name.strip():
        if "name" not in record:
            return "'name' is missing"
        return f"'name' must be a non-empty string, got {show_value(category_name)}"
    return None


def coco_file_kind(data: Any) -> str:
    """``captions`` when the annotations carry ``caption`` text, else ``instances``."""
    annotations = data.get("annotations") if isinstance(data, dict) else None
    if isinstance(annotations, list):
        for record in annotations:
            if isinstance(record, dict):
                return "captions" if "caption" in record and "bbox" not in record else "instances"
    return "instances"
