"""How other dialects give themselves away: markup in values and record layouts.

Each value sign is specific enough never to match ordinary Qwen-VL v1 text. Deliberately left
out: boxes as bracketed numbers with no other mark (Shikra, LLaVA-1.5 and Ferret write
``[0.12, 0.3, 0.5, 0.9]`` or ``[12, 30, 200, 180]``), which ordinary text also writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NamedTuple

# The way every sign below that has no '[' starts: '<' and its first letters. Each of v1's
# own tags fails this at its first or second letter, which makes the search on tagged values
# cheaper than one for "a '<' that opens none of v1's tags". Keep it in step with the signs
# (the tests hold one example per sign).
MAY_OPEN = re.compile(r"<(?:[|Ivlsfp0-9]|ima|bb|ref-)").search

QWEN2 = "Qwen2-VL / Qwen2.5-VL / Qwen3-VL"
PICTURE = "write 'Picture N: <img>PATH</img>\\n' in its place"
V1_BOX = "<ref>TEXT</ref><box>(x1,y1),(x2,y2)</box>"


class ValueSign(NamedTuple):
    kind: str  # "image", "tokens" (grounding markup) or "text" (boxes written as text)
    dialect: str
    # compiled (and cached by ``re``) only when a value passes the pre-check, so that a run
    # on clean data does not pay for compiling them at start-up
    pattern: str
    instead: str  # what Qwen-VL v1 needs in its place

    def finditer(self, value: str) -> Iterator[re.Match[str]]:
        return re.finditer(self.pattern, value)


VALUE_SIGNS: tuple[ValueSign, ...] = (
    # image placeholders
    ValueSign("image", QWEN2,
              r"<\|vision_start\|>(?:<\|(?:image|video)_pad\|>)*<\|vision_end\|>"
              r"|<\|(?:vision_start|vision_end|vision_pad|image_pad|video_pad)\|>", PICTURE),
    ValueSign("image", "LLaVA / LLaMA-Factory / ms-swift / InternVL / qwen-vl-finetune",
              r"<(?:image|video)>", PICTURE),
    ValueSign("image", "Llama 3.2 Vision / mPLUG-Owl3", r"<\|image\|>", PICTURE),
    ValueSign("image", "Phi-3-vision", r"<\|image_\d+\|>", PICTURE),
    ValueSign("image", "MMMU-style numbered", r"<image[ _]\d+>", PICTURE),
    ValueSign("image", "MiniGPT-4 / MiniGPT-v2", r"(?:<Img>)?<ImageHere>(?:</Img>)?", PICTURE),
    ValueSign("image", "DeepSeek-VL", r"<image_placeholder>", PICTURE),
    ValueSign("image", "InternVL (expanded)", r"(?:<IMG_CONTEXT>)+", PICTURE),
    ValueSign("image", "Idefics", r"<fake_token_around_image>", PICTURE),
    # grounding markup
    ValueSign("tokens", "Qwen2-VL", r"<\|(?:object_ref|box|quad)_(?:start|end)\|>",
              f"write {V1_BOX}; Qwen2-VL's 0..1000 coordinates become min(999, v)"),
    ValueSign("tokens", "DeepSeek-VL2", r"<\|/?(?:ref|det|grounding)\|>",
              f"write {V1_BOX}; DeepSeek-VL2's 0..999 coordinates carry over"),
    ValueSign("tokens", "PaliGemma", r"<loc\d{4}>|<seg\d{3}>",
              f"write {V1_BOX}; PaliGemma gives y before x on a 0..1023 grid: "
              "v1 = floor(loc * 1000 / 1024)"),
    ValueSign("tokens", "Florence-2", r"<loc_\d+>",
              f"write {V1_BOX}; Florence-2's <loc_0>..<loc_999> bins carry over as x1,y1,x2,y2"),
    ValueSign("tokens", "Kosmos-2", r"<patch_index_\d+>",
              f"write {V1_BOX}; Kosmos-2 names cells of a 32x32 patch grid"),
    ValueSign("tokens", "MiniGPT-v2", r"\{<\d{1,3}><\d{1,3}><\d{1,3}><\d{1,3}>\}",
              f"write {V1_BOX}; MiniGPT-v2's 0..100 grid is v1 = min(999, v * 10)"),
    ValueSign("tokens", "InternVL", r"<box>\s*\[\[",
              "write <box>(x1,y1),(x2,y2)</box>; InternVL's 0..1000 coordinates become "
              "min(999, v)"),
    ValueSign("tokens", "ms-swift placeholder", r"<ref-object>|<bbox>",
              f"ms-swift fills these from \"objects\"; write the text and {V1_BOX} in their place"),
    ValueSign("tokens", "Molmo point", r"<points?\s+(?:x|x1|y|y1)\s*=\s*\"",
              f"Qwen-VL v1 has no points; write a {V1_BOX}"),
    # boxes written as text
    ValueSign("text", "Qwen2.5-VL / Qwen3-VL JSON", r"\b(?:bbox_2d|point_2d|bbox_3d)\b",
              f"write {V1_BOX}; Qwen2.5-VL's bbox_2d are pixels of the resized image, "
              "Qwen3-VL's are 0..1000"),
    ValueSign("text", "CogVLM",
              r"(?<!<box>)(?<!<\|det\|>)\[\[\d{3},\d{3},\d{3},\d{3}(?:;\d{3},\d{3},\d{3},\d{3})*\]\]",
              f"write {V1_BOX}; CogVLM's 000..999 coordinates carry over"),
)


class Layout(NamedTuple):
    dialect: str
    what: str  # what the record has, e.g. '"messages" with "role"/"content"'
    how: str  # how to convert it
    key_path: str = ""  # where the finding points, relative to the record


_MOVE_IMAGES = "each image into its user turn as 'Picture N: <img>PATH</img>\\n'"
_MESSAGES_HOW = (
    "rename \"messages\" to \"conversations\" and \"role\"/\"content\" to \"from\"/\"value\" "
    f"(roles \"user\"/\"assistant\", no \"system\" turns), and write {_MOVE_IMAGES}"
)


def foreign_layout(record: dict[str, Any], roles: list[Any]) -> Layout | None:
    """The other framework's layout the record has, if it has one."""
    conversations = record.get("conversations")
    if not isinstance(conversations, list):
        messages = record.get("messages")
        if isinstance(messages, list) and any(
                isinstance(m, dict) and ("role" in m or "content" in m) for m in messages):
            if _typed_parts(messages, "content"):
                return Layout("OpenAI / Qwen2-VL chat",
                              "\"messages\" whose content is a list of typed parts",
                              _MESSAGES_HOW + "; join the text parts", ".messages")
            dialect = "ms-swift / LLaMA-Factory / OpenAI"
            if isinstance(record.get("objects"), dict):
                return Layout("ms-swift (grounding)", "\"messages\" with \"objects\"",
                              _MESSAGES_HOW + f"; write each object as {V1_BOX} on the "
                              "0..999 grid in place of its <ref-object>/<bbox>", ".messages")
            return Layout(dialect, "\"messages\" with \"role\"/\"content\"", _MESSAGES_HOW,
                          ".messages")
        if "query" in record and "response" in record:
            return Layout("ms-swift (query/response)", "\"query\"/\"response\"",
                          "make each \"history\" pair and the query/response a user and an "
                          f"assistant message in \"conversations\", and write {_MOVE_IMAGES}")
        if "instruction" in record and "output" in record:
            return Layout("Alpaca (LLaMA-Factory alpaca)", "\"instruction\"/\"output\"",
                          "make instruction + input the user message and output the "
                          "assistant message of \"conversations\"")
        return None
    if any(isinstance(m, dict) and "from" not in m and ("role" in m or "content" in m)
           for m in conversations):
        return Layout("LLaMA-Factory sharegpt with OpenAI tags",
                      "\"conversations\" of \"role\"/\"content\" messages",
                      "rename \"role\"/\"content\" to \"from\"/\"value\" (roles \"user\"/"
                      f"\"assistant\") and write {_MOVE_IMAGES}", ".conversations")
    if _typed_parts(conversations, "value"):
        return Layout("OpenAI / Qwen2-VL chat", "values that are lists of typed parts",
                      f"join the text parts into one string per message and write {_MOVE_IMAGES}",
                      ".conversations")
    sharegpt = "human" in roles or "gpt" in roles
    if sharegpt and ("images" in record or "videos" in record):
        return Layout("LLaMA-Factory sharegpt", "human/gpt turns with \"images\"",
                      f"rename \"human\"/\"gpt\" to \"user\"/\"assistant\" and write "
                      f"{_MOVE_IMAGES} (in place of its <image>)")
    if sharegpt and ("image" in record or "video" in record):
        return Layout("LLaVA / InternVL / qwen-vl-finetune", "human/gpt turns with \"image\"",
                      f"rename \"human\"/\"gpt\" to \"user\"/\"assistant\" and write "
                      f"{_MOVE_IMAGES} (in place of its <image>)")
    if isinstance(record.get("objects"), dict):
        return Layout("ms-swift (grounding)", "\"objects\"",
                      f"write each object as {V1_BOX} on the 0..999 grid in the text, where "
                      "its <ref-object>/<bbox> stood", ".objects")
    return None


