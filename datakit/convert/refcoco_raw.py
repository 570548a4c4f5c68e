"""The refer toolkit's raw layout: ``refs(<splitBy>).p`` plus a COCO-shaped ``instances.json``.

Each ref names its annotation (``ann_id``) and image (``image_id``). The box is the
annotation's ``bbox`` (``[x, y, w, h]`` pixels); the image's file name and size come from
``instances.json`` through ``image_id``. The ref's own ``file_name`` carries an extra ``_<n>``
suffix (``COCO_train2014_000000581857_16.jpg``) and is never used.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

import orjson

from datakit.convert.refcoco import REF, SENTENCE, RefItem, RefSentence
from datakit.convert.refer_pickle import Py2Text, load_refs_pickle
from datakit.convert.tally import Tally
from datakit.errors import InputError
from datakit.shown import shown

TextField = str  # "sent" (refer's cleaned, lower-case text) or "raw" (as typed by annotators)
_ID_LIMIT = 1 << 63
_MAX_SPLIT_CHARS = 64  # train, val, testA, testB, test


@dataclass(frozen=True, slots=True)
class _Image:
    file_name: str
    width_px: float | None
    height_px: float | None


@dataclass(frozen=True, slots=True)
class _Annotation:
    image_id: int
    xywh_px: tuple[float, float, float, float] | None


@dataclass(frozen=True, slots=True)
class Instances:
    images: Mapping[int, _Image]
    annotations: Mapping[int, _Annotation]


def read_instances(path: Path, tally: Tally, display_name: str | None = None) -> Instances:
    """Index ``images`` and ``annotations`` of a COCO-shaped file by id.

    Entries without a usable id are counted in ``tally.notes`` and left out; a ref that needs
    one is then skipped as pointing to an unknown id.
    """
    from datakit.convert.coco_load import drop_segmentation
    from datakit.convert.json_document import parse_json_bytes, read_document_bytes

    name = display_name or str(path)
    fix = "use the instances.json of the refer release for this dataset"
    try:
        raw = read_document_bytes(path, name)
    except InputError as exc:
        raise InputError(
            exc.message,
            fix=f"{exc.fix}; the raw layout needs the instances.json next to the refs file "
            "(or pass --instances)",
        ) from None
    try:
        # Segmentations are most of the file and never used.
        data = orjson.loads(drop_segmentation(raw))
    except orjson.JSONDecodeError:
        try:  # NaN, integers beyond 64 bits: what the json module reads
            data = parse_json_bytes(raw, path, name)
        except InputError as exc:
            raise InputError(exc.message, fix=fix) from None
    del raw
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise InputError(
            f"{name}: not a COCO instances file (no 'images' list at the top level)", fix=fix
        )
    if not isinstance(data.get("annotations"), list):
        raise InputError(
            f"{name}: not a COCO instances file (no 'annotations' list at the top level)",
            fix=fix,
        )
    images: dict[int, _Image] = {}
    for index, image in enumerate(data["images"]):
        image_id = image.get("id") if isinstance(image, dict) else None
        file_name = image.get("file_name") if isinstance(image, dict) else None
        if not _is_id(image_id) or not isinstance(file_name, str) or not file_name:
            tally.note("instances-image-unusable", f"{name} $.images[{index}]")
            continue
        images[image_id] = _Image(file_name, _size(image.get("width")), _size(image.get("height")))
    annotations: dict[int, _Annotation] = {}
    for index, ann in enumerate(data["annotations"]):
        ann_id = ann.get("id") if isinstance(ann, dict) else None
        image_id = ann.get("image_id") if isinstance(ann, dict) else None
        if not _is_id(ann_id) or not _is_id(image_id):
            tally.note("instances-annotation-unusable", f"{name} $.annotations[{index}]")
            continue
        annotations[ann_id] = _Annotation(image_id, box_of(ann.get("bbox")))
    return Instances(images, annotations)


def read_refer(
    refs_path: Path,
    instances: Instances,
    tally: Tally,
    *,
    text_field: TextField = "sent",
    display_name: str | None = None,
) -> list[RefItem]:
    """Items of every ref that resolves, sorted by ``ref_id``; the rest are counted as skipped.

    Every ref and every sentence is counted as seen in ``tally``.
    """
    name = display_name or str(refs_path)
    refs = load_refs_pickle(refs_path, name)
    if not isinstance(refs, list):
        raise InputError(
            f"{name}: not a refs file (the pickle holds a {type(refs).__name__}, not a list)",
            fix="use the refs(<splitBy>).p file of the refer release",
        )
    py2 = Py2Text()
    items: dict[int, RefItem] = {}
    # A pickle can refer to one object many times (memo GET): the ids of refs, sentence lists
    # and sentences read so far, so that each is read once and a small file cannot multiply
    # the work (or the output). Refs map to where they were read.
    read_refs: dict[int, str] = {}
    read_parts: set[int] = set()
    for index, raw_ref in enumerate(refs):
        tally.see(REF)
        first = read_refs.get(id(raw_ref))
        if first is not None:  # its sentences were counted the first time
            tally.skip(REF, "repeated-object", f"{name} ref #{index}: the same object as {first}")
            continue
        ref = py2.fields(raw_ref)
        sentences = ref.get("sentences") if ref is not None else None
        n_sentences, list_read_before = 0, False
        if isinstance(sentences, list):
            list_read_before = id(sentences) in read_parts
            read_parts.add(id(sentences))
            n_sentences = 0 if list_read_before else len(sentences)  # counted then
        tally.see(SENTENCE, n_sentences)
        where = f"{name} ref #{index}"
        if ref is not None and _is_id(ref.get("ref_id")):
            where = f"{name} ref_id {ref['ref_id']}"
        if isinstance(raw_ref, dict):  # small ints and other shared scalars are no repeat
            read_refs[id(raw_ref)] = where
        if list_read_before:
            _skip(tally, "repeated-object", f"{where}: its sentences list is an earlier ref's", 0)
            continue
        item_or_reason = _item(raw_ref, ref, where, instances, text_field, tally, py2, read_parts)
        if isinstance(item_or_reason, tuple):
            reason, detail = item_or_reason
            _skip(tally, reason, f"{where}: {detail}" if detail else where, n_sentences)
            continue
        assert ref is not None
        ref_id = ref["ref_id"]
        if ref_id in items:
            tally.skip(REF, "duplicate-id", where)
            if item_or_reason.sentences:
                tally.skip(SENTENCE, "duplicate-id", n=len(item_or_reason.sentences))
            continue
        items[ref_id] = item_or_reason
    if py2.latin1_strings:
        tally.note("pickle-strings-read-as-latin1", n=py2.latin1_strings)
    return [items[ref_id] for ref_id in sorted(items)]


def _skip(tally: Tally, reason: str, example: str, n_sentences: int) -> None:
    tally.skip(REF, reason, example)
    if n_sentences:
        tally.skip(SENTENCE, reason, n=n_sentences)


def _item(
    raw_ref: Any,
    ref: dict[str, Any] | None,
    where: str,
    instances: Instances,
    text_field: TextField,
    tally: Tally,
    py2: Py2Text,
    read_parts: set[int],
) -> RefItem | tuple[str, str]:
    if ref is None:
        return "malformed", f"a {type(raw_ref).__name__}, not a dict"
    for key in ("ref_id", "ann_id", "image_id"):
        if not _is_id(ref.get(key)):
            return "malformed", f"{key} is {shown(ref.get(key))}, not an integer id"
    split = py2.text(ref.get("split"))
    if not split or len(split) > _MAX_SPLIT_CHARS:
        return "malformed", f"split is {shown(split)}"
    sentences = ref.get("sentences")
    if not isinstance(sentences, list):
        return "malformed", f"sentences is {type(sentences).__name__}, not a list"
    annotation = instances.annotations.get(ref["ann_id"])
    if annotation is None:
        return "unknown-ann-id", f"ann_id {ref['ann_id']} is not in instances.json"
    if annotation.image_id != ref["image_id"]:
        return (
            "annotation-on-another-image",
            f"ann_id {ref['ann_id']} is on image {annotation.image_id}, "
            f"the ref says {ref['image_id']}",
        )
    if annotation.xywh_px is None:
        return "annotation-without-box", f"ann_id {ref['ann_id']}"
    image = instances.images.get(ref["image_id"])
    if image is None:
        return "unknown-image-id", f"image_id {ref['image_id']} is not in instances.json"
    parsed: list[RefSentence] = []
    for position, raw_sentence in enumerate(sentences):
        if id(raw_sentence) in read_parts:
            tally.skip(SENTENCE, "repeated-object", f"{where} sentence #{position}")
            continue
        if isinstance(raw_sentence, dict):
            read_parts.add(id(raw_sentence))
        sentence = py2.fields(raw_sentence)
        text = py2.text(sentence.get(text_field)) if sentence is not None else None
        if sentence is None or text is None:
            tally.skip(SENTENCE, "malformed", f"{where} sentence #{position}")
            continue
        sent_id = sentence.get("sent_id")
        parsed.append(RefSentence(text, sent_id if _is_id(sent_id) else None))
    return RefItem(
        key=f"r{ref['ref_id']}",
        where=where,
        split=split,
        image_file=image.file_name,
        box_px=annotation.xywh_px,
        box_format="xywh",
        width_px=image.width_px,
        height_px=image.height_px,
        sentences=tuple(parsed),
    )


def box_of(value: Any) -> tuple[float, float, float, float] | None:
    """Four finite numbers, or ``None``."""
    if not isinstance(value, list | tuple) or len(value) != 4:
        return None
    x, y, w, h = (finite_float(v) for v in value)
    if x is None or y is None or w is None or h is None:
        return None
    return (x, y, w, h)


def finite_float(value: Any) -> float | None:
    """``value`` as a finite float, or ``None`` (not a number, or too large for a float)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond 1e308
        return None
    return number if math.isfinite(number) else None


def _size(value: Any) -> float | None:
    number = finite_float(value)
    return number if number is not None and number > 0 else None


def _is_id(value: Any) -> TypeGuard[int]:
    """An integer id of at most 64 bits (COCO's and refer's ids are far smaller)."""
    # type() rather than isinstance(): bool is an int, and unpickled ints are exact ints.
    return type(value) is int and -_ID_LIMIT <= value < _ID_LIMIT
