"""Bring another framework's record in as a Qwen-VL v1 record (X001, X002, X003).

Built on the family record model: the record is read by its layout's reader
(``datakit.family.layouts.read_record``) into the neutral ``Sample`` and written back by the
v1 writer, so pictures become ``Picture N: <img>PATH</img>`` in order, roles are mapped and
boxes (inline markup or ms-swift ``objects``) land on the [0, 1000) grid. A system turn
equal to the one Qwen-VL's finetune.py always uses is dropped; a record the reader has doubts
about, or that v1 cannot hold (another system turn), is left as it was.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from datakit.family.sample import ImageSlot, Part, Sample, Text, Turn
from datakit.fix.fixer import FixContext, Fixer, Outcome


def _as_layout(record: Mapping[str, Any]) -> tuple[Mapping[str, Any], str | None, str]:
    """(record to read, layout, model name or "" when the markup does not tell)."""
    from datakit.family.layouts import detect

    found = detect(record)
    layout, model = found.layout, found.model or ""
    if layout == "qwen-vl" and ("image" in record or "images" in record):
        # v1 turns with the pictures listed beside the text: ms-swift's conversations form,
        # whose reader puts a picture without a placeholder where ms-swift would
        images = record.get("images", record.get("image"))
        rest = {k: v for k, v in record.items() if k not in ("image", "images")}
        record = {**rest, "images": [images] if isinstance(images, str) else images}
        layout = "ms-swift"
    if not model and "no box markup" in found.why:
        model = "qwen2-vl"  # no boxes: any family model reads the text alike
    return record, layout, model


def _tidy(sample: Sample) -> Sample:
    """The record's id first, as v1 writes it; the line break that followed a placeholder
    is the one the ``Picture N: <img>...</img>\\n`` prefix already ends with."""
    extra = dict(sample.extra)
    raw_id = extra.pop("id", None) if sample.id is None else None
    turns = []
    for turn in sample.turns:
        parts: list[Part] = []
        for part in turn.parts:
            if isinstance(part, Text) and parts and isinstance(parts[-1], ImageSlot) \
                    and part.text.startswith("\n"):
                part = Text(part.text[1:])
            if not (isinstance(part, Text) and not part.text):
                parts.append(part)
        turns.append(Turn(turn.role, tuple(parts)))
    return dataclasses.replace(
        sample, turns=tuple(turns), extra=extra,
        id=sample.id if raw_id is None else str(raw_id) if isinstance(raw_id, (str, int))
        else sample.id,
    )


def fix_foreign(record: Any, ctx: FixContext) -> Outcome:
    from datakit.family.layouts import WriteError, picture_sizes, read_record, write_record
    from datakit.family.profiles import MODELS

    if not isinstance(record, Mapping):
        return Outcome(None, "not an object")
    source, layout, model = _as_layout(record)
    if layout is None or layout == "qwen-vl":
        return Outcome(None, "no other framework's layout with an image list; a placeholder "
                       "without its image path cannot be converted: write the paths in by hand")
    if not model:
        return Outcome(None, "the boxes' markup does not tell Qwen2.5-VL pixels from Qwen3-VL's "
                       "grid; convert with `datakit convert dialect --from qwen2.5-vl` (or "
                       "`--from qwen3-vl`)")
    profile = next(p for name, p in MODELS.items() if name == model)
    read = read_record(source, profile, layout)  # type: ignore[arg-type]
    if read.problems:
        return Outcome(None, f"as {layout} ({model}): {read.problems[0].message}")
    sample = _tidy(read.sample)
    if sample.system == MODELS["qwen-vl"].default_system \
            and all(isinstance(p, Text) for p in sample.turns[0].parts):
        # finetune.py gives every sample this very system turn: nothing is lost
        sample = dataclasses.replace(sample, turns=sample.turns[1:])
    if sample.system is not None:
        return Outcome(None, "has a system turn, which Qwen-VL's finetune.py cannot train on; "
                       "fold it into the first question or drop it by hand (finetune.py always "
                       f"uses {MODELS['qwen-vl'].default_system!r})")
    if any(box.space == "resized_px" for box in sample.boxes()):
        # pixels after the trainer's resize: which resize depends on the trainer and its
        # pixel bounds, which the record does not say, and a box past the resized picture
        # would be cut to the grid's edge without a word
        return Outcome(None, f"its boxes are {model} pixels of the resized picture; convert "
                       f"with `datakit convert dialect --from {model} --target qwen-vl`")
    if any(box.space != "norm1000" for box in sample.boxes()):
        sample = dataclasses.replace(
            sample, images=tuple(i.with_size(ctx.image_size(i.path)) for i in sample.images))
    try:
        out = write_record(sample, MODELS["qwen-vl"], "qwen-vl", picture_sizes(sample, None))
    except WriteError as exc:
        return Outcome(None, f"as {layout}: {exc}")
    return Outcome(out, f"converted from {layout} to Qwen-VL v1")


FIXERS = (
    Fixer("foreign-layout", ("X003", "X001", "X002"), True,
          "LLaVA / LLaMA-Factory sharegpt and ms-swift records to Qwen-VL v1 records",
          fix_foreign),
)
