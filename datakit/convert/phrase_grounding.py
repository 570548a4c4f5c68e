"""Phrase-grounding samples from a caption and the boxes its phrases name (ODVG ``grounding``,
MDETR/GLIP ``tokens_positive``).

One sample per caption. The first turn asks for the caption with grounding (slot
``grounded-caption``, built in: Qwen-VL's own "Generate the caption in English with
grounding:"); the answer is the caption with each grounded mention written as
``<ref>MENTION</ref><box>...</box>...``: every box of that mention, top to bottom, left to right.
A mention is a character span of the caption: given (``tokens_positive``), or found (an ODVG
phrase without spans: its first exact occurrence, else its first case-insensitive one).

Every phrase is kept. A phrase that cannot be marked in place is asked for in a follow-up turn
(slot ``phrase``: "Where is {phrase} in the image?") answered ``<ref>PHRASE</ref><box>...``:
a phrase whose text is not in the caption (noted ``phrase-not-in-caption``) and a span that
overlaps an earlier one (``<ref>`` cannot nest; noted ``phrase-overlaps``). When nothing could be
marked in place the caption turn is left out and the phrases' turns make the sample.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from datakit.convert.coco_images import image_label, resolve_size, trainer_path
from datakit.convert.coco_index import CocoImage, ImageId, id_sort_key
from datakit.convert.image_files import ImageProblem, SizeReader
from datakit.convert.prompts import SPECIAL_TEXT_RE, PromptPicker
from datakit.convert.tally import Tally
from datakit.qwenvl.boxes import xyxy_px_to_grid
from datakit.qwenvl.grammar import grounding, picture

if TYPE_CHECKING:
    from datakit.convert.coco import CocoOptions

Grid = tuple[int, int, int, int]
Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class CaptionBox:
    """One box of a caption: its character spans, or (ODVG) the phrase to find."""

    ann_id: Any
    xyxy_px: tuple[float, float, float, float]
    spans: tuple[Span, ...] | None
    phrase: str | None
    crowd: bool = False


@dataclass
class GroundedCaption:
    image: CocoImage
    caption: str
    boxes: list[CaptionBox] = field(default_factory=list)


@dataclass
class GroundingInput:
    """What a reader made of a grounding file: captions by key (line number or image id)."""

    source: str  # "odvg" or "mdetr": the record ids' prefix
    captions: dict[ImageId, GroundedCaption] = field(default_factory=dict)


def find_span(caption: str, phrase: str) -> Span | None:
    """The phrase's first exact occurrence, else its first case-insensitive one."""
    start = caption.find(phrase)
    if start < 0:
        lowered = caption.lower()
        if len(lowered) == len(caption):
            start = lowered.find(phrase.lower())
    return None if start < 0 or not phrase.strip() else (start, start + len(phrase))


