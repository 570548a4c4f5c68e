"""ms-swift's encoding of a sample for ``qwen2_vl`` / ``qwen2_5_vl`` / ``qwen3_vl`` templates.

Read from ``swift/template/base.py`` (``_preprocess_inputs``, ``_add_default_tags``,
``_swift_prepare_inputs``, ``_swift_encode``, ``_simplify_context_list``,
``_encode_context_list``, ``_add_dynamic_eos``, ``_truncate``) and
``swift/template/templates/qwen.py`` (``Qwen2VLTemplate``), with the default ``loss_scale``
(answers and the suffix ``<|im_end|>\\n`` supervised, everything else not):

- missing ``<image>`` tags are put in front of the first message; extra ones stay text;
- consecutive messages of one role are joined; a leading answer gets an empty question;
- every string of equal loss weight is tokenised as one piece; each picture is
  ``<|vision_start|><|image_pad|><|vision_end|>``, its one pad then widened to N;
- a last answer that ends in a stop word (``<|endoftext|>``, ``<|im_end|>``) gets no suffix;
- the first label is always -100;
- over ``max_length``: ``delete`` drops the row, ``raise`` raises, ``left``/``right`` drop
  other tokens but never a pad token.
"""

from __future__ import annotations

from collections.abc import Sequence

from datakit.family.encoding import FamilyTextEncoder
from datakit.family.framework_encode import SampleRejected
from datakit.family.profiles import ModelProfile
from datakit.family.template import (
    IGNORE_INDEX,
    IMAGE_PAD_ID,
    IMAGE_PLACEHOLDER,
    FrameworkOptions,
    Message,
)

SUFFIX = "<|im_end|>\n"
# TemplateMeta.stop_words for the Qwen templates (QwenTemplateMeta's own, the suffix's last
# token and the tokenizer's eos): a last answer ending in one of them gets no suffix.
_STOP_WORDS = ("<|endoftext|>", "<|im_end|>")
_VISION = "<|vision_start|><|image_pad|><|vision_end|>"
# Template.special_tokens: split off before the tags are replaced, then joined back.
_TAGS = (
    "<image>", "<video>", "<audio>", "<bbox>", "<ref-object>", "<cot-process>", "<start-image>"
)


def _merge_roles(messages: list[Message]) -> list[Message]:
    out: list[Message] = []
    for message in messages:
        if out and out[-1].role == message.role and message.role in ("user", "assistant"):
            out[-1] = Message(message.role, out[-1].content + message.content)
        else:
            out.append(message)
    return out


def swift_encode(
    encoder: FamilyTextEncoder,
    messages: Sequence[Message],
    model: ModelProfile,
    pad_counts: Sequence[int],
    options: FrameworkOptions,
) -> tuple[list[int], list[int]]:
    """``(input_ids, labels)`` before any truncation."""
    turns = list(messages)
    system: str | None = None
    if turns and turns[0].role == "system":
        system = turns.pop(0).content
    if system is None:
        system = options.system if options.system is not None else model.default_system
    for message in turns:
        if message.role not in ("user", "assistant"):
            raise SampleRejected(f"ms-swift has no role {message.role!r} inside a dialogue")
    if pad_counts and turns:
        everything = "\n".join(m.content for m in turns)
        if system:
            everything = f"{system}\n{everything}"
        missing = len(pad_counts) - everything.count(IMAGE_PLACEHOLDER)
        if missing > 0:
            turns[0] = Message(turns[0].role, IMAGE_PLACEHOLDER * missing + turns[0].content)
    turns = _merge_roles(turns)
    if turns and turns[0].role == "assistant":
        turns.insert(0, Message("user", ""))
    # (text, supervised) in order; a None text is the next picture.
    contexts: list[tuple[str, bool]] = []
    if system:
        contexts.append((f"<|im_start|>system\n{system}<|im_end|>\n", False))
    rounds = [
        (turns[i], turns[i + 1] if i + 1 < len(turns) else None) for i in range(0, len(turns), 2)
    ]
    for index, (query, response) in enumerate(rounds):
        if query.role != "user" or (response is not None and response.role != "assistant"):
            raise SampleRejected("ms-swift needs questions and answers in turn")
        contexts.append(
            (f"<|im_start|>user\n{query.content}<|im_end|>\n<|im_start|>assistant\n", False)
        )
        if response is None:
            continue
        contexts.append((response.content, True))
        # A round's end is chat_sep (not supervised) or, last, the suffix (supervised);
        # _add_dynamic_eos then supervises the chat_sep right after an answer as well.
        last = index == len(rounds) - 1
        if not (last and response.content.endswith(_STOP_WORDS)):
            contexts.append((SUFFIX, last))
    ids, labels = _encode_contexts(encoder, contexts, len(pad_counts))
    _add_dynamic_eos(ids, labels, encoder.encode(SUFFIX))
    if labels:
        labels[0] = IGNORE_INDEX
    return _expand_pads(ids, labels, pad_counts)


