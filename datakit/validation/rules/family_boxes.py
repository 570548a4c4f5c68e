"""B for Qwen-family targets: each box on the scale of the target model.

Qwen2-VL and Qwen3-VL write boxes on a relative 0..1000 grid; Qwen2.5-VL in absolute pixels
of the picture *after* the framework's and the processor's resize (``datakit.family.vision``);
ms-swift ``objects`` in pixels of the stored picture (``bbox_type: real``) or 0..1 fractions
(``norm1``). A box past its picture is an error here (B007); whether a whole file is on the
wrong scale is judged in ``family_scale`` from what this module tallies.
"""

from __future__ import annotations

from typing import Any

from datakit.family.sample import Box, Grounded
from datakit.findings import Severity
from datakit.validation.context import RunContext
from datakit.validation.rule import Rule
from datakit.validation.rules.boxes import SWAPPED, ZERO_AREA
from datakit.validation.rules.family_common import pictures_of, swift, turn_paths
from datakit.validation.view import Collector, RecordView

_QWEN25 = (("target", "qwen2.5-vl"), ("framework", "ms-swift"))


def _json_answer(coords: str) -> str:
    return '[{\\"bbox_2d\\": [' + coords + '], \\"label\\": \\"dog\\"}]'


OUT_OF_RANGE = Rule(
    "B007", "box-off-picture", Severity.ERROR, "record",
    "Qwen-family targets: a box or point lies outside its picture on the target's scale: "
    "negative, above 1000 on Qwen2-VL's and Qwen3-VL's 0..1000 grid, past the width or height "
    "of the resized picture for Qwen2.5-VL (from the image header and the framework's resize), "
    "past the stored picture for ms-swift bbox_type real, above 1 for norm1.",
    "No framework checks ranges: the model learns to point outside the picture. A Qwen2.5-VL "
    "box past the resized size is nearly always on another scale (0..1000, or pixels of the "
    "original image; Qwen3-VL #721, #1161).",
    "Put the box on the target's scale: Qwen2.5-VL x' = round(x * W' / W) with W' the resized "
    "width (clamped to W' - 1); Qwen2-VL and Qwen3-VL x' = round(x / W * 1000).",
    bad=swift("<image>Where is the dog?", _json_answer("4, 6, 60, 90")),
    good=swift("<image>Where is the dog?", _json_answer("4, 6, 50, 40")),
    example_settings=_QWEN25,
)

RULES = (OUT_OF_RANGE,)
# Pictures whose resized short side is below this tell the two scales apart (family_scale).
INFORMATIVE_PX = 900
# (boxes on pictures of known resized size, of them past it, pictures where a box reaches
# 90% across or down, pictures, example: (line, record index, id, JSON path, box text,
# resized width, height))
Example = tuple["int | None", int, "str | None", str, str, int, int]
Tally = tuple[int, int, int, int, Example]


def check(view: RecordView, emit: Collector, ctx: RunContext) -> None:
    sample = view.extras.get("family")
    target = ctx.target
    if sample is None or target is None or not any(True for _ in sample.boxes()):
        return
    pictures = pictures_of(view, sample, ctx)
    paths = turn_paths(view, sample)
    boxes = beyond = 0
    reached: set[int] = set()
    example: Example | None = None
    for t, turn in enumerate(sample.turns):
        for part in turn.parts:
            if not isinstance(part, Grounded):
                continue
            for box in part.boxes:
                picture = pictures[box.image] if 0 <= box.image < len(pictures) else None
                limit = _limit(box, picture)
                shown = _shown(box)
                where = paths[t]
                _judge(box, shown, limit, target.model, emit, where)
                if box.space in ("norm1000", "resized_px") and not box.is_point and \
                        picture is not None and picture.resized_px is not None and \
                        min(picture.resized_px) < INFORMATIVE_PX:
                    width, height = picture.resized_px
                    x2, y2 = box.coords[2], box.coords[3]
                    boxes += 1
                    if x2 > width or y2 > height:
                        beyond += 1
                    if x2 >= 0.9 * width or y2 >= 0.9 * height:
                        reached.add(box.image)
                    if example is None:
                        example = (view.line, view.index, view.record_id, where, shown,
                                   width, height)
    if boxes and example is not None:
        tally: Tally = (boxes, beyond, len(reached), len(pictures), example)
        view.extras["family_scale"] = tally


def _limit(box: Box, picture: Any) -> tuple[float, float, str] | None:
    """(width, height, what) of the space the box is in, None when unknown."""
    if box.space == "norm1000":
        return (1000.0, 1000.0, "the 0..1000 grid")
    if box.space == "norm1":
        return (1.0, 1.0, "0..1 (norm1)")
    if picture is None:
        return None
    if box.space == "source_px" and picture.source_px is not None:
        w, h = picture.source_px
        return (float(w), float(h), f"the stored picture ({w}x{h} px)")
    if box.space == "resized_px" and picture.resized_px is not None:
        w, h = picture.resized_px
        src = picture.source_px
        return (float(w), float(h), f"the resized picture ({w}x{h} px, from {src[0]}x{src[1]})")
    return None


def _shown(box: Box) -> str:
    return "[" + ", ".join(f"{v:g}" for v in box.coords) + "]"


def _judge(box: Box, shown: str, limit: tuple[float, float, str] | None, model: str,
           emit: Collector, where: str) -> None:
    coords = box.coords
    kind = "point" if box.is_point else "box"
    if any(v < 0 for v in coords):
        emit(OUT_OF_RANGE, f"{kind} {shown} has a negative coordinate", where)
        return
    if limit is not None:
        width, height, what = limit
        past = [v for i, v in enumerate(coords) if v > (width if i % 2 == 0 else height)]
        if past:
            hint = ""
            if box.space == "resized_px" and max(coords) <= 1000:
                hint = ("; values up to 1000 on a smaller picture look like the 0..1000 grid "
                        "of Qwen2-VL/Qwen3-VL")
            elif box.space == "norm1000":
                hint = "; values above 1000 are pixels, not the 0..1000 grid"
            emit(OUT_OF_RANGE, f"{kind} {shown} goes past {what} ({past[0]:g}){hint}", where,
                 None, {"model": model})
            return
    if box.is_point or len(coords) != 4:
        return
    x1, y1, x2, y2 = coords
    if x1 > x2 or y1 > y2:
        emit(SWAPPED, f"box {shown}: x1 > x2 or y1 > y2 (ms-swift swaps them silently; the "
             "other frameworks train on it)", where)
    elif x1 == x2 or y1 == y2:
        emit(ZERO_AREA, f"box {shown} has no area", where)
