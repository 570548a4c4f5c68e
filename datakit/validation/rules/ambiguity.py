"""P004: a box whose picture the conversation does not say (see ``qwenvl.picture_refs``)."""

from __future__ import annotations

from datakit.findings import Severity
from datakit.qwenvl.picture_refs import place_boxes
from datakit.validation.context import RunContext
from datakit.validation.rule import Rule
from datakit.validation.view import Collector, RecordView


def _sample(question: str) -> str:
    return (
        '[{"id": "a", "conversations": [{"from": "user", "value": "Picture 1: <img>img/ok.jpg'
        '</img>\\nPicture 2: <img>img/tiny.png</img>\\n' + question + '"}, {"from": "assistant", '
        '"value": "<ref>the dog</ref><box>(10,20),(500,600)</box>"}]}]'
    )


AMBIGUOUS = Rule(
    "P004", "box-picture-ambiguous", Severity.ERROR, "record",
    "A <box> or <quad> may refer to two or more pictures: its candidates (the pictures before "
    "it in its own message, else those of the latest earlier message with pictures) number two "
    "or more, and its question (its own message if from the user, else the latest user "
    "message) does not name exactly one of them ('Picture N', 'image N', 'the second "
    "picture', '图N', '图片N', '第N张'; a name in the answer does not count).",
    "The v1 format cannot attach a box to a picture: the model cannot learn which picture a "
    "box means, and tools guess (Qwen's own draw_bbox_on_latest_picture takes the latest one, "
    "so a tree in Picture 1 is drawn over a car in Picture 2).",
    "Ask one grounding question per picture (put the box's picture alone in the message it "
    "follows), or name the picture in the question: 'Where is the dog in Picture 2?'.",
    bad=_sample("Where is the dog?"), good=_sample("Where is the dog in Picture 1?"),
)

RULES = (AMBIGUOUS,)


def check(view: RecordView, emit: Collector, ctx: RunContext) -> None:
    # Only a record with two pictures or more can hold an ambiguous box; most have one, and
    # cost a substring test per message here.
    images = 0
    for message in view.messages:
        value = message.value
        if "<img>" in value:
            images += value.count("<img>")
            if images > 1:
                _report(view, emit)
                return


def _report(view: RecordView, emit: Collector) -> None:
    if not any("<box>" in m.value or "<quad>" in m.value for m in view.messages):
        return
    messages = ((m.index, m.role, m.value, None if m.paired else m.parsed)
                for m in view.messages)
    for place in place_boxes(messages):
        if place.ambiguous:
            emit(AMBIGUOUS, f"{place.tag} {place.why_ambiguous()}",
                 view.path(place.message_index), place.start,
                 {"candidates": list(range(place.first, place.first + min(place.count, 32)))})