def _encode_contexts(
    encoder: FamilyTextEncoder, contexts: list[tuple[str, bool]], pictures: int
) -> tuple[list[int], list[int]]:
    pieces: list[tuple[str, bool]] = []
    taken = 0
    for text, supervised in contexts:
        for part in _split_tags(text):
            if part == IMAGE_PLACEHOLDER and taken < pictures:
                taken += 1
                pieces.append((_VISION, False))
            else:
                pieces.append((part, supervised))
    ids: list[int] = []
    labels: list[int] = []
    start = 0
    while start < len(pieces):
        weight = pieces[start][1]
        end = start
        while end < len(pieces) and pieces[end][1] == weight:
            end += 1
        chunk = encoder.encode("".join(text for text, _ in pieces[start:end]))
        ids += chunk
        labels += chunk if weight else [IGNORE_INDEX] * len(chunk)
        start = end
    return ids, labels


def _split_tags(text: str) -> list[str]:
    if "<" not in text:
        return [text]
    parts = [text]
    for tag in _TAGS:
        if tag not in text:
            continue
        split: list[str] = []
        for part in parts:
            if part in _TAGS:
                split.append(part)
                continue
            pieces = part.split(tag)
            for i, piece in enumerate(pieces):
                if i:
                    split.append(tag)
                if piece:
                    split.append(piece)
        parts = split
    return parts


def _add_dynamic_eos(ids: list[int], labels: list[int], suffix: list[int]) -> None:
    """Supervise the suffix tokens that open an unsupervised run right after an answer."""
    size = len(suffix)
    start = 0
    n = len(labels)
    for i in range(1, n + 1):
        if labels[i - 1] >= 0 and i < n and labels[i] == IGNORE_INDEX:
            start = i
        elif (
            start > 0
            and labels[i - 1] == IGNORE_INDEX
            and (i == n or labels[i] >= 0)
            and i - start >= size
            and ids[start : start + size] == suffix
        ):
            labels[start : start + size] = suffix


def _expand_pads(
    ids: list[int], labels: list[int], pad_counts: Sequence[int]
) -> tuple[list[int], list[int]]:
    if ids.count(IMAGE_PAD_ID) != len(pad_counts):
        raise SampleRejected(
            f"ms-swift fails the sample: {ids.count(IMAGE_PAD_ID)} <|image_pad|> token(s) for "
            f"{len(pad_counts)} picture(s): a literal <|image_pad|> in the text takes a "
            "picture's place"
        )
    if not pad_counts:
        return ids, labels
    out_ids: list[int] = []
    out_labels: list[int] = []
    start = 0
    for count in pad_counts:
        at = ids.index(IMAGE_PAD_ID, start)
        out_ids += ids[start:at]
        out_labels += labels[start:at]
        out_ids += [IMAGE_PAD_ID] * count
        out_labels += [IGNORE_INDEX] * count
        start = at + 1
    out_ids += ids[start:]
    out_labels += labels[start:]
    return out_ids, out_labels


def swift_truncate(
    ids: list[int], labels: list[int], max_len: int, left: bool
) -> tuple[list[int], list[int]]:
    """``Template._truncate``: pad tokens are kept; the others are cut from one end."""
    protected = [i for i, t in enumerate(ids) if t == IMAGE_PAD_ID]
    keep = set(protected)
    room = max_len - len(protected)
    if room > 0:
        others = [i for i, t in enumerate(ids) if t != IMAGE_PAD_ID]
        keep.update(others[-room:] if left else others[:room])
    order = sorted(keep)
    kept_ids = [ids[i] for i in order]
    kept_labels = [labels[i] for i in order]
    if kept_labels:
        kept_labels[0] = IGNORE_INDEX
    return kept_ids, kept_labels
