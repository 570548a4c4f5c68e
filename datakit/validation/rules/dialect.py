"""X: data written for another model or framework, which Qwen-VL v1 reads as plain text.

LLaVA, LLaMA-Factory, ms-swift or Qwen2-VL records fail the shape rules at first (S002, S005),
but once their roles are renamed they pass every v1 check while the model sees none of their
images and learns to print their markup. These rules name the dialect a record or value looks
like and what Qwen-VL v1 needs instead. The signatures are in ``dialect_signs``.
"""

from __future__ import annotations

from typing import Any

from datakit.findings import Severity
from datakit.validation.context import RunContext
from datakit.validation.rule import Rule
from datakit.validation.rules import dialect_signs as signs
from datakit.validation.view import Collector, Message, RecordView


def _record(user: str, answer: str, extra: str = "") -> str:
    return (
        '[{"id": "a", ' + extra + '"conversations": [{"from": "user", "value": "' + user
        + '"}, {"from": "assistant", "value": "' + answer + '"}]}]'
    )


_QUESTION = "Picture 1: <img>img/ok.jpg</img>\\nWhere is the dog?"
_OK = _record(_QUESTION, "<ref>the dog</ref><box>(10,20),(500,600)</box>")

FOREIGN_IMAGE_PLACEHOLDER = Rule(
    "X001", "foreign-image-placeholder", Severity.ERROR, "record",
    "A value holds another dialect's image placeholder: <image> (LLaVA, LLaMA-Factory, "
    "ms-swift, InternVL, qwen-vl-finetune), <|vision_start|><|image_pad|><|vision_end|> "
    "(Qwen2-VL and later), <ImageHere> (MiniGPT-4), <|image|> (Llama 3.2 Vision), ...",
    "Qwen-VL v1 shows an image only where <img>PATH</img> stands. Any other placeholder is "
    "plain text to its tokenizer: no picture reaches the model, which is trained to answer "
    "about an image it never saw.",
    "Replace each placeholder with 'Picture N: <img>PATH</img>\\n', taking the paths in order "
    "from the record's image list (N counts images from 1).",
    bad=_record("<image>\\nWhere is the dog?", "On the sofa."),
    good=_record(_QUESTION, "On the sofa."),
)
IMAGES_OUTSIDE_TEXT = Rule(
    "X002", "images-outside-text", Severity.ERROR, "record",
    "The record lists images (\"image\", \"images\", \"video\", \"videos\", ...) but no value "
    "has an <img>.",
    "Qwen-VL v1's trainer reads only \"conversations\" and opens an image only where "
    "<img>PATH</img> appears in the text. Images listed beside the conversation are never "
    "shown: the model learns to answer about pictures it has not seen, and `datakit tokens` "
    "counts no image.",
    "Write each image into its user turn as 'Picture N: <img>PATH</img>\\n' (where its "
    "<image> placeholder stood, if there was one).",
    bad=_record("Where is the dog?", "On the sofa.", '"image": "img/ok.jpg", '),
    good=_record(_QUESTION, "On the sofa.", '"image": "img/ok.jpg", '),
)
FOREIGN_RECORD_LAYOUT = Rule(
    "X003", "foreign-record-layout", Severity.ERROR, "record",
    "The record has another framework's layout: \"messages\" with role/content (ms-swift, "
    "LLaMA-Factory, OpenAI), sharegpt with \"images\" (LLaMA-Factory), human/gpt with "
    "\"image\" (LLaVA, qwen-vl-finetune), query/response (ms-swift), instruction/output "
    "(Alpaca).",
    "Qwen-VL v1's finetune.py reads only \"conversations\" of {\"from\": \"user\"|\"assistant\", "
    "\"value\"}. S002 and S005 say what breaks; renaming keys until they stop still loses the "
    "images and boxes the other layout keeps outside the text. Naming the dialect says how to "
    "convert the whole file at once.",
    "Convert the file: \"messages\" to \"conversations\", role/content to from/value, "
    "human/gpt to user/assistant, each image into its user turn as "
    "'Picture N: <img>PATH</img>\\n', each box as <ref>TEXT</ref><box>(x1,y1),(x2,y2)</box> "
    "on the 0..999 grid.",
    bad='[{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", '
        '"content": "Hello"}]}]',
    good=_OK,
)
FOREIGN_GROUNDING_TOKENS = Rule(
    "X004", "foreign-grounding-tokens", Severity.ERROR, "record",
    "A value holds another model's grounding markup: Qwen2-VL <|object_ref_start|>/"
    "<|box_start|>, PaliGemma <loc0000>, Florence-2 <loc_0>, Kosmos-2 <patch_index_0000>, "
    "MiniGPT-v2 {<x1><y1><x2><y2>}, DeepSeek-VL2 <|det|>, InternVL <box>[[...]]</box>, "
    "ms-swift <ref-object>/<bbox>, Molmo <point>.",
    "None of these are Qwen-VL v1 tokens: its tokenizer splits them into ordinary text, so no "
    "box is learned and the model learns to print the markup. Their coordinates are on other "
    "grids too.",
    "Rewrite each as <ref>TEXT</ref><box>(x1,y1),(x2,y2)</box> with integers on the 0..999 "
    "grid (the finding's message gives the source grid).",
    bad=_record(_QUESTION, "<|object_ref_start|>the dog<|object_ref_end|>"
                           "<|box_start|>(10,20),(500,600)<|box_end|>"),
    good=_OK,
)
FOREIGN_BOX_TEXT = Rule(
    "X005", "foreign-box-text", Severity.ERROR, "record",
    "A value writes boxes as another model's text: Qwen2.5-VL / Qwen3-VL JSON (\"bbox_2d\", "
    "\"point_2d\") or CogVLM [[x0,y0,x1,y1]].",
    "Qwen-VL v1 learns boxes only as <box>(x1,y1),(x2,y2)</box>. JSON or bracketed boxes are "
    "plain text on another scale (Qwen2.5-VL: pixels of the resized image; Qwen3-VL and CogVLM: "
    "0..1000), so the model learns an answer format that v1's box parsers never read.",
    "Rewrite each as <ref>LABEL</ref><box>(x1,y1),(x2,y2)</box> on the 0..999 grid; convert "
    "Qwen2.5-VL pixel boxes with the size of the image they were measured on.",
    bad=_record(_QUESTION, '[{\\"bbox_2d\\": [12, 30, 200, 180], \\"label\\": \\"dog\\"}]'),
    good=_OK,
)

