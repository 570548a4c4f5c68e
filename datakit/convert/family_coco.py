"""COCO records for a Qwen2-VL family target (see ``datakit.convert.coco`` for the tasks, ids
and order, which are the same).

Each image becomes neutral ``Sample``s whose boxes are the annotation's pixels cut to the
picture (exact floats, ``source_px``); the target's writer puts them on the model's scale. The
tally follows the Qwen-VL converter: crowd regions, boxes without area in pixels, ``max_boxes``,
clipping. A box is degenerate when it has no area on the target's scale (``empty-on-grid``
for the 0..1000 models, ``empty-in-resized-px`` for Qwen2.5-VL), and a picture the model's
processor refuses (after the framework's resize) is skipped as ``image-too-small``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from datakit.convert.coco_images import image_label
from datakit.convert.coco_index import CocoIndex, id_sort_key
from datakit.convert.coco_records import (
    _box_label,
    _prepare,
    _Ready,
    _skip_image,
    caption_values,
    ordered_groups,
    skip_crowd,
)
from datakit.convert.family_prompts import FAMILY_SPECIAL_TEXT_RE
from datakit.convert.image_files import SizeReader
from datakit.convert.prompts import PromptPicker
from datakit.convert.tally import Tally
from datakit.convert.targets import Target, integer_size
from datakit.family.sample import Box, Grounded, Part, Sample, Text, Turn
from datakit.family.sample import Image as Picture
from datakit.family.spaces import PictureSizes
from datakit.family.vision import ImageTooSmall
from datakit.qwenvl.boxes import xywh_px_to_grid

if TYPE_CHECKING:
    from datakit.convert.coco import CocoOptions

# (record id, sample, sizes of its one picture)
Built = tuple[str, Sample, PictureSizes]
_PROGRESS_EVERY = 4096


def iter_samples(
    index: CocoIndex,
    options: CocoOptions,
    picker: PromptPicker,
    tally: Tally,
    read_size: SizeReader | None,
    progress: Callable[[int, int], None] | None,
    target: Target,
) -> Iterator[Built]:
    """Images in id order, one at a time; no image past ``limit`` is sized or noted."""
    image_ids = sorted(index.images, key=id_sort_key)
    check_paths = bool(options.path_prefix) or read_size is not None
    used_images = 0
    total = len(image_ids)
    for done, image_id in enumerate(image_ids, 1):
        if options.limit is not None and used_images >= options.limit:
            for rest in image_ids[done - 1 :]:
                image = index.images.pop(rest)
                boxes = index.boxes_by_image.pop(rest, [])
                captions = index.captions_by_image.pop(rest, [])
                _skip_image(tally, image, "beyond-limit", boxes, captions, "beyond-limit")
            break
        item = _prepare(index, image_id, options, read_size, check_paths, tally)
        if item is not None:
            built = _image_samples(item, index.name_order, options, picker, tally, target)
            if built is None:
                pass
            elif built:
                used_images += 1
                tally.use("image")
                yield from built
            else:
                tally.skip("image", "nothing-usable", image_label(item.image))
        if progress is not None and (done % _PROGRESS_EVERY == 0 or done == total):
            progress(done, total)


def _image_samples(
    item: _Ready,
    name_order: dict[str, tuple[int, int, str]],
    options: CocoOptions,
    picker: PromptPicker,
    tally: Tally,
    target: Target,
) -> list[Built] | None:
    """The image's samples, or None when the image itself was skipped."""
    image = item.image
    source_px = integer_size(*item.size)
    try:
        sizes = target.sizes(source_px)
    except ImageTooSmall as exc:
        detail = f"{image_label(image)}: {exc}; {target.model.title}'s processor refuses it"
        _skip_image(tally, image, "image-too-small", item.boxes, item.captions, "image-skipped",
                    detail)
        return None
    base = f"coco-{options.split}-{image.image_id}" if options.split else f"coco-{image.image_id}"
    picture = (Picture(item.path, source_px),)
    tasks = options.tasks
    out: list[Built] = []

    def add(record_id: str, values: list[str | tuple[Part, ...]]) -> None:
        turns = []
        for n, value in enumerate(values):
            parts: tuple[Part, ...] = (Text(value),) if isinstance(value, str) else value
            if n == 0:
                parts = target.opening(parts)
            turns.append(Turn("user" if n % 2 == 0 else "assistant", parts))
        out.append((record_id, Sample(tuple(turns), picture, record_id), sizes))

    if item.boxes:
        groups = _groups(item, sizes, name_order, options, tally, target)
        if "grounding" in tasks:
            for n, group in enumerate(groups, 1):
                record_id = f"{base}-grounding-{n}"
                question = picker.render("grounding", record_id, category=group.label or "")
                add(record_id, [question, (group,)])
        if "detection" in tasks and groups:
            record_id = f"{base}-detection"
            add(record_id, [picker.render("detection", record_id), tuple(groups)])
    ordered = sorted(_clean_captions(item, tally), key=lambda row: id_sort_key(row[0]))
    if ordered:
        tally.use("caption", len(ordered))
        for record_id, values in caption_values(ordered, base, options, picker):
            add(record_id, list(values))
    return out


