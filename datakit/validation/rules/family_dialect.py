"""X, T for Qwen-family targets: markup of another model, and the target's own special tokens
written as text.

The mirror of the v1 X rules: checked for Qwen2-VL, Qwen2.5-VL or Qwen3-VL, a file in Qwen-VL
v1's markup (X006) or in another family member's (X007: Qwen2-VL tags in a JSON-box file,
``bbox_2d`` in a Qwen2-VL file) is an error. T006: a literal ``<|im_end|>``, ``<|image_pad|>``,
``<|vision_start|>``... in a text becomes that special token in the tokenizer (Qwen2's tokenizer
matches special-token strings inside text).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from datakit.findings import Severity
from datakit.validation.context import RunContext
from datakit.validation.rule import Rule
from datakit.validation.rules.family_common import OK, QWEN2, swift
from datakit.validation.view import Collector, RecordView

_JSON = (("target", "qwen3-vl"), ("framework", "ms-swift"))
_JSON_OK = swift("<image>Where is the dog?",
                 '[{\\"bbox_2d\\": [10, 20, 500, 600], \\"label\\": \\"dog\\"}]')

V1_MARKUP = Rule(
    "X006", "v1-markup-for-target", Severity.ERROR, "record",
    "Qwen-family targets: a text holds Qwen-VL v1 markup (<img>PATH</img>, <ref>, <box>), "
    "which Qwen2-VL and later read as plain text.",
    "Their tokenizers have no <img>, <ref> or <box> tokens: no picture is shown where "
    "<img> stands, and the model learns to print v1's box text on v1's 0..999 grid.",
    "Convert the file for the target (`datakit convert --target ...`): each <img> becomes an "
    "<image> placeholder plus an entry in the record's images, each box the target's markup "
    "on its scale.",
    bad=swift("<image>Where is the dog?", "<ref>the dog</ref><box>(10,20),(500,600)</box>"),
    good=OK, example_settings=QWEN2,
)
OTHER_MEMBER = Rule(
    "X007", "family-markup-mismatch", Severity.ERROR, "record",
    "Qwen-family targets: a text holds the box markup of another model of the family: "
    "Qwen2-VL <|object_ref_start|>/<|box_start|> in a Qwen2.5-VL or Qwen3-VL file, or JSON "
    "bbox_2d/point_2d in a Qwen2-VL file.",
    "Each model was trained on one markup and one scale: Qwen2-VL tags are 0..1000, "
    "Qwen2.5-VL JSON boxes resized pixels, Qwen3-VL JSON boxes 0..1000. Mixed markup teaches "
    "two answer formats, on scales that do not agree.",
    "Rewrite the boxes in the target's markup and scale, or check the file with the --target "
    "its markup is for.",
    bad=swift("<image>Where is the dog?", "<|object_ref_start|>the dog<|object_ref_end|>"
              "<|box_start|>(10,20),(500,600)<|box_end|>"),
    good=_JSON_OK, example_settings=_JSON,
)
SPECIAL_TOKEN = Rule(
    "T006", "family-special-token-in-text", Severity.ERROR, "record",
    "Qwen-family targets: a text holds one of the model's special tokens literally "
    "(<|im_end|>, <|im_start|>, <|endoftext|>, <|vision_start|>, <|image_pad|>, ...).",
    "Qwen2's tokenizer turns the string into the special token itself: <|im_end|> ends the "
    "turn early, an <|image_pad|> adds an image token without image features (\"Image "
    "features and image tokens do not match\"), <|vision_start|> opens a picture.",
    "Remove the token from the text, or write a picture as <image>.",
    bad=swift("<image>Where is the dog?<|im_end|>", "On the sofa."),
    good=swift("<image>Where is the dog?", "On the sofa."), example_settings=QWEN2,
)

RULES = (V1_MARKUP, OTHER_MEMBER, SPECIAL_TOKEN)

_V1_RE = re.compile(r"<img>.*?</img>|</?ref>|<box>\(", re.DOTALL)
_QWEN2_TAG_RE = re.compile(r"<\|(?:object_ref|box|quad)_(?:start|end)\|>")
_JSON_RE = re.compile(r"\b(?:bbox_2d|point_2d)\b")
_GROUNDING = frozenset({"<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>",
                        "<|box_end|>", "<|quad_start|>", "<|quad_end|>"})


def _specials(model_name: str) -> re.Pattern[str]:
    from datakit.family.profiles import model

    tokens = [t for t in model(model_name).special_tokens
              if t.startswith("<|") and t not in _GROUNDING]
    return re.compile("|".join(re.escape(t) for t in tokens))


_SPECIALS: dict[str, re.Pattern[str]] = {}


def check(view: RecordView, emit: Collector, ctx: RunContext) -> None:
    target = ctx.target
    record = view.record
    if target is None or not isinstance(record, Mapping):
        return
    from datakit.family.profiles import model
    from datakit.validation.family_api import texts

    title = model(target.model).title
    json_markup = target.model in ("qwen2.5-vl", "qwen3-vl")
    base = view.path()
    for text, where in texts(record):
        if "<" in text:
            if ("<img>" in text or "<ref>" in text or "<box>" in text):
                _first(V1_MARKUP, _V1_RE, text, base + where, emit,
                       f"is Qwen-VL v1 markup; {title} reads it as plain text")
            if json_markup and "<|" in text:
                _first(OTHER_MEMBER, _QWEN2_TAG_RE, text, base + where, emit,
                       f"is Qwen2-VL markup; {title} writes boxes as JSON bbox_2d")
            if "<|" in text:
                pattern = _SPECIALS.get(target.model)
                if pattern is None:
                    pattern = _SPECIALS[target.model] = _specials(target.model)
                _first(SPECIAL_TOKEN, pattern, text, base + where, emit,
                       f"becomes {title}'s special token, not text")
        if not json_markup and "_2d" in text:
            _first(OTHER_MEMBER, _JSON_RE, text, base + where, emit,
                   f"is Qwen2.5-VL/Qwen3-VL JSON markup; {title} writes "
                   "<|object_ref_start|>/<|box_start|> tags on 0..1000")


def _first(rule: Rule, pattern: re.Pattern[str], text: str, where: str, emit: Collector,
           effect: str) -> None:
    """One finding per rule and text, at the first match, with the count."""
    found = list(pattern.finditer(text))
    if not found:
        return
    shown = found[0].group(0)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    times = f" ({len(found)} in this text)" if len(found) > 1 else ""
    emit(rule, f"{shown!r}{times} {effect}", where, found[0].start())