def _typed_parts(messages: list[Any], key: str) -> bool:
    """Some message's text is a list of {"type": ...} parts (OpenAI, Qwen2-VL's processor)."""
    for m in messages:
        parts = m.get(key) if isinstance(m, dict) else None
        if isinstance(parts, list) and any(isinstance(p, dict) and "type" in p for p in parts):
            return True
    return False


IMAGE_KEYS = ("image", "images", "video", "videos", "image_path", "image_paths", "image_file",
              "image_url", "image_urls", "img", "img_path")


def listed_images(record: dict[str, Any]) -> list[tuple[str, int]]:
    """(key, how many) for each image key that names at least one image."""
    listed = []
    for key in IMAGE_KEYS:
        value = record.get(key)
        if isinstance(value, list):
            count = sum(1 for v in value if (isinstance(v, str) and v.strip())
                        or isinstance(v, dict))
        else:
            count = int(bool(isinstance(value, str) and value.strip())
                        or (isinstance(value, dict) and bool(value)))
        if count:
            listed.append((key, count))
    return listed


def any_string_has(record: dict[str, Any], needle: str, skip: frozenset[str]) -> bool:
    """Whether a string anywhere in the record (outside the keys in ``skip``) holds needle."""
    stack: list[Any] = [v for k, v in record.items() if k not in skip]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if needle in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
