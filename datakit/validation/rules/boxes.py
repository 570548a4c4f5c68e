"""B: box coordinates on Qwen-VL's 0..999 grid."""

from __future__ import annotations

from typing import TYPE_CHECKING

from datakit.findings import Severity
from datakit.qwenvl.tag_scan import sound_boxes
from datakit.validation.box_scale import SAMPLE_ALL, SAMPLE_STRIDE, pictures_of
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


def _pixel_records(answers: list[str]) -> str:
    return "[" + ", ".join(
        '{"id": "r' + str(i) + '", "conversations": [{"from": "user", "value": "Picture 1: '
        '<img>img/ok.jpg</img>\\nFind the cars."}, {"from": "assistant", "value": "' + answer
        + '"}]}'
        for i, answer in enumerate(answers)
    ) + "]"


IN_PIXELS = Rule(
    "B006", "box-in-pixels", Severity.ERROR, "dataset",
    "Boxes whose values are all below 1000 are pixel coordinates of their image, or Qwen2.5-VL "
    "absolute coordinates of the resized image: they never go beyond its width and height, "
    "where grid boxes would.",
    "On images under 1000 pixels (all of COCO) pixel boxes pass every range check, and the "
    "model learns each box squeezed toward the top-left corner (on a 640x427 picture, into 64% "
    "x 43% of it). Judged per file, then for the files together, from the size of the picture "
    "each box is drawn on (the latest <img> before it): at least 10 boxes on 5 pictures under "
    "1000 pixels a side, at most 1% of them beyond the size, boxes reaching 90% of the way "
    "across and down on some of the pictures, and a chance below one in a million that grid "
    "boxes would stay inside so often. A file's first 1024 records count, then every 32nd. "
    "Needs --images header or decode: with none or exists no sizes are read and the rule "
    "stays silent.",
    "Divide by the size the boxes were measured in and write the 0..999 grid: "
    "min(999, floor(v / size * 1000)), size = the image's (or Qwen2.5-VL's resized) width or "
    "height; datakit convert does it right.",
    bad=_pixel_records(["<ref>car</ref><box>(4,6),(60,44)</box><box>(10,2),(50,30)</box>",
                        "<ref>car</ref><box>(30,20),(63,47)</box><box>(0,0),(44,40)</box>",
                        "<ref>car</ref><box>(12,9),(40,33)</box><box>(5,5),(20,20)</box>",
                        "<ref>car</ref><box>(40,30),(58,45)</box><box>(1,20),(16,40)</box>",
                        "<ref>car</ref><box>(22,3),(36,18)</box><box>(48,10),(62,24)</box>"]),
    good=_pixel_records(["<ref>car</ref><box>(62,93),(937,916)</box><box>(5,5),(40,30)</box>"]
                        * 5),
)

RULES = (MALFORMED, OUT_OF_GRID, SWAPPED, ZERO_AREA, CONVENTION, IN_PIXELS)


def check(view: RecordView, emit: Collector, ctx: RunContext) -> None:
    stats = view.extras.setdefault("boxes", [0, 0, 0, 0])  # boxes, >=1000, swapped, all <= 1
    # B006 looks at a sample of each file's records (see box_scale.sampled)
    index = view.index
    scaled = index < SAMPLE_ALL or not index % SAMPLE_STRIDE
    sound_at: set[int] | None = None  # messages whose boxes are all sound, not fractions
    for message in view.messages:
        if "<box>" not in message.value and "<quad>" not in message.value:
            continue
        sound = sound_boxes(message.value) if message.paired else None
        if sound is not None:
            stats[0] += sound[0]
            stats[3] += sound[1]
            if scaled and sound[0] and not sound[1]:
                if sound_at is None:
                    sound_at = set()
                sound_at.add(message.index)
            continue
        _report(view, message, emit, stats)
    if sound_at is not None:
        images = ctx.images
        if images is not None and images.mode in _SIZED and IN_PIXELS.code in ctx.severities:
            pictures = pictures_of(view, images, sound_at)
            if pictures:
                view.extras["box_scale"] = pictures


_SIZED = ("header", "decode")  # image modes that read each picture's size


def _report(view: RecordView, message: Message, emit: Collector, stats: list[int]) -> None:
    """Every box and quad of one value, from the full parse (the grammar is imported only when
    some value needs it: pre-commit runs on clean files start faster)."""
    from datakit.qwenvl.grammar import Box, Quad

    path = view.path(message.index)
    problems: dict[int, str] | None = None  # malformed tags by start, built once per value
    for seg in message.parsed.segments:
        coords: tuple[int, ...] | None
        if isinstance(seg, Box):
            coords = seg.xyxy_norm1000
        elif isinstance(seg, Quad):
            coords = seg.points_norm1000
        else:
            continue
        if coords is None:
            if problems is None:
                problems = {p.start: p.message for p in message.parsed.problems}
            emit(MALFORMED, problems[seg.start], path, seg.start)
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
