"""How each trainer turns a sample into ``input_ids`` and ``labels``, step for step.

- LLaMA-Factory (``data/template.py`` templates ``qwen2_vl``, ``qwen3_vl``, ``qwen3_vl_nothink``;
  ``mm_plugin.py`` ``Qwen2VLPlugin.process_messages``; ``processor/supervised.py``
  ``_encode_data_example``): each message is its own string, encoded apart; the prompt of a
  turn ends with ``<|im_start|>assistant\\n``; the answer is ``content<|im_end|>\\n`` and is
  supervised whole; ``cutoff_len`` is shared between prompt and answer turn by turn
  (``infer_seqlen``), so a cut can fall inside the prompt's image pads.
- qwen-vl-finetune (Qwen3-VL repo ``qwenvl/data/data_processor.py``): the whole conversation
  is one string from the model's chat template (user text split at ``<image>`` and stripped),
  labels from two tokens after each ``assistant`` token to the ``<|im_end|>`` and the newline
  after it; the collator cuts at ``model_max_length``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from datakit.family.encoding import FamilyTextEncoder
from datakit.family.profiles import ModelProfile
from datakit.family.template import (
    ASSISTANT_ID,
    IGNORE_INDEX,
    IM_END_ID,
    IMAGE_PLACEHOLDER,
    FrameworkOptions,
    ImageIds,
    Message,
    encode_with_images,
)

IMAGE = IMAGE_PLACEHOLDER

THOUGHT = "<think>\n\n</think>\n\n"  # LLaMA-Factory's add_thought(): thought_words joined
_THOUGHT_RE = re.compile(r"<think>\n(.*?)\n</think>\n\n", re.DOTALL)


class SampleRejected(ValueError):
    """The framework refuses or skips the sample before any cut (the message says how)."""


@dataclass(frozen=True, slots=True)
class TurnPair:
    """One LLaMA-Factory turn: prompt ids and answer ids, before the cut."""

    source: list[int]
    target: list[int]


def _placeholders(messages: Sequence[Message]) -> int:
    return sum(m.content.count(IMAGE) for m in messages)


# --- LLaMA-Factory ---------------------------------------------------------------------------


def llamafactory_template(model: ModelProfile, options: FrameworkOptions) -> str:
    if options.llamafactory_template is not None:
        return options.llamafactory_template
    return "qwen3_vl_nothink" if model.name == "qwen3-vl" else "qwen2_vl"


def llamafactory_pairs(
    encoder: FamilyTextEncoder,
    messages: Sequence[Message],
    model: ModelProfile,
    pad_counts: Sequence[int],
    options: FrameworkOptions,
) -> list[TurnPair]:
    """``template.encode_multiturn`` after ``process_messages`` (converter checks first)."""
    template = llamafactory_template(model, options)
    if template not in ("qwen2_vl", "qwen3_vl", "qwen3_vl_nothink"):
        raise ValueError(f"unknown LLaMA-Factory template {template!r} for {model.title}")
    system = None
    turns = list(messages)
    if turns and turns[0].role == "system":
        system = turns.pop(0).content
    for index, message in enumerate(turns):
        wanted = "user" if index % 2 == 0 else "assistant"
        if message.role != wanted:
            raise SampleRejected(
                f"LLaMA-Factory skips the sample: message {index + 1} is from "
                f"{message.role!r} where {wanted!r} must stand (roles alternate, user first)"
            )
    if len(turns) % 2 or not turns:
        raise SampleRejected(
            "LLaMA-Factory skips the sample: it needs user/assistant pairs ending with an "
            f"answer, and has {len(turns)} message(s) after the system prompt"
        )
    if _placeholders(turns) != len(pad_counts):
        raise SampleRejected(
            f"LLaMA-Factory stops with 'The number of images does not match the number of "
            f"<image> tokens': {len(pad_counts)} picture(s), {_placeholders(turns)} <image>"
        )
    default = "You are a helpful assistant." if template == "qwen2_vl" else ""
    if options.system is not None:
        default = options.system
    system = system or default
    reasoning = template == "qwen3_vl"
    if reasoning and not options.enable_thinking:
        turns = [
            Message(m.role, _remove_thought(m.content)) if i % 2 else m for i, m in enumerate(turns)
        ]
    discard_history = reasoning and options.mask_history
    if discard_history:
        turns = [
            Message(m.role, _remove_thought(m.content)) if i % 2 and i < len(turns) - 2 else m
            for i, m in enumerate(turns)
        ]
    images = ImageIds(pad_counts)
    encoded: list[list[int]] = []
    for index, message in enumerate(turns):
        ids: list[int] = []
        if index == 0 and system:
            ids += encoder.encode(f"<|im_start|>system\n{system}<|im_end|>\n")
        if message.role == "user":
            text = f"<|im_start|>user\n{message.content}<|im_end|>\n<|im_start|>assistant\n"
        else:
            text = f"{message.content}<|im_end|>\n"
        ids += encode_with_images(encoder, text, images)
        encoded.append(ids)
    if reasoning:
        thought = encoder.encode(THOUGHT)
        indices = [len(turns) - 2] if discard_history else range(0, len(turns), 2)
        for i in indices:
            answer = turns[i + 1].content
            if "<think>" not in answer and "</think>" not in answer:
                if options.enable_thinking:
                    encoded[i + 1] = thought + encoded[i + 1]
                else:
                    encoded[i] = encoded[i] + thought
    return [TurnPair(encoded[i], encoded[i + 1]) for i in range(0, len(encoded), 2)]


def _remove_thought(content: str) -> str:
    return _THOUGHT_RE.sub("", content).lstrip("\n")


def infer_seqlen(source_len: int, target_len: int, cutoff_len: int) -> tuple[int, int]:
    """LLaMA-Factory's split of ``cutoff_len`` between a turn's prompt and answer."""
    if target_len * 2 < cutoff_len:
        max_target_len = cutoff_len
    elif source_len * 2 < cutoff_len:
        max_target_len = cutoff_len - source_len
    else:
        max_target_len = int(cutoff_len * (target_len / (source_len + target_len)))
    new_target_len = min(max_target_len, target_len)
    max_source_len = max(cutoff_len - new_target_len, 0)
    return min(max_source_len, source_len), new_target_len


def llamafactory_assemble(
    pairs: Sequence[TurnPair], cutoff_len: int | None, options: FrameworkOptions
) -> tuple[list[int], list[int]]:
    """``_encode_data_example``: the turns cut to ``cutoff_len`` (None: no cut)."""
    input_ids: list[int] = []
    labels: list[int] = []
    total = 0
    order = list(reversed(pairs)) if options.mask_history else list(pairs)
    for turn_index, pair in enumerate(order):
        source, target = pair.source, pair.target
        if cutoff_len is not None:
            if total >= cutoff_len:
                break
            source_len, target_len = infer_seqlen(len(source), len(target), cutoff_len - total)
            source, target = source[:source_len], target[:target_len]
        total += len(source) + len(target)
        source_label = source if options.train_on_prompt else [IGNORE_INDEX] * len(source)
        if options.mask_history and turn_index != 0:
            target_label = [IGNORE_INDEX] * len(target)
        else:
            target_label = target
        if options.mask_history:
            input_ids = source + target + input_ids
            labels = source_label + target_label + labels
        else:
            input_ids += source + target
            labels += source_label + target_label
    return input_ids, labels


# --- qwen-vl-finetune ------------------------------------------------------------------------

_SPLIT_MEDIA = re.compile(r"(<image>|<video>)").split


def finetune_encode(
    encoder: FamilyTextEncoder,
    messages: Sequence[Message],
    model: ModelProfile,
    pad_counts: Sequence[int],
    options: FrameworkOptions,
) -> tuple[list[int], list[int]]:
    """``preprocess_qwen_visual``: the chat template's one string, then the label scan."""
    # _build_messages: "human" is the user; every other speaker, a system prompt included,
    # becomes the assistant.
    chunks: list[str | None] = []  # None: the next picture
    # The chat template writes its default system prompt (Qwen2/2.5-VL) since no message
    # is ever "system" here; the trainer has no option to change it.
    if model.default_system is not None:
        chunks.append(f"<|im_start|>system\n{model.default_system}<|im_end|>\n")
    pictures = 0
    for message in messages:
        if message.role != "user":
            chunks.append(f"<|im_start|>assistant\n{message.content}<|im_end|>\n")
            continue
        chunks.append("<|im_start|>user\n")
        for segment in _SPLIT_MEDIA(message.content):
            if segment == IMAGE:
                if pictures >= len(pad_counts):
                    raise SampleRejected(
                        "qwen-vl-finetune fails the sample ('Number of <image> placeholders "
                        "exceeds the number of provided images') and trains on the next one"
                    )
                pictures += 1
                if options.add_vision_id:
                    chunks.append(f"Picture {pictures}: ")
                chunks.append(None)
            elif segment == "<video>":
                raise SampleRejected(
                    "qwen-vl-finetune fails the sample: a <video> placeholder without a video"
                )
            elif segment.strip():
                chunks.append(segment.strip())
        chunks.append("<|im_end|>\n")
    if pictures != len(pad_counts):
        raise SampleRejected(
            f"qwen-vl-finetune fails the sample ('{len(pad_counts) - pictures} image(s) remain "
            "unused') and trains on the next one"
        )
    images = ImageIds(pad_counts)
    ids: list[int] = []
    text: list[str] = []
    for chunk in chunks:
        if chunk is None:
            ids += encoder.encode("".join(text))
            text.clear()
            ids += images.take()
        else:
            text.append(chunk)
    ids += encoder.encode("".join(text))
    return ids, finetune_labels(ids)


def finetune_labels(ids: Sequence[int]) -> list[int]:
    """From two tokens after each ``assistant`` token through ``<|im_end|>`` and one more."""
    labels = [IGNORE_INDEX] * len(ids)
    length = len(ids)
    pos = 0
    while True:
        try:
            pos = ids.index(ASSISTANT_ID, pos)
        except ValueError:
            break
        start = pos + 2
        try:
            end = ids.index(IM_END_ID, start) if start < length else length
        except ValueError:
            end = length
        if end < length:
            labels[start : end + 2] = ids[start : end + 2]
            pos = end
        pos += 1
    return labels