def _clean_captions(item: _Ready, tally: Tally) -> list[tuple[Any, str]]:
    kept = []
    for ann_id, text in item.captions:
        special = FAMILY_SPECIAL_TEXT_RE.search(text) if "<" in text else None
        if special is not None:
            tally.skip("caption", "caption-has-tag",
                       f"{image_label(item.image)}: caption {ann_id} contains {special.group(0)}")
            continue
        kept.append((ann_id, text))
    return kept


def _groups(
    item: _Ready,
    sizes: PictureSizes,
    name_order: dict[str, tuple[int, int, str]],
    options: CocoOptions,
    tally: Tally,
    target: Target,
) -> list[Grounded]:
    """The image's kept boxes per category, ordered and cut as the Qwen-VL converter does."""
    width, height = item.size
    groups: dict[str, list[tuple[float, float, tuple[int, Any, Any], Box]]] = {}
    for ann_id, name, x, y, w, h, crowd in item.boxes:
        if "<" in name and FAMILY_SPECIAL_TEXT_RE.search(name):
            tally.skip("annotation", "name-has-tag",
                       f"{image_label(item.image)}: annotation {ann_id}: category {name!r} "
                       "holds text the target's layout reads as structure")
            continue
        # The Qwen-VL rules judge the box in pixels (and cut it to the picture) ...
        grid = xywh_px_to_grid((x, y, w, h), width, height)
        degenerate = grid.degenerate if grid.degenerate != "empty-on-grid" else None
        # ... and the target's scale judges what is left.
        if degenerate is None and (
            grid.xyxy_px_clipped is None or target.place(grid.xyxy_px_clipped, sizes) is None
        ):
            degenerate = target.empty_reason
        if degenerate is not None or grid.xyxy_px_clipped is None:
            tally.skip("annotation", f"degenerate-{degenerate}",
                       _box_label(item, ann_id, (x, y, w, h)))
            continue
        if crowd and not options.include_crowd:
            skip_crowd(item, ann_id, tally)
            continue
        if grid.clipped:
            tally.note("box-clipped", _box_label(item, ann_id, (x, y, w, h)))
        id_key: tuple[int, Any, Any] = (0, ann_id, "") if type(ann_id) is int else (1, 0, ann_id)
        box = Box(grid.xyxy_px_clipped, "source_px", 0)
        groups.setdefault(name, []).append((y, x, id_key, box))
    # Boxes do not order: rows sort on (y, x, id key) alone.
    rows_of = ordered_groups(groups, name_order, options, tally, key=lambda row: row[:3])
    return [Grounded(name, tuple(row[3] for row in rows)) for name, rows in rows_of]


def convert_coco_family(
    instances: Any,
    captions: Any,
    options: CocoOptions,
    target: Target,
    *,
    read_size: SizeReader | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Iterator[tuple[str, dict[str, Any]]], Tally]:
    """``convert_coco`` for ``target``: (record id, record in the target's layout) pairs, and
    the tally (complete once the records are consumed)."""
    from datakit.convert.coco import index_coco
    from datakit.convert.family_prompts import check_family_templates, coco_builtin

    if options.prompts is not None:
        check_family_templates(options.prompts)
    index, picker, tally = index_coco(instances, captions, options, coco_builtin(target.model))
    samples = iter_samples(index, options, picker, tally, read_size, progress, target)
    records = ((rid, target.write(sample, (sizes,))) for rid, sample, sizes in samples)
    return records, tally
