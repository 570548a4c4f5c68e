"""P: the ``Picture N: `` labels in front of images."""

from __future__ import annotations

from datakit.findings import Severity
from datakit.qwenvl.tag_scan import labels_in_order
from datakit.validation.context import RunContext
from datakit.validation.rule import Rule
from datakit.validation.view import Collector, Message, RecordView


def _user(value: str) -> str:
    return (
        '[{"id": "a", "conversations": [{"from": "user", "value": "' + value + '"}, '
        '{"from": "assistant", "value": "x"}]}]'
    )


_OK = _user("Picture 1: <img>img/ok.jpg</img>\\nPicture 2: <img>img/ok.jpg</img>\\nCompare.")

IMAGE_WITHOUT_LABEL = Rule(
    "P001", "image-without-label", Severity.WARNING, "record",
    "An <img> is not directly preceded by its 'Picture N: ' label.",
    "Qwen-VL was trained with 'Picture N: <img>...</img>'; without the label the model cannot "
    "tell which picture a question or box refers to in multi-image samples.",
    "Write 'Picture 1: <img>PATH</img>\\n' (N counts images from 1 across the conversation).",
    bad=_user("<img>img/ok.jpg</img>\\nWhat is this?"), good=_OK,
)
NUMBERING = Rule(
    "P002", "picture-numbering", Severity.WARNING, "record",
    "Picture labels are not numbered 1, 2, 3... in order of appearance across the conversation.",
    "The numbers are how the model refers to images; a restart at 1 in a later turn, a gap or "
    "a copy-pasted 'Picture 1' for every image teaches it the wrong reference.",
    "Number images from 1 in the order they appear, continuing across turns.",
    bad=_user("Picture 1: <img>img/ok.jpg</img>\\nPicture 1: <img>img/ok.jpg</img>\\nCompare."),
    good=_OK,
)
LABEL_WITHOUT_IMAGE = Rule(
    "P003", "label-without-image", Severity.WARNING, "record",
    "A 'Picture N:' label is not followed by an <img>.",
    "Usually a lost image tag (a failed LLaVA <image> conversion): the sample now refers to a "
    "picture the model never sees.",
    "Put the <img>PATH</img> right after the label, or remove the label.",
    bad=_user("Picture 1: a photo of a dog"), good=_OK,
)

RULES = (IMAGE_WITHOUT_LABEL, NUMBERING, LABEL_WITHOUT_IMAGE)


def check(view: RecordView, emit: Collector, ctx: RunContext) -> None:
    expected = 1
    for message in view.messages:
        value = message.value
        if "<img>" not in value and "Picture" not in value:
            continue
        images = labels_in_order(value, expected) if message.paired else None
        if images is not None:
            expected += images
            continue
        expected = _report(view, message, emit, expected)


def _report(view: RecordView, message: Message, emit: Collector, expected: int) -> int:
    """Labels and images of one value from the full parse; returns the next image number."""
    from datakit.qwenvl.grammar import Image, PictureLabel

    segments = message.parsed.segments
    path = view.path(message.index)
    for i, seg in enumerate(segments):
        if isinstance(seg, Image):
            prev = segments[i - 1] if i else None
            if not isinstance(prev, PictureLabel) or prev.end != seg.start:
                emit(IMAGE_WITHOUT_LABEL, f"image {expected} has no 'Picture {expected}: ' "
                     "label", path, seg.start)
            expected += 1
        elif isinstance(seg, PictureLabel):
            nxt = segments[i + 1] if i + 1 < len(segments) else None
            if not isinstance(nxt, Image):
                emit(LABEL_WITHOUT_IMAGE, f"'Picture {seg.number}:' is not followed by <img>",
                     path, seg.start)
            elif seg.number != expected:
                emit(NUMBERING, f"image {expected} is labelled 'Picture {seg.number}'", path,
                     seg.start)
    return expected
