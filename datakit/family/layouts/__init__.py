"""Record layouts of the frameworks that train the Qwen-VL family: readers and writers.

One module per ``Layout`` (``datakit.family.profiles``):
``qwen_vl`` (v1 ``finetune.py``), ``ms_swift``, ``sharegpt`` (LLaMA-Factory) and
``qwen_vl_finetune``. Each has

- ``read_record(record, model) -> ReadResult(sample, problems)``: never raises on any
  JSON value; boxes stay in the space the markup implies for ``model`` (readers never
  convert); keys the layout does not use go to ``Sample.extra``, in order;
- ``write_record(sample, model, sizes=None, ...) -> dict``: boxes in any space are put on the
  model's scale with ``datakit.family.spaces`` (``sizes``: one ``PictureSizes`` or None per
  picture; Qwen2.5-VL needs ``resized_px``, see ``picture_sizes``); a writer never opens an
  image. Raises ``WriteError`` (a ``ValueError`` with a message for the user) when the sample
  cannot be written. Key order is fixed per layout (see each module) and ``extra`` comes last.

``read_record``/``write_record`` here pick the module by layout; ``detect`` says which
layout a record is in and what its markup says of the model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from datakit.family.layouts import ms_swift, qwen_vl, qwen_vl_finetune, sharegpt
from datakit.family.layouts._common import ReadResult, WriteError
from datakit.family.layouts.detect import Detection, detect
from datakit.family.layouts.sharegpt import dataset_info_entry
from datakit.family.markup import Problem
from datakit.family.profiles import Layout, ModelProfile
from datakit.family.sample import Sample
from datakit.family.spaces import PictureSizes
from datakit.family.vision import ImageTooSmall, ResizeRule, resized_size_px

__all__ = [
    "LAYOUTS",
    "Detection",
    "Problem",
    "ReadResult",
    "WriteError",
    "dataset_info_entry",
    "detect",
    "picture_sizes",
    "read_record",
    "write_record",
]

Reader = Callable[[Mapping[str, Any], ModelProfile], ReadResult]
Writer = Callable[..., dict[str, Any]]


@dataclass(frozen=True, slots=True)
class LayoutIO:
    read_record: Reader
    write_record: Writer


LAYOUTS: dict[Layout, LayoutIO] = {
    "qwen-vl": LayoutIO(qwen_vl.read_record, qwen_vl.write_record),
    "ms-swift": LayoutIO(ms_swift.read_record, ms_swift.write_record),
    "sharegpt": LayoutIO(sharegpt.read_record, sharegpt.write_record),
    "qwen-vl-finetune": LayoutIO(qwen_vl_finetune.read_record, qwen_vl_finetune.write_record),
}


def read_record(record: Mapping[str, Any], model: ModelProfile, layout: Layout) -> ReadResult:
    return LAYOUTS[layout].read_record(record, model)


def write_record(
    sample: Sample,
    model: ModelProfile,
    layout: Layout,
    sizes: Sequence[PictureSizes | None] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """``options``: ``objects=True`` for ms-swift, ``variant="messages"`` for sharegpt."""
    return LAYOUTS[layout].write_record(sample, model, sizes, **options)


def picture_sizes(sample: Sample, rule: ResizeRule | None) -> list[PictureSizes | None]:
    """Per picture: its stored size and, with a resize ``rule``, its size after the model's
    resize; None where the sample does not know the stored size."""
    out: list[PictureSizes | None] = []
    for image in sample.images:
        if image.size_px is None:
            out.append(None)
            continue
        resized = None
        if rule is not None:
            try:
                resized = resized_size_px(image.size_px, rule)
            except ImageTooSmall:
                resized = None
        out.append(PictureSizes(image.size_px, resized))
    return out
