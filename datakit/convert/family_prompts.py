"""Built-in prompts for the Qwen2-VL family targets, and templates turned into sample parts.

Qwen2-VL marks refs and boxes with tags as Qwen-VL did, so the Qwen-VL prompts serve it as they
are. Qwen2.5-VL and Qwen3-VL answer grounding requests with JSON and are asked for it in words;
the English questions follow Qwen's own cookbooks ("Locate the top right brown cake, output its
bbox coordinates using JSON format."; "Outline the position of each small cake and output all
the coordinates in JSON format."; Qwen3-VL: "... Report bbox coordinates in JSON format."), the
Chinese ones Qwen's grounding guide ("检测图中所有{物体}并以JSON格式输出其bbox的坐标").

Slots and placeholders are the converters' own (``coco_prompts.SLOTS``,
``refcoco_prompts.SLOTS``): a user template file replaces them slot by slot as for Qwen-VL.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping

from datakit.convert import coco_prompts, refcoco_prompts
from datakit.convert.prompts import PromptSet
from datakit.family.profiles import ModelProfile
from datakit.family.sample import Part, Text

COCO_JSON = PromptSet(
    {
        "grounding": {
            "en": (
                "Locate every {category} in the image and output the bbox coordinates in JSON "
                "format.",
                "Outline the position of each {category} and output all the coordinates in "
                "JSON format.",
                "Detect all instances of {category} in the image. Report bbox coordinates in "
                "JSON format.",
                "Find every {category} in the picture, output their bbox coordinates using "
                "JSON format.",
            ),
            "zh": (
                "检测图中所有{category}并以JSON格式输出其bbox的坐标。",
                "定位图中每一个{category}，以JSON格式输出bbox坐标。",
                "找出图片中所有的{category}，用JSON格式给出它们的bbox坐标。",
            ),
        },
        "detection": {
            "en": (
                "Locate every object in the image and output the bbox coordinates and labels "
                "in JSON format.",
                "Detect all objects in the image. Report bbox coordinates in JSON format.",
                "Outline the position of each object and output all the coordinates in JSON "
                "format.",
            ),
            "zh": (
                "检测图中所有物体并以JSON格式输出其bbox的坐标和类别。",
                "定位图中的全部物体，以JSON格式输出bbox坐标。",
            ),
        },
        "caption": coco_prompts.BUILTIN.templates["caption"],
        "caption.followup": coco_prompts.BUILTIN.templates["caption.followup"],
    },
    "built-in JSON-box prompts",
)

REFCOCO_JSON_QWEN = PromptSet(
    {
        "rec": {
            "en": ("Locate {expression}, output its bbox coordinates using JSON format.",),
            "zh": ("定位{expression}，以JSON格式输出其bbox坐标。",),
        },
        # The box is a JSON block in these models' markup: it ends the question.
        "region": {
            "en": ("Describe the object in this region in a short phrase: {box}",),
            "zh": ("用一个短语描述这个区域中的物体：{box}",),
        },
    },
    "built-in qwen JSON-box prompts",
)

REFCOCO_JSON_NATURAL = PromptSet(
    {
        "rec": {
            "en": (
                "Locate {expression}, output its bbox coordinates using JSON format.",
                "Where is {expression} in the picture? Report its bbox coordinates in JSON "
                "format.",
                "Find {expression} and output the bbox coordinates in JSON format.",
            ),
            "zh": (
                "定位{expression}，以JSON格式输出其bbox坐标。",
                "图中的{expression}在哪里？请以JSON格式输出bbox坐标。",
            ),
        },
        "region": {
            "en": (
                "Describe the object in this region in a short phrase: {box}",
                "What is in this region? Answer with a short referring expression. {box}",
            ),
            "zh": (
                "用一个短语描述这个区域中的物体：{box}",
                "这个区域里是什么？请用简短的指代表达回答。{box}",
            ),
        },
    },
    "built-in natural JSON-box prompts",
)


def coco_builtin(model: ModelProfile) -> PromptSet:
    return COCO_JSON if model.box_markup == "json" else coco_prompts.BUILTIN


def refcoco_prompt_sets(model: ModelProfile) -> Mapping[str, PromptSet]:
    if model.box_markup != "json":
        return refcoco_prompts.PROMPT_SETS
    return {"qwen": REFCOCO_JSON_QWEN, "natural": REFCOCO_JSON_NATURAL}


# Text that a family layout or chat template reads as structure: the ChatML and vision tokens,
# the layouts' <image>/<video> tags and ms-swift's <ref-object>/<bbox> placeholders, and the
# Qwen-VL tags (a reader of the file could take them for v1 markup).
FAMILY_SPECIAL_TEXT_RE = re.compile(
    r"<\|[a-z_]+(?:_\d+)?\|>|</?(?:img|ref|box|quad)>|<imgpad>|<(?:image|video|audio)>"
    r"|<ref-object>|<bbox>"
)


def template_parts(template: str, values: Mapping[str, Part | str]) -> tuple[Part, ...]:
    """``template`` with each ``{name}`` replaced by ``values[name]``: text stays text (joined
    with its neighbours), a part (a ref, a box) stands on its own. The template was checked
    (``PromptSet.check``), so it holds only plain ``{name}`` fields."""
    parts: list[Part] = []
    pending: list[str] = []
    for literal, field, _, _ in string.Formatter().parse(template):
        pending.append(literal)
        if field is None:
            continue
        value = values[field]
        if isinstance(value, str):
            pending.append(value)
            continue
        if "".join(pending):
            parts.append(Text("".join(pending)))
        pending = []
        parts.append(value)
    if "".join(pending):
        parts.append(Text("".join(pending)))
    return tuple(parts)


def check_family_templates(prompts: PromptSet) -> None:
    """Refuse a template holding text the target's layout reads as structure (``PromptSet.check``
    knows only Qwen-VL's tags)."""
    from datakit.convert.prompts import all_templates
    from datakit.errors import ConfigError

    for slot, language, template in all_templates(prompts):
        special = FAMILY_SPECIAL_TEXT_RE.search(template)
        if special is not None:
            raise ConfigError(
                f"{prompts.source}: [{slot}] {language} template {template!r} contains "
                f"{special.group(0)}, which the target's layout or chat template reads as "
                "structure",
                fix="leave pictures, refs and boxes to the converter; write only the question",
            )
