"""Per-image record building for the COCO converter (see ``datakit.convert.coco``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from datakit.convert.coco_index import (
    BoxRow,
    CaptionRow,
    CocoImage,
    CocoIndex,
    id_sort_key,
)
from datakit.convert.image_files import ImageProblem, ImageSize, SizeReader, unsafe_relative_path
from datakit.convert.prompts import SPECIAL_TEXT_RE, PromptPicker
from datakit.convert.tally import Tally
from datakit.qwenvl.boxes import xywh_px_to_grid
from datakit.qwenvl.grammar import grounding, picture

if TYPE_CHECKING:
    from datakit.convert.coco import CocoOptions

Record = dict[str, Any]
Grid = tuple[int, int, int, int]

# The model slices <img>...</img> so that a 255- or 256-byte path passes the tokenizer and
# then fails in the forward pass; 254 UTF-8 bytes is the longest path that trains.
MAX_PATH_BYTES = 254
_PROGRESS_EVERY = 4096


def iter_records(
    index: CocoIndex,
    options: CocoOptions,
    picker: PromptPicker,
    tally: Tally,
    read_size: SizeReader | None,
    progress: Callable[[int, int], None] | None,
) -> Iterator[Record]:
    image_ids = sorted(index.images, key=id_sort_key)
    check_paths = bool(options.path_prefix) or read_size is not None
    used_images = 0
    total = len(image_ids)
    for done, image_id in enumerate(image_ids, 1):
        if progress is not None and done % _PROGRESS_EVERY == 0:
            progress(done, total)
        image = index.images.pop(image_id)
        # popped, so memory shrinks as records are produced
        boxes = index.boxes_by_image.pop(image_id, [])
        captions = index.captions_by_image.pop(image_id, [])
        if options.limit is not None and used_images >= options.limit:
            _skip_image(tally, image, "beyond-limit", boxes, captions, "beyond-limit")
            continue
        if not boxes and not captions:
            tally.skip("image", "no-annotations", _label(image))
            continue
        path = _trainer_path(image, options.path_prefix, check_paths)
        size = path if isinstance(path, ImageProblem) else _size(image, read_size, options, tally)
        if isinstance(size, ImageProblem):
            _skip_image(tally, image, size.reason, boxes, captions, "image-skipped", size.detail)
            continue
        assert isinstance(path, str)
        records = list(
            _image_records(
                image, path, size, boxes, captions, index.name_order, options, picker, tally
            )
        )
        if not records:
            tally.skip("image", "nothing-usable", _label(image))
            continue
        used_images += 1
        tally.use("image")
        yield from records
    if progress is not None:
        progress(total, total)


def _label(image: CocoImage) -> str:
    return f"{image.where} ({image.file_name})"


def _skip_image(
    tally: Tally,
    image: CocoImage,
    reason: str,
    boxes: Sequence[BoxRow],
    captions: Sequence[CaptionRow],
    annotation_reason: str,
    detail: str | None = None,
) -> None:
    tally.skip("image", reason, detail or _label(image))
    if boxes:
        tally.skip("annotation", annotation_reason, n=len(boxes))
    if captions:
        tally.skip("caption", annotation_reason, n=len(captions))


def _trainer_path(image: CocoImage, prefix: str, check: bool) -> str | ImageProblem:
    file_name = image.file_name
    unsafe = unsafe_relative_path(file_name) if check else None
    if unsafe is not None:
        return ImageProblem("unsafe-path", f"{_label(image)}: file_name {unsafe}")
    if prefix:
        path = prefix + file_name if prefix.endswith("/") else f"{prefix}/{file_name}"
    else:
        path = file_name
    special = SPECIAL_TEXT_RE.search(path)
    if special is not None:
        return ImageProblem(
            "path-has-tag", f"{_label(image)}: the path contains {special.group(0)}"
        )
    size = len(path.encode("utf-8"))
    if size > MAX_PATH_BYTES:
        return ImageProblem(
            "path-too-long",
            f"{_label(image)}: {path!r} is {size} UTF-8 bytes (at most {MAX_PATH_BYTES})",
        )
    return path


def _size(
    image: CocoImage, read_size: SizeReader | None, options: CocoOptions, tally: Tally
) -> tuple[float, float] | ImageProblem:
    width, height = image.width_px, image.height_px
    if read_size is None:
        if width is None or height is None:
            return ImageProblem(
                "size-missing",
                f"{_label(image)}: {image.size_problem}; "
                "pass --image-root to read the size from the file",
            )
        return width, height
    found = read_size(image.file_name)
    if isinstance(found, ImageProblem):
        return found
    assert isinstance(found, ImageSize)
    from_file = (float(found.width_px), float(found.height_px))
    if width is None or height is None:
        tally.note("size-from-file", f"{_label(image)}: {image.size_problem}")
        return from_file
    if (width, height) == from_file:
        return width, height
    detail = (
        f"{_label(image)}: the annotation says {width:g}x{height:g}, "
        f"the file is {found.width_px}x{found.height_px}"
    )
    if options.size_mismatch == "skip":
        return ImageProblem("size-disagrees", detail)
    tally.note("size-disagrees", detail)
    return from_file if options.size_mismatch == "file" else (width, height)


def _grid_groups(
    image: CocoImage,
    size: tuple[float, float],
    boxes: Sequence[BoxRow],
    name_order: dict[str, int],
    options: CocoOptions,
    tally: Tally,
) -> list[tuple[str, list[Grid]]]:
    width, height = size
    groups: dict[str, list[tuple[float, float, tuple[int, int, str], Grid]]] = {}
    for ann_id, name, x, y, w, h, crowd in boxes:
        if crowd and not options.include_crowd:
            tally.skip("annotation", "crowd")
            continue
        grid = xywh_px_to_grid((x, y, w, h), width, height, options.rounding)
        if grid.degenerate is not None or grid.xyxy_norm1000 is None:
            tally.skip(
                "annotation",
                f"degenerate-{grid.degenerate}",
                f"{_label(image)}: annotation {ann_id} bbox [{x:g}, {y:g}, {w:g}, {h:g}] "
                f"on a {width:g}x{height:g} image",
            )
            continue
        if grid.clipped:
            tally.note(
                "box-clipped",
                f"{_label(image)}: annotation {ann_id} bbox [{x:g}, {y:g}, {w:g}, {h:g}] "
                f"leaves the {width:g}x{height:g} image",
            )
        groups.setdefault(name, []).append((y, x, id_sort_key(ann_id), grid.xyxy_norm1000))
    out = []
    for name in sorted(groups, key=name_order.__getitem__):
        rows = sorted(groups[name])
        if options.max_boxes is not None and len(rows) > options.max_boxes:
            tally.skip("annotation", "over-max-boxes", n=len(rows) - options.max_boxes)
            rows = rows[: options.max_boxes]
        tally.use("annotation", len(rows))
        out.append((name, [row[3] for row in rows]))
    return out


def _image_records(
    image: CocoImage,
    path: str,
    size: tuple[float, float],
    boxes: Sequence[BoxRow],
    captions: Sequence[CaptionRow],
    name_order: dict[str, int],
    options: CocoOptions,
    picker: PromptPicker,
    tally: Tally,
) -> Iterator[Record]:
    base = f"coco-{options.split}-{image.image_id}" if options.split else f"coco-{image.image_id}"
    prefix = picture(1, path)
    tasks = options.tasks
    if boxes:
        groups = _grid_groups(image, size, boxes, name_order, options, tally)
        if "grounding" in tasks:
            for n, (name, grids) in enumerate(groups, 1):
                record_id = f"{base}-grounding-{n}"
                question = picker.render("grounding", record_id, category=name)
                yield _record(record_id, [prefix + question, grounding(name, grids)])
        if "detection" in tasks and groups:
            record_id = f"{base}-detection"
            answer = "".join(grounding(name, grids) for name, grids in groups)
            yield _record(record_id, [prefix + picker.render("detection", record_id), answer])
    if captions:
        ordered = sorted(captions, key=lambda row: id_sort_key(row[0]))
        tally.use("caption", len(ordered))
        if options.caption_mode == "turns":
            record_id = f"{base}-caption"
            values = [prefix + picker.render("caption", record_id), ordered[0][1]]
            for turn, (_, text) in enumerate(ordered[1:], 2):
                values += [picker.render("caption.followup", f"{record_id}#{turn}"), text]
            yield _record(record_id, values)
        else:
            for n, (_, text) in enumerate(ordered, 1):
                record_id = f"{base}-caption-{n}"
                yield _record(record_id, [prefix + picker.render("caption", record_id), text])


def _record(record_id: str, values: list[str]) -> Record:
    roles = ("user", "assistant")
    return {
        "id": record_id,
        "conversations": [{"from": roles[i % 2], "value": v} for i, v in enumerate(values)],
    }
