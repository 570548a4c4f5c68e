"""The built-in English and Chinese prompts of the COCO converter, and the slots they fill.

Questions only: the converter writes the ``Picture 1: <img>...</img>`` prefix and every
``<ref>``/``<box>`` of the answers itself. A user template file replaces whole slots.
"""

from __future__ import annotations

from datakit.convert.prompts import PromptSet, SlotSpec

SLOTS: dict[str, SlotSpec] = {
    # one category of one image; the answer is <ref>{category}</ref><box>...</box>...
    "grounding": SlotSpec(required=frozenset({"category"})),
    # every category of one image
    "detection": SlotSpec(),
    # the first question of a caption sample
    "caption": SlotSpec(),
    # the next questions when all captions of an image are turns of one conversation
    "caption.followup": SlotSpec(),
    # the answer of an LVIS negative ("there is no X"; see coco_negatives)
    "negative": SlotSpec(required=frozenset({"category"})),
    # grounding files (ODVG, MDETR): the caption asked for with its phrases grounded, and a
    # phrase that could not be marked in the caption (see phrase_grounding)
    "grounded-caption": SlotSpec(),
    "phrase": SlotSpec(required=frozenset({"phrase"})),
}

BUILTIN = PromptSet(
    {
        "grounding": {
            "en": (
                "Where is the {category} in the image?",
                "Find every {category} in the picture.",
                "Locate all instances of {category} in this image.",
                "Give the bounding box of each {category}.",
                "Detect the {category} in the image.",
            ),
            "zh": (
                "框出图中所有的{category}。",
                "图中的{category}在哪里？",
                "找出图片中每一个{category}的位置。",
                "请定位图中的{category}。",
            ),
        },
        "detection": {
            "en": (
                "Detect all objects in the image and give their bounding boxes.",
                "List every object you can see, each with its bounding box.",
                "Find all the objects in this picture and locate them.",
            ),
            "zh": (
                "检测图中的所有物体，并给出它们的位置。",
                "列出图中所有物体及其边界框。",
                "找出这张图片里的全部物体并框出来。",
            ),
        },
        "caption": {
            "en": (
                "Describe this image briefly.",
                "What is shown in this picture?",
                "Write a short caption for the image.",
                "Give a one-sentence description of the image.",
            ),
            "zh": (
                "简要描述这张图片。",
                "这张图片里有什么？",
                "为这张图片写一句描述。",
                "用一句话描述这张图片。",
            ),
        },
        "negative": {
            "en": ("There is no {category} in the image.",),
            "zh": ("图中没有{category}。",),
        },
        "grounded-caption": {
            # Qwen-VL's own grounded-captioning prompt
            "en": ("Generate the caption in English with grounding:",),
            "zh": ("用英文描述这张图片，并框出描述中提到的物体：",),
        },
        "phrase": {
            "en": ("Where is {phrase} in the image?", "Locate {phrase} in the picture."),
            "zh": ("{phrase}在图中的哪里？", "框出图中的{phrase}。"),
        },
        "caption.followup": {
            "en": (
                "Describe it in another way.",
                "Give another description of the image.",
                "Describe the picture once more, in different words.",
            ),
            "zh": (
                "换一种方式描述这张图片。",
                "再用另一句话描述这张图片。",
            ),
        },
    }
)
