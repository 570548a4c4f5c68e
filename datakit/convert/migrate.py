"""Data of one Qwen-VL family model and layout rewritten for another, boxes rescaled.

Each record is read with the layouts' readers (``datakit.family.layouts``) into a neutral
``Sample`` and written with the target's writer. Boxes move between scales exactly: a box not
already in the target's space is taken to the stored picture's pixels first (unrounded; a
Qwen2.5-VL box through the source's resize), then put on the target's scale with its rounding.
That needs the stored size of each picture a box is on, read from the image file's header
under the image root: a picture that cannot be read skips its record (tallied, never guessed).
Records without boxes, and boxes already in the target's space (Qwen-VL, Qwen2-VL and Qwen3-VL
share the 0..1000 grid), need no picture.

The source model is ``source_model`` or what the file's markup says (``choose_source``):
Qwen2.5-VL and Qwen3-VL both write ``bbox_2d``, and only a coordinate above 1000 tells
Qwen2.5-VL's pixels apart, so a file that shows none needs the model named.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datakit.convert.image_files import ImageProblem, SizeReader
from datakit.convert.progress import Progress, reported
from datakit.convert.tally import Tally
from datakit.convert.targets import LAYOUT_FRAMEWORK, Target
from datakit.errors import ConfigError, InputError
from datakit.family.profiles import FRAMEWORKS, MODELS, Layout, ModelName
from datakit.family.sample import Box, Grounded, Part, Sample, Turn
from datakit.family.spaces import PictureSizes, to_source_px
from datakit.family.vision import ImageTooSmall, ResizeRule, resize_rule, resized_size_px
from datakit.shown import shown

RECORD = "record"
# Skip reasons that point at faulty input (the command exits 1 when one occurs).
PROBLEM_REASONS = frozenset({
    "invalid-json", "not-an-object", "record-too-large", "unknown-layout", "malformed",
    "file-missing", "unreadable", "unsafe-path", "image-too-small", "cannot-write",
})


@dataclass(frozen=True)
class MigrateOptions:
    target: Target
    # None: from the file's markup (choose_source)
    source_model: ModelName | None = None
    # None: per record, from its keys (datakit.family.layouts.detect)
    source_layout: Layout | None = None
    # A Qwen2.5-VL source's resize bounds (None: its framework's defaults)
    source_min_pixels: int | None = None
    source_max_pixels: int | None = None


def read_values(path: Path, display_name: str | None = None) -> Iterator[tuple[str, Any]]:
    """(where, parsed value or a ``_Bad``) of every record of a JSON array or JSON Lines file,
    named ``display_name`` in ``where``; an ``InputError`` when the file cannot be read on."""
    from datakit.io.parse import parse_record
    from datakit.io.reader import iter_records
    from datakit.io.records import FileProblem

    for item in iter_records(path, display_name=display_name):
        if isinstance(item, FileProblem):
            where = item.file if item.line is None else f"{item.file}:{item.line}"
            if item.fatal:
                raise InputError(f"{where}: {item.message}", fix=item.fix)
            yield where, _Bad(item.kind, item.message)
            continue
        where = f"{item.file}:{item.line}" if item.line is not None else \
            f"{item.file} record {item.index}"
        parsed = parse_record(item)
        if parsed.error is not None:
            yield where, _Bad("invalid-json", parsed.error)
        else:
            yield where, parsed.value


@dataclass(frozen=True, slots=True)
class _Bad:
    reason: str
    message: str


def choose_source(values: Iterable[tuple[str, Any]], given: ModelName | None) -> ModelName:
    """The model the file was written for: ``given``, or the one its markup shows."""
    if given is not None:
        return given
    from datakit.family.layouts import detect

    found: dict[str, str] = {}
    ambiguous = False
    for where, value in values:
        if not isinstance(value, dict):
            continue
        detection = detect(value)
        if detection.model is not None:
            found.setdefault(detection.model, where)
        elif "bbox_2d" in detection.why:
            ambiguous = True
    # One coordinate above 1000 settles a file of bbox_2d boxes as Qwen2.5-VL's.
    models = set(found)
    if len(models) > 1:
        listed = ", ".join(f"{m} ({found[m]})" for m in sorted(models))
        raise ConfigError(f"the file mixes the markups of several models: {listed}",
                          fix="convert one model's data at a time, or name it with --from")
    if models:
        return models.pop()  # type: ignore[return-value]
    if ambiguous:
        raise ConfigError(
            "the boxes are bbox_2d JSON, which Qwen2.5-VL (pixels) and Qwen3-VL (0..1000) both "
            "write, and no coordinate above 1000 tells which",
            fix="name the source with --from qwen2.5-vl or --from qwen3-vl")
    return "qwen2-vl"  # no box markup: every family model reads the texts alike


class Migration:
    """Converts records one at a time and tallies each as used or skipped with a reason."""

    def __init__(self, options: MigrateOptions, source_model: ModelName, tally: Tally,
                 read_size: SizeReader) -> None:
        self.options = options
        self.target = options.target
        self.source = MODELS[source_model]
        self.tally = tally
        self.read_size = read_size
        self._sizes: dict[str, PictureSizes | ImageProblem | str] = {}

    def records(self, values: Iterable[tuple[str, Any]],
                progress: Progress | None = None) -> Iterator[dict[str, Any]]:
        """The rewritten records; ``progress(records read, None)`` now and then."""
        for where, value in reported(values, progress):
            self.tally.see(RECORD)
            out = self._one(where, value)
            if out is not None:
                self.tally.use(RECORD)
                yield out

    def skip(self, reason: str, where: str, detail: str) -> None:
        self.tally.skip(RECORD, reason, f"{where}: {detail}")

    def _one(self, where: str, value: Any) -> dict[str, Any] | None:
        from datakit.family.layouts import WriteError, detect, read_record, write_record

        if isinstance(value, _Bad):
            self.skip(value.reason, where, value.message)
            return None
        if not isinstance(value, dict):
            self.skip("not-an-object", where, f"is {type(value).__name__}, not an object")
            return None
        layout = self.options.source_layout or detect(value).layout
        if layout is None:
            self.skip("unknown-layout", where, detect(value).why)
            return None
        result = read_record(value, self.source, layout)
        if result.problems:
            first = result.problems[0]
            field = f" ({first.field})" if getattr(first, "field", None) else ""
            self.skip("malformed", where, f"{first.kind}{field}: {first.message}")
            return None
        sample = self._pixels(where, result.sample, layout)
        if sample is None:
            return None
        try:
            return write_record(sample, self.target.model, self.target.layout,
                                [self._target_sizes(image.size_px) for image in sample.images])
        except WriteError as exc:
            self.skip("cannot-write", where, str(exc))
            return None

    def _target_sizes(self, size_px: tuple[int, int] | None) -> PictureSizes | None:
        return None if size_px is None else self.target.sizes(size_px)

    def _pixels(self, where: str, sample: Sample, layout: Layout) -> Sample | None:
        """The sample with pictures sized and boxes in stored pixels where the target's
        space differs; None when a picture cannot be read or a box collapses."""
        space = self.target.model.box_space
        # Qwen2.5-VL pixels stay as they are only when both sides resize alike.
        same_resize = space != "resized_px" or self._source_rule(layout) == self.target.resize
        keep = space if same_resize else None
        needed = sorted({box.image for box in sample.boxes() if box.space != keep})
        if not needed:
            return sample
        images = list(sample.images)
        source_sizes: dict[int, PictureSizes] = {}
        for index in needed:
            if index >= len(images):
                self.skip("malformed", where, f"a box is on picture {index + 1}, but the "
                          f"record has {len(images)}")
                return None
            found = self._source_sizes(images[index].path, layout)
            if isinstance(found, ImageProblem):
                self.skip(found.reason, where, found.detail)
                return None
            if isinstance(found, str):
                self.skip("image-too-small", where, f"{shown(images[index].path)}: {found}")
                return None
            source_sizes[index] = found
            images[index] = images[index].with_size(found.source_px)
            try:
                self.target.sizes(found.source_px)
            except ImageTooSmall as exc:
                self.skip("image-too-small", where, f"{shown(images[index].path)}: {exc}")
                return None

        def to_px(box: Box) -> Box:
            if box.space == keep:
                return box
            return Box(to_source_px(box, source_sizes[box.image]), "source_px", box.image)

        turns = []
        for turn in sample.turns:
            parts: list[Part] = []
            for part in turn.parts:
                if isinstance(part, Grounded) and part.boxes:
                    boxes = tuple(to_px(b) for b in part.boxes)
                    for box in boxes:
                        if box.space == "source_px" and _beyond(box, images):
                            # put on the picture's edge by the target's rounding: said, as
                            # convert coco says it
                            self.tally.note("box-clipped", f"{where}: a box of {part.label!r} "
                                            f"reaches past its {_size(images[box.image])} "
                                            "picture")
                        if box.space == "source_px" and not self._has_area(box, images):
                            self.skip(f"degenerate-{self.target.empty_reason}", where,
                                      f"a box of {part.label!r} has no area on "
                                      f"{self.target.model.title}'s scale")
                            return None
                    part = Grounded(part.label, boxes)
                parts.append(part)
            turns.append(Turn(turn.role, tuple(parts)))
        return Sample(tuple(turns), tuple(images), sample.id, sample.extra)

    def _has_area(self, box: Box, images: list[Any]) -> bool:
        size = images[box.image].size_px
        if box.is_point:
            return True
        return self.target.place(box.coords, self.target.sizes(size)) is not None

    def _source_sizes(self, path: str, layout: Layout) -> PictureSizes | ImageProblem | str:
        cached = self._sizes.get(path)
        if cached is not None:
            return cached
        found = self.read_size(path)
        result: PictureSizes | ImageProblem | str
        if isinstance(found, ImageProblem):
            result = found
        else:
            size = (found.width_px, found.height_px)
            rule = self._source_rule(layout)
            try:
                result = PictureSizes(size, None if rule is None else resized_size_px(size, rule))
            except ImageTooSmall as exc:
                result = str(exc)
        self._sizes[path] = result
        return result

    def _source_rule(self, layout: Layout) -> ResizeRule | None:
        if self.source.box_space != "resized_px":
            return None
        framework = FRAMEWORKS[LAYOUT_FRAMEWORK[layout]]
        return resize_rule(self.source, framework, min_pixels=self.options.source_min_pixels,
                           max_pixels=self.options.source_max_pixels)


def _beyond(box: Box, images: list[Any]) -> bool:
    """Whether a box in stored pixels reaches past its picture (beyond rounding noise)."""
    width, height = images[box.image].size_px
    return any(v < -0.5 or v > (width if i % 2 == 0 else height) + 0.5
               for i, v in enumerate(box.coords))


def _size(image: Any) -> str:
    width, height = image.size_px
    return f"{width}x{height}"


def has_problems(tally: Tally) -> bool:
    return any(
        count and reason in PROBLEM_REASONS
        for reasons in tally.skipped.values()
        for reason, count in reasons.items()
    )