RULES = (
    FOREIGN_IMAGE_PLACEHOLDER, IMAGES_OUTSIDE_TEXT, FOREIGN_RECORD_LAYOUT,
    FOREIGN_GROUNDING_TOKENS, FOREIGN_BOX_TEXT,
)
_BY_KIND = {
    "image": (FOREIGN_IMAGE_PLACEHOLDER, "Qwen-VL v1 reads it as plain text and shows no image"),
    "tokens": (FOREIGN_GROUNDING_TOKENS,
               "Qwen-VL v1 reads it as plain text: no box is learned, the model learns to "
               "print the markup"),
    "text": (FOREIGN_BOX_TEXT,
             "Qwen-VL v1 learns it as plain text, not as a box"),
}


def check(view: RecordView, emit: Collector, ctx: RunContext) -> None:
    record = view.record
    # Nearly every record is a plain {"id", "conversations"}: a length and one look-up. Only
    # records with other keys (or another shape) can have another framework's layout.
    plain = view.plain and ((len(record) == 2 and "id" in record) or len(record) == 1)
    if not plain and isinstance(record, dict):
        _check_record(view, record, emit)
    may_open = signs.MAY_OPEN
    for message in view.messages:
        value = message.value
        # Every sign starts as MAY_OPEN says or holds a '[' (InternVL, CogVLM, JSON boxes): a
        # clean value costs two scans for a character and, when it has tags, one search.
        if ("<" in value and may_open(value) is not None) or (
                "[" in value and ("[[" in value or "_2d" in value or "_3d" in value)):
            _report_value(view, message, emit)


def _report_value(view: RecordView, message: Message, emit: Collector) -> None:
    """One finding per dialect sign found in the value, at its first place, with the count."""
    value = message.value
    path = view.path(message.index)
    for sign in signs.VALUE_SIGNS:
        found = list(sign.finditer(value))
        if not found:
            continue
        rule, effect = _BY_KIND[sign.kind]
        shown = found[0].group(0)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        times = f" ({len(found)} in this value)" if len(found) > 1 else ""
        emit(rule, f"{shown!r} is {sign.dialect} markup{times}; {effect}; {sign.instead}",
             path, found[0].start(), {"dialect": sign.dialect})


def _check_record(view: RecordView, record: dict[str, Any], emit: Collector) -> None:
    layout = signs.foreign_layout(record, view.roles)
    if layout is not None:
        emit(FOREIGN_RECORD_LAYOUT,
             f"record has {layout.what}: the {layout.dialect} layout, not Qwen-VL v1's; "
             f"{layout.how}",
             view.path() + layout.key_path, None, {"dialect": layout.dialect})
    listed = signs.listed_images(record)
    if not listed:
        return
    if view.shape_ok:
        shown = any("<img>" in m.value for m in view.messages)
    else:
        shown = signs.any_string_has(record, "<img>", skip=frozenset(k for k, _ in listed))
    if shown:
        return
    for key, count in listed:
        what, them = (f"{count} images", "them") if count != 1 else ("1 image", "it")
        emit(IMAGES_OUTSIDE_TEXT,
             f"\"{key}\" lists {what} but no value has <img>PATH</img>: Qwen-VL v1's trainer "
             f"never shows {them}; write each into its user turn as "
             "'Picture N: <img>PATH</img>\\n'",
             f"{view.path()}.{key}", None, {"key": key, "images": count})
