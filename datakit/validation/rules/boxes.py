"""B: box coordinates on Qwen-VL's 0..999 grid."""

from __future__ import annotations

from typing import TYPE_CHECKING

from datakit.findings import Severity
from datakit.qwenvl.tag_scan import sound_boxes
from datakit.validation.context import RunContext
from datakit.validation.rule import Option, Rule
from datakit.validation.view import Collector, Message, RecordView

if TYPE_CHECKING:
    from datakit.qwenvl.grammar import Box, Quad


def _answer(box: str) -> str:
    return (
        '[{"id": "a", "conversations": [{"from": "user", "value": "Picture 1: '
        '<img>img/ok.jpg</img>\\nWhere is the dog?"}, {"from": "assistant", "value": '
        '"<ref>dog</ref><box>' + box + '</box>"}]}]'
    )


_OK = _answer("(10,20),(500,600)")

MALFORMED = Rule(
    "B001", "malformed-box", Severity.ERROR, "record",
    "A <box> or <quad> is not exactly (x1,y1),(x2,y2) (or four points) of plain integers.",
    "The model learns the box text literally: spaces, decimals or signs in training data make "
    "it emit boxes that no parser (including Qwen's own) reads back.",
    "Write integers on the 0..999 grid with no spaces: <box>(588,499),(725,789)</box>.",
    bad=_answer("(10.5, 20),(500,600)"), good=_OK,
)
OUT_OF_GRID = Rule(
    "B002", "box-out-of-grid", Severity.ERROR, "record",
    "A coordinate is 1000 or more.",
    "Qwen-VL boxes live on the half-open grid [0, 1000): 999 is the right or bottom edge. "
    "Larger values are pixel coordinates or a x1000 rounding bug; the model learns boxes that "
    "point outside the picture.",
    "Normalise: min(999, floor(v / size * 1000)) per coordinate (datakit convert does this).",
    bad=_answer("(10,20),(1000,600)"), good=_OK,
)
SWAPPED = Rule(
    "B003", "box-corners-swapped", Severity.ERROR, "record",
    "x1 > x2 or y1 > y2: the corners are not top-left then bottom-right.",
    "Usually xywh written as corners, or x and y swapped. The model learns inverted boxes.",
    "Write the top-left corner first; convert [x, y, w, h] to (x, y),(x + w, y + h).",
    bad=_answer("(500,20),(10,600)"), good=_OK,
)
ZERO_AREA = Rule(
    "B004", "box-zero-area", Severity.WARNING, "record",
    "x1 == x2 or y1 == y2: the box has no area on the grid.",
    "A degenerate box (a point or a line) carries no location to learn; often a tiny object "
    "lost to rounding, or a broken annotation.",
    "Drop the box, or use a source box at least one grid cell (1/1000 of the image) wide.",
    bad=_answer("(10,20),(10,600)"), good=_OK,
)
CONVENTION = Rule(
    "B005", "box-convention", Severity.ERROR, "dataset",
    "The dataset's boxes as a whole look like another convention: pixels, 0..1 fractions, or "
    "[x, y, w, h] written as corners.",
    "A whole dataset in the wrong convention trains the model to be wrong on every sample; it "
    "is reported once, with examples, instead of once per box.",
    "Re-export the boxes on the 0..999 grid as (x1,y1),(x2,y2); datakit convert does it right.",
    bad=(
        '[{"id": "a", "conversations": [{"from": "user", "value": "Picture 1: <img>img/ok.jpg'
        '</img>\\nfind"}, {"from": "assistant", "value": "<ref>a</ref><box>(0,0),(1,1)</box>'
        '<ref>b</ref><box>(0,1),(1,1)</box><ref>c</ref><box>(1,0),(1,1)</box>'
        '<ref>d</ref><box>(0,0),(1,0)</box>"}]}]'
    ),
    good=_OK,
    options=(
        Option("box-convention-min-boxes", int, 4, "boxes needed before a convention is judged"),
        Option("box-convention-share", float, 0.5, "share of boxes that must look wrong"),
    ),
)

RULES = (MALFORMED, OUT_OF_GRID, SWAPPED, ZERO_AREA, CONVENTION)


def check(view: RecordView, emit: Collector, ctx: RunContext) -> None:
    stats = view.extras.setdefault("boxes", [0, 0, 0, 0])  # boxes, >=1000, swapped, all <= 1
    for message in view.messages:
        if "<box>" not in message.value and "<quad>" not in message.value:
            continue
        sound = sound_boxes(message.value) if message.paired else None
        if sound is not None:
            stats[0] += sound[0]
            stats[3] += sound[1]
            continue
        _report(view, message, emit, stats)


def _report(view: RecordView, message: Message, emit: Collector, stats: list[int]) -> None:
    """Every box and quad of one value, from the full parse (the grammar is imported only when
    some value needs it: pre-commit runs on clean files start faster)."""
    from datakit.qwenvl.grammar import Box, Quad

    path = view.path(message.index)
    for seg in message.parsed.segments:
        coords: tuple[int, ...] | None
        if isinstance(seg, Box):
            coords = seg.xyxy_norm1000
        elif isinstance(seg, Quad):
            coords = seg.points_norm1000
        else:
            continue
        if coords is None:
            problem = next(p for p in message.parsed.problems if p.start == seg.start)
            emit(MALFORMED, problem.message, path, seg.start)
            continue
        stats[0] += 1
        largest = max(coords)
        if largest >= 1000:
            stats[1] += 1
            emit(OUT_OF_GRID, f"{_text(seg)}: {largest} is off the 0..999 grid", path,
                 seg.start, {"convention": "pixels"})
        if isinstance(seg, Quad):
            continue
        x1, y1, x2, y2 = coords
        if largest <= 1:
            stats[3] += 1
        if x1 > x2 or y1 > y2:
            stats[2] += 1
            emit(SWAPPED, f"{_text(seg)}: corners are not top-left, bottom-right", path,
                 seg.start, {"convention": "xywh"})
        elif x1 == x2 or y1 == y2:
            emit(ZERO_AREA, f"{_text(seg)} has no area", path, seg.start)


def _text(seg: Box | Quad) -> str:
    tag = "quad" if hasattr(seg, "points_norm1000") else "box"
    return f"<{tag}>{seg.content}</{tag}>"
