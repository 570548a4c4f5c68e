"""Per-image record building for the COCO converter (see ``datakit.convert.coco``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from datakit.convert.coco_images import image_label, resolve_size, trainer_path
from datakit.convert.coco_index import (
    AnnotationId,
    BoxRow,
    CaptionRow,
    CocoImage,
    CocoIndex,
    ImageId,
    id_sort_key,
)
from datakit.convert.coco_negatives import (
    Negative,
    negative_records,
    skip_negatives,
    take_negatives,
)
from datakit.convert.grid_batch import DEGENERATE_NAMES, xywh_px_to_grid_batch
from datakit.convert.image_files import ImageProblem, SizeReader
from datakit.convert.prompts import PromptPicker
from datakit.convert.tally import Tally
from datakit.qwenvl.grammar import grounding, picture

if TYPE_CHECKING:
    from datakit.convert.coco_options import CocoOptions

Record = dict[str, Any]
Grid = tuple[int, int, int, int]

_CHUNK_IMAGES = 4096


def iter_records(
    index: CocoIndex,
    options: CocoOptions,
    picker: PromptPicker,
    tally: Tally,
    read_size: SizeReader | None,
    progress: Callable[[int, int], None] | None,
) -> Iterator[Record]:
    """Images in id order, a chunk at a time: each image's path and size, then every box of
    the chunk on the grid at once, then the records. A chunk never holds more images than
    ``limit`` still allows, so no image past the limit is sized or noted."""
    image_ids = sorted(index.images, key=id_sort_key)
    check_paths = bool(options.path_prefix) or read_size is not None
    used_images = 0
    done = 0
    total = len(image_ids)
    while done < total:
        room = _CHUNK_IMAGES if options.limit is None else options.limit - used_images
        if room <= 0:
            for image_id in image_ids[done:]:
                image = index.images.pop(image_id)
                boxes = index.boxes_by_image.pop(image_id, [])
                captions = index.captions_by_image.pop(image_id, [])
                _skip_image(tally, image, "beyond-limit", boxes, captions, "beyond-limit")
                negatives = take_negatives(index, image_id, options, tally, image_label(image))
                skip_negatives(tally, negatives, "beyond-limit")
            break
        chunk = image_ids[done : done + min(room, _CHUNK_IMAGES)]
        done += len(chunk)
        ready = [
            item
            for item in (
                _prepare(index, image_id, options, read_size, check_paths, tally)
                for image_id in chunk
            )
            if item is not None
        ]
        grids = _chunk_grids(ready, options)
        for item, image_grids in zip(ready, grids, strict=True):
            records = list(
                _image_records(item, image_grids, index.name_order, options, picker, tally)
            )
            if records:
                used_images += 1
                tally.use("image")
                yield from records
            else:
                tally.skip("image", "nothing-usable", image_label(item.image))
        if progress is not None:
            progress(done, total)


@dataclass(frozen=True, slots=True)
class _Ready:
    """An image with a usable path and size, and what is filed under it."""

    image: CocoImage
    path: str
    size: tuple[float, float]
    boxes: list[BoxRow]
    captions: list[CaptionRow]
    negatives: list[Negative]


def _prepare(
    index: CocoIndex,
    image_id: ImageId,
    options: CocoOptions,
    read_size: SizeReader | None,
    check_paths: bool,
    tally: Tally,
) -> _Ready | None:
    # popped, so memory shrinks as records are produced
    image = index.images.pop(image_id)
    boxes = index.boxes_by_image.pop(image_id, [])
    captions = index.captions_by_image.pop(image_id, [])
    negatives = (
        take_negatives(index, image_id, options, tally, image_label(image))
        if index.negative_ids
        else []
    )
    if not boxes and not captions and not negatives:
        tally.skip("image", "no-annotations", image_label(image))
        return None
    path = trainer_path(image, options.path_prefix, check_paths)
    size = (
        path if isinstance(path, ImageProblem) else resolve_size(image, read_size, options, tally)
    )
    if isinstance(size, ImageProblem):
        _skip_image(tally, image, size.reason, boxes, captions, "image-skipped", size.detail)
        skip_negatives(tally, negatives, "image-skipped")
        return None
    assert isinstance(path, str)
    return _Ready(image, path, size, boxes, captions, negatives)


# Per image: (xyxy_norm1000, clipped, degenerate code) of each of its boxes, in filing order.
_ImageGrids = list[tuple[Grid, bool, int]]


def _chunk_grids(ready: list[_Ready], options: CocoOptions) -> list[_ImageGrids]:
    import numpy as np

    counts = [len(item.boxes) for item in ready]
    total = sum(counts)
    if not total:
        return [[] for _ in ready]
    xywh = np.fromiter(
        (v for item in ready for row in item.boxes for v in row[2:6]), np.float64, 4 * total
    )
    sizes = np.repeat(np.array([item.size for item in ready], dtype=np.float64), counts, axis=0)
    batch = xywh_px_to_grid_batch(xywh.reshape(-1, 4), sizes, options.rounding)
    flat = list(
        zip(
            map(tuple, batch.xyxy_norm1000.tolist()),
            batch.clipped.tolist(),
            batch.degenerate.tolist(),
            strict=True,
        )
    )
    out: list[_ImageGrids] = []
    start = 0
    for count in counts:
        out.append(flat[start : start + count])
        start += count
    return out


def _skip_image(
    tally: Tally,
    image: CocoImage,
    reason: str,
    boxes: Sequence[BoxRow],
    captions: Sequence[CaptionRow],
    annotation_reason: str,
    detail: str | None = None,
) -> None:
    tally.skip("image", reason, detail or image_label(image))
    if boxes:
        tally.skip("annotation", annotation_reason, n=len(boxes))
    if captions:
        tally.skip("caption", annotation_reason, n=len(captions))


def _grid_groups(
    item: _Ready,
    grids: _ImageGrids,
    name_order: dict[str, tuple[int, int, str]],
    options: CocoOptions,
    tally: Tally,
) -> list[tuple[str, list[Grid]]]:
    """The image's kept boxes per category name, in ``name_order``, each list ordered top to
    bottom, left to right (source y, x, then annotation id) and cut to ``max_boxes``."""
    groups: dict[str, list[tuple[float, float, tuple[int, Any, Any], Grid]]] = {}
    for (ann_id, name, x, y, w, h, crowd), (grid, clipped, degenerate) in zip(
        item.boxes, grids, strict=True
    ):
        # an empty box is unusable whatever the options, so that reason wins over crowd
        # (and the advice for an empty output never says --include-crowd in vain)
        if degenerate:
            tally.skip(
                "annotation",
                f"degenerate-{DEGENERATE_NAMES[degenerate]}",
                _box_label(item, ann_id, (x, y, w, h)),
            )
            continue
        if crowd and not options.include_crowd:
            skip_crowd(item, ann_id, tally)
            continue
        if clipped:
            tally.note("box-clipped", _box_label(item, ann_id, (x, y, w, h)))
        # id_sort_key, inlined: this loop runs once per annotation
        id_key: tuple[int, Any, Any] = (0, ann_id, "") if type(ann_id) is int else (1, 0, ann_id)
        groups.setdefault(name, []).append((y, x, id_key, grid))
    return [(name, [row[3] for row in rows])
            for name, rows in ordered_groups(groups, name_order, options, tally)]


def skip_crowd(item: _Ready, ann_id: AnnotationId, tally: Tally) -> None:
    tally.skip(
        "annotation",
        "crowd",
        f"{image_label(item.image)}: annotation {ann_id} is a crowd region (iscrowd 1)",
    )


Row = TypeVar("Row", bound=tuple[Any, ...])


def ordered_groups(
    groups: dict[str, list[Row]],
    name_order: dict[str, tuple[int, int, str]],
    options: CocoOptions,
    tally: Tally,
    key: Callable[[Row], Any] | None = None,
) -> Iterator[tuple[str, list[Row]]]:
    """Each category's rows (source y, x, id key, box) in ``name_order``, sorted top to bottom,
    left to right and cut to ``max_boxes``; the boxes kept and cut are tallied."""
    for name in sorted(groups, key=name_order.__getitem__):
        rows = sorted(groups[name], key=key)
        if options.max_boxes is not None and len(rows) > options.max_boxes:
            tally.skip("annotation", "over-max-boxes", n=len(rows) - options.max_boxes)
            rows = rows[: options.max_boxes]
        tally.use("annotation", len(rows))
        yield name, rows


def caption_values(
    ordered: Sequence[tuple[Any, str]], base: str, options: CocoOptions, picker: PromptPicker
) -> Iterator[tuple[str, list[str]]]:
    """(record id, [question, caption, follow-up, caption, ...]) of the image's captions: one
    record of turns, or one record per caption, as ``caption_mode`` says."""
    if options.caption_mode == "turns":
        record_id = f"{base}-caption"
        language = picker.language(record_id)
        values = [picker.render("caption", record_id, language), ordered[0][1]]
        for turn, (_, text) in enumerate(ordered[1:], 2):
            followup = picker.render("caption.followup", f"{record_id}#{turn}", language)
            values += [followup, text]
        yield record_id, values
    else:
        for n, (_, text) in enumerate(ordered, 1):
            record_id = f"{base}-caption-{n}"
            yield record_id, [picker.render("caption", record_id), text]


def _box_label(item: _Ready, ann_id: AnnotationId, xywh: tuple[float, ...]) -> str:
    x, y, w, h = xywh
    width, height = item.size
    return (
        f"{image_label(item.image)}: annotation {ann_id} bbox [{x:g}, {y:g}, {w:g}, {h:g}] "
        f"on a {width:g}x{height:g} image"
    )


def _image_records(
    item: _Ready,
    grids: _ImageGrids,
    name_order: dict[str, tuple[int, int, str]],
    options: CocoOptions,
    picker: PromptPicker,
    tally: Tally,
) -> Iterator[Record]:
    image = item.image
    base = f"coco-{options.split}-{image.image_id}" if options.split else f"coco-{image.image_id}"
    prefix = picture(1, item.path)
    tasks = options.tasks
    if item.boxes:
        groups = _grid_groups(item, grids, name_order, options, tally)
        answers = [grounding(name, boxes) for name, boxes in groups]
        if "grounding" in tasks:
            for n, ((name, _), answer) in enumerate(zip(groups, answers, strict=True), 1):
                record_id = f"{base}-grounding-{n}"
                question = picker.render("grounding", record_id, category=name)
                yield _record(record_id, [prefix + question, answer])
        if "detection" in tasks and answers:
            record_id = f"{base}-detection"
            question = picker.render("detection", record_id)
            yield _record(record_id, [prefix + question, "".join(answers)])
    if item.negatives:
        with_boxes = {row[1] for row in item.boxes}
        yield from negative_records(item.negatives, with_boxes, base, prefix, picker, tally,
                                    image_label(image))
    if item.captions:
        ordered = sorted(item.captions, key=lambda row: id_sort_key(row[0]))
        tally.use("caption", len(ordered))
        for record_id, values in caption_values(ordered, base, options, picker):
            values[0] = prefix + values[0]
            yield _record(record_id, values)


def _record(record_id: str, values: list[str]) -> Record:
    if len(values) == 2:  # the common case, without the loop
        return {
            "id": record_id,
            "conversations": [
                {"from": "user", "value": values[0]},
                {"from": "assistant", "value": values[1]},
            ],
        }
    roles = ("user", "assistant")
    return {
        "id": record_id,
        "conversations": [{"from": roles[i % 2], "value": v} for i, v in enumerate(values)],
    }
