"""Built-in prompt sets for referring expressions, and the answers the converter writes itself.

Two slots, filled per sample by ``datakit.convert.prompts.PromptPicker``:

- ``rec`` (expression -> box): the user's question. Placeholders ``{ref}`` (the expression
  wrapped as ``<ref>EXPR</ref>``) and ``{expression}`` (the bare text); a template uses one of
  them. The answer is written by the converter: ``<ref>EXPR</ref><box>(x1,y1),(x2,y2)</box>``
  (``ref-box``, the form Qwen-VL-Chat answers grounding requests in: see its README/TUTORIAL)
  or the bare ``<box>...</box>`` (``box``).
- ``region`` (box -> expression): the question, with ``{box}`` (required); the answer is the
  expression itself.

The ``qwen`` set (default) asks exactly what Qwen-VL's own RefCOCO evaluation asks
(``eval_mm/evaluate_grounding.py`` prompts ``<img>PATH</img><ref>EXPR</ref><box>`` and reads
the box the model writes next): the user turn is the picture followed by ``<ref>EXPR</ref>``.
The ``natural`` set phrases the request in words, in English and Chinese.
"""

from __future__ import annotations

from typing import Literal

from datakit.convert.prompts import PromptSet, SlotSpec

AnswerStyle = Literal["ref-box", "box"]
ANSWER_STYLES: tuple[AnswerStyle, ...] = ("ref-box", "box")

SLOTS: dict[str, SlotSpec] = {
    "rec": SlotSpec(optional=frozenset({"ref", "expression"})),
    "region": SlotSpec(required=frozenset({"box"})),
}

QWEN = PromptSet(
    {
        "rec": {"en": ("{ref}",), "zh": ("{ref}",)},
        "region": {
            "en": ("Describe the object in {box} in a short phrase.",),
            "zh": ("用一个短语描述{box}中的物体。",),
        },
    },
    "built-in qwen prompts",
)

NATURAL = PromptSet(
    {
        "rec": {
            "en": (
                "Where is {ref} in the picture?",
                "Find {ref}.",
                "Locate {ref} and give its bounding box.",
                "Output the bounding box of {ref}.",
            ),
            "zh": ("{ref}在哪里？", "找出图中的{ref}。", "输出{ref}的检测框", "框出{ref}。"),
        },
        "region": {
            "en": (
                "Describe the object in {box} in a short phrase.",
                "What is in {box}? Answer with a short referring expression.",
                "Give a short description of the region {box} that tells it apart.",
            ),
            "zh": ("用一个短语描述{box}中的物体。", "{box}里是什么？请用简短的指代表达回答。"),
        },
    },
    "built-in natural prompts",
)

PROMPT_SETS: dict[str, PromptSet] = {"qwen": QWEN, "natural": NATURAL}


def rec_templates_use_a_placeholder(prompts: PromptSet) -> str | None:
    """``SlotSpec`` cannot say "one of {ref}, {expression}": name the first rec template that
    uses neither (``None`` when all do)."""
    from datakit.convert.prompts import placeholders

    for language, templates in sorted(prompts.templates.get("rec", {}).items()):
        for number, template in enumerate(templates, 1):
            if not {"ref", "expression"} & set(placeholders(template)):
                return f"{prompts.source}: [rec] {language} template {number} ({template!r})"
    return None