def grounding_records(
    source: GroundingInput,
    options: CocoOptions,
    picker: PromptPicker,
    tally: Tally,
    read_size: SizeReader | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """One record per usable caption, in key order (see the module docstring)."""
    keys = sorted(source.captions, key=id_sort_key)
    check_paths = bool(options.path_prefix) or read_size is not None
    used = 0
    for done, key in enumerate(keys, 1):
        item = source.captions.pop(key)
        label = image_label(item.image)
        if options.limit is not None and used >= options.limit:
            _skip(tally, item, "beyond-limit", "beyond-limit", label)
            continue
        if not item.boxes:
            tally.skip("image", "no-annotations", label)
            continue
        special = SPECIAL_TEXT_RE.search(item.caption)
        if special is not None:
            _skip(tally, item, "caption-has-tag", "image-skipped",
                  f"{label}: the caption contains {special.group(0)}")
            continue
        path = trainer_path(item.image, options.path_prefix, check_paths)
        size = path if isinstance(path, ImageProblem) else resolve_size(
            item.image, read_size, options, tally)
        if isinstance(size, ImageProblem):
            _skip(tally, item, size.reason, "image-skipped", size.detail)
            continue
        assert isinstance(path, str)
        split = f"{options.split}-" if options.split else ""
        record_id = f"{source.source}-{split}{key}"
        turns = _turns(item, size, record_id, options, picker, tally, label)
        if not turns:
            tally.skip("image", "nothing-usable", label)
            continue
        used += 1
        tally.use("image")
        turns[0] = picture(1, path) + turns[0]
        roles = ("user", "assistant")
        yield {"id": record_id,
               "conversations": [{"from": roles[i % 2], "value": v} for i, v in enumerate(turns)]}
        if progress is not None and done % 4096 == 0:
            progress(done, len(keys))


def _skip(tally: Tally, item: GroundedCaption, reason: str, box_reason: str, detail: str) -> None:
    tally.skip("image", reason, detail)
    if item.boxes:
        tally.skip("annotation", box_reason, n=len(item.boxes))


def _turns(
    item: GroundedCaption,
    size: tuple[float, float],
    record_id: str,
    options: CocoOptions,
    picker: PromptPicker,
    tally: Tally,
    label: str,
) -> list[str]:
    caption = item.caption
    by_span: dict[Span, list[tuple[float, float, tuple[int, Any, Any], Grid]]] = {}
    by_phrase: dict[str, list[tuple[float, float, tuple[int, Any, Any], Grid]]] = {}
    width, height = size
    for box in item.boxes:
        where = f"{label}: annotation {box.ann_id}"
        grid = xyxy_px_to_grid(box.xyxy_px, width, height, options.rounding)
        if grid.degenerate is not None or grid.xyxy_norm1000 is None:
            tally.skip("annotation", f"degenerate-{grid.degenerate}",
                       f"{where}: box {list(box.xyxy_px)} on a {width:g}x{height:g} image")
            continue
        if box.crowd and not options.include_crowd:
            tally.skip("annotation", "crowd", f"{where} is a crowd region (iscrowd 1)")
            continue
        if grid.clipped:
            tally.note("box-clipped", f"{where}: box {list(box.xyxy_px)}")
        x1, y1 = box.xyxy_px[0], box.xyxy_px[1]
        id_key = id_sort_key(box.ann_id)
        row = (y1, x1, id_key, grid.xyxy_norm1000)
        spans = box.spans
        if spans is None and box.phrase is not None:
            found = find_span(caption, box.phrase)
            if found is None:
                if SPECIAL_TEXT_RE.search(box.phrase) is not None:
                    tally.skip("annotation", "phrase-has-tag", f"{where}: {box.phrase!r}")
                    continue
                tally.note("phrase-not-in-caption",
                           f"{where}: {box.phrase!r} is not in {caption!r}; asked on its own")
                by_phrase.setdefault(box.phrase.strip(), []).append(row)
                tally.use("annotation")
                continue
            spans = (found,)
        for span in spans or ():
            by_span.setdefault(span, []).append(row)
        tally.use("annotation")
    inline: list[Span] = []
    end = 0
    for span in sorted(by_span, key=lambda s: (s[0], -s[1])):
        if span[0] >= end:
            inline.append(span)
            end = span[1]
        else:
            text = caption[span[0]:span[1]]
            tally.note("phrase-overlaps",
                       f"{label}: {text!r} overlaps another grounded phrase; asked on its own")
            by_phrase.setdefault(text.strip(), []).extend(by_span[span])
    turns: list[str] = []
    language = picker.language(record_id)
    if inline:
        pieces, position = [], 0
        for start, stop in inline:
            grids = [row[3] for row in sorted(by_span[(start, stop)])]
            pieces += [caption[position:start], grounding(caption[start:stop], grids)]
            position = stop
        pieces.append(caption[position:])
        turns += [picker.render("grounded-caption", record_id, language), "".join(pieces)]
    for number, (phrase, rows) in enumerate(by_phrase.items(), 1):
        grids = [row[3] for row in sorted(rows)]
        question = picker.render("phrase", f"{record_id}#{number}", language, phrase=phrase)
        turns += [question, grounding(phrase, grids)]
    return turns
