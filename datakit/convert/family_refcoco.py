"""RefCOCO records for a Qwen2-VL family target (see ``datakit.convert.refcoco`` for the
tasks, grouping, ids and tally, which are the same).

The Qwen-VL converter's steps run unchanged (split selection, paths, sizes, expressions); what
differs is the box and the record. A ref's box is its pixels cut to the picture (exact floats,
``source_px``), judged degenerate on the target's scale (``box-empty-on-grid`` for the 0..1000
models, ``box-empty-in-resized-px`` for Qwen2.5-VL); a picture whose resized size the
processor refuses skips its refs as ``image-too-small``. Each sample is written by the
target's layout writer.

In a question, ``{ref}`` is the expression as a ref (Qwen2-VL's ``<|object_ref_start|>``
tags; plain text for the JSON-box models), ``{expression}`` the bare text and ``{box}`` the
box in the model's markup.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from datakit.convert.family_prompts import FAMILY_SPECIAL_TEXT_RE, template_parts
from datakit.convert.progress import Progress, reported
from datakit.convert.refcoco import (
    RefcocoOptions,
    RefcocoResult,
    RefItem,
    SizeReader,
    Task,
    _Converter,
)
from datakit.convert.tally import Tally
from datakit.convert.targets import Target, integer_size
from datakit.family.sample import Box, Grounded, Part, Sample, Text, Turn
from datakit.family.sample import Image as Picture
from datakit.family.spaces import PictureSizes
from datakit.family.vision import ImageTooSmall
from datakit.qwenvl.boxes import GridBox


def convert_refs_family(
    items: Iterable[RefItem],
    options: RefcocoOptions,
    target: Target,
    tally: Tally | None = None,
    size_reader: SizeReader | None = None,
    progress: Progress | None = None,
) -> tuple[RefcocoResult, dict[str, int]]:
    """``convert_refs`` for ``target``: records in the target's layout, and how many of them
    each task made (the layouts need not keep record ids)."""
    tally = tally if tally is not None else Tally()
    converter = _FamilyConverter(options, tally, size_reader, target)
    for item in reported(items, progress):
        converter.add(item)
    result = RefcocoResult(
        converter.records,
        tally,
        sorted(converter.holdout),
        dict(sorted(converter.refs_by_split.items())),
    )
    return result, dict(sorted(converter.by_task.items()))


class _FamilyConverter(_Converter):
    special_text = FAMILY_SPECIAL_TEXT_RE

    def __init__(self, options: RefcocoOptions, tally: Tally, size_reader: SizeReader | None,
                 target: Target) -> None:
        super().__init__(options, tally, size_reader)
        self.target = target
        self.by_task: Counter[str] = Counter()
        # The ref being converted: its sizes (from _size) and box (from _grid), for _emit.
        self._sizes_now = PictureSizes((0, 0))
        self._box_now: tuple[float, ...] = ()

    def _size(self, item: RefItem) -> tuple[float, float] | str:
        size = super()._size(item)
        if isinstance(size, str):
            return size
        try:
            self._sizes_now = self.target.sizes(integer_size(*size))
        except ImageTooSmall:
            return "image-too-small"
        return size

    def _grid(self, item: RefItem, width: float, height: float) -> GridBox:
        grid = super()._grid(item, width, height)
        if grid.degenerate not in (None, "empty-on-grid") or grid.xyxy_px_clipped is None:
            return grid
        if self.target.place(grid.xyxy_px_clipped, self._sizes_now) is None:
            return GridBox(None, grid.xyxy_px_clipped, grid.clipped, self.target.empty_reason)
        self._box_now = grid.xyxy_px_clipped
        # Only the degenerate check reads the grid from here on; the box goes by _box_now.
        return GridBox((0, 0, 1, 1), grid.xyxy_px_clipped, grid.clipped, None)

    def _emit(
        self,
        task: Task,
        item: RefItem,
        path: str,
        box: tuple[int, int, int, int],
        expressions: list[tuple[str, str]],
    ) -> None:
        base = f"{self.options.id_prefix}-{task}-{item.key}"
        self.by_task[task] += 1 if self.options.group_by == "ref" else len(expressions)
        the_box = Box(self._box_now, "source_px", 0)
        if self.options.group_by == "ref":
            language = self._language(base)
            turns = [self._parts(task, f"{base}#{n}", language, text, the_box)
                     for n, (_, text) in enumerate(expressions)]
            self.records.append(self._record(base, path, turns))
            return
        for key, text in expressions:
            record_id = f"{base}-s{key}"
            turn = self._parts(task, record_id, self._language(record_id), text, the_box)
            self.records.append(self._record(record_id, path, [turn]))

    def _parts(self, task: Task, pick_key: str, language: str, text: str,
               box: Box) -> tuple[tuple[Part, ...], tuple[Part, ...]]:
        template = self._template(task, pick_key, language)
        if task == "rec":
            question = template_parts(template, {"ref": Grounded(text, ()), "expression": text})
            label = text if self.options.answer_style == "ref-box" else None
            return question, (Grounded(label, (box,)),)
        return template_parts(template, {"box": Grounded(None, (box,))}), (Text(text),)

    def _record(self, record_id: str, path: str,
                turns: list[tuple[tuple[Part, ...], tuple[Part, ...]]]) -> dict[str, Any]:
        out: list[Turn] = []
        for number, (question, answer) in enumerate(turns):
            out.append(Turn("user", self.target.opening(question) if number == 0 else question))
            out.append(Turn("assistant", answer))
        sizes = self._sizes_now
        sample = Sample(tuple(out), (Picture(path, sizes.source_px),), record_id)
        return self.target.write(sample, (sizes,))
