"""I, P for Qwen-family targets: the images a record lists, and where its placeholders stand.

Listed images get the same file checks as v1's ``<img>`` paths (I001-I010, D003); their sizes,
read from the headers, feed the box and token rules (``family_common.pictures_of``). P007 is
defined in ``family_common``: the reader's problems report it too.
"""

from __future__ import annotations

from collections.abc import Mapping

from datakit.family.sample import ImageSlot, Sample, Text
from datakit.findings import Severity
from datakit.validation.context import RunContext
from datakit.validation.rule import Rule
from datakit.validation.rules.family_common import (
    OBJECTS_MISMATCH,
    path_of,
    pictures_of,
    turn_paths,
)
from datakit.validation.view import Collector, RecordView

_FINETUNE = (("target", "qwen2-vl"), ("framework", "qwen-vl-finetune"))


def _finetune(user: str, answer: str, image: str = "img/ok.jpg") -> str:
    return ('[{"image": "' + image + '", "conversations": [{"from": "human", "value": "' + user
            + '"}, {"from": "gpt", "value": "' + answer + '"}]}]')


PROCESSOR_REFUSES = Rule(
    "I012", "image-refused-by-processor", Severity.ERROR, "record",
    "Qwen-family targets: the resize on the way to the model raises on this image: a ratio of "
    "its sides above 200 (qwen-vl-finetune and ms-swift; LLaMA-Factory squeezes it first), or, "
    "through ms-swift's qwen-vl-utils, a side that max_pixels shrinks to nothing.",
    "The error surfaces in the data loader at the step that draws the sample; qwen-vl-finetune "
    "then silently trains on another sample instead (transformers #37264).",
    "Drop the image, or pad it to a ratio of 200 or less.",
    bad=_finetune("<image>\\nWhat is it?", "Black.", "img/sliver.png"),
    good=_finetune("<image>\\nWhat is it?", "Red."),
    example_settings=_FINETUNE,
)
IMAGE_IN_ANSWER = Rule(
    "P006", "family-image-in-answer", Severity.ERROR, "record",
    "Qwen-family targets: an <image> placeholder stands in an assistant turn.",
    "qwen-vl-finetune allows images only in the user's turns; elsewhere the picture's pad "
    "tokens become training labels: the model is taught to print image tokens.",
    "Move the <image> to the user turn that asks about the picture.",
    bad=_finetune("What is it?", "<image>\\nA dog."),
    good=_finetune("<image>\\nWhat is it?", "A dog."),
    example_settings=_FINETUNE,
)

RULES = (PROCESSOR_REFUSES, IMAGE_IN_ANSWER, OBJECTS_MISMATCH)
_IMAGE_KEYS = ("images", "image")


def listed_paths(view: RecordView) -> list[tuple[str, str]]:
    """(path, JSON path) of every image the record lists."""
    record = view.record
    out: list[tuple[str, str]] = []
    if not isinstance(record, Mapping):
        return out
    for key in _IMAGE_KEYS:
        value = record.get(key)
        if isinstance(value, str):
            out.append((value, f"{view.path()}.{key}"))
        elif isinstance(value, list):
            out.extend((p, f"{view.path()}.{key}[{i}]") for i, p in enumerate(value)
                       if isinstance(p, str))
    return out


def check(view: RecordView, emit: Collector, ctx: RunContext) -> None:
    sample: Sample | None = view.extras.get("family")
    target = ctx.target
    if sample is None or target is None:
        return
    listed = listed_paths(view)
    from datakit.validation.rules.images import report_listed

    report_listed(listed, emit, ctx)
    if sample.images and target.model_known:
        _processor(view, sample, emit, ctx, listed)
    for t, turn in enumerate(sample.turns):
        if turn.role == "assistant" and any(isinstance(p, ImageSlot) for p in turn.parts):
            emit(IMAGE_IN_ANSWER, f"turn {t + 1} (assistant) holds an <image>",
                 _turn_path(view, t))
    if target.layout == "ms-swift":
        _objects(view, sample, emit)


def _turn_path(view: RecordView, turn: int) -> str:
    sample = view.extras["family"]
    return turn_paths(view, sample)[turn]


def _processor(view: RecordView, sample: Sample, emit: Collector, ctx: RunContext,
               listed: list[tuple[str, str]]) -> None:
    # The verdict of the resize itself (datakit.family.vision), framework by framework: the
    # same code that counts the picture's pad tokens says when the processor raises.
    for i, picture in enumerate(pictures_of(view, sample, ctx)):
        if picture.refused is None:
            continue
        where = listed[i][1] if i < len(listed) else view.path()
        emit(PROCESSOR_REFUSES, f"{picture.path}: {picture.refused}, which the processor "
             "refuses", where)


def _objects(view: RecordView, sample: Sample, emit: Collector) -> None:
    left = sum(part.text.count("<ref-object>") + part.text.count("<bbox>")
               for turn in sample.turns for part in turn.parts if isinstance(part, Text))
    if left:
        emit(OBJECTS_MISMATCH, f"{left} <ref-object>/<bbox> placeholder(s) have no object "
             "left in \"objects\": they are trained as literal text", path_of(view, "objects"))
