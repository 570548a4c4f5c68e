"""Per-sample accounting exactly as Qwen-VL's ``finetune.py`` ``preprocess`` builds a sample.

Layout (token positions from 0), with S for supervised (label kept) and - for label -100::

    system block  <|im_start|> system \\n You are a helpful assistant. <|im_end|> \\n   11 tokens
                  S            -      -  - ...                         S          S
    each turn     <|im_start|> user|assistant \\n VALUE <|im_end|> \\n          VALUE + 5
      user        S            -              -  -     S          S
      assistant   S            -              -  S     S          S

then padding with ``<|endoftext|>`` and a plain right cut at ``max_len``. A first message from
``assistant`` is dropped; any role other than ``user``/``assistant`` raises ``KeyError``.

Cut fields, for a sample longer than ``max_len`` (``truncated``): ``cut_at`` is the index of the
first dropped token (= ``max_len``); ``cut_in_image`` says an ``<img>`` survives while its
``</img>`` does not (training crashes); ``supervised_after_cut`` counts labels that survive;
``answer_cut`` says the last assistant turn's answer, its value tokens and the ``<|im_end|>`` that
closes it, does not survive whole (dropping only the final newline does not count).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from datakit.qwenvl.text_tokens import IMAGE_TOKENS, TextScanner
from datakit.qwenvl.token_problems import UNMATCHED_IMAGE_END, TokenProblem
from datakit.shown import shown

SYSTEM_TOKENS = 11
SYSTEM_SUPERVISED = 3  # <|im_start|>, <|im_end|>, "\n"
TURN_OVERHEAD = 5  # <|im_start|>, role, "\n" before the value; <|im_end|>, "\n" after it

UNKNOWN_ROLE = "unknown-role"
EMPTY_CONVERSATIONS = "empty-conversations"
MALFORMED = "malformed"
NOT_A_STRING = "value-not-a-string"
LEADING_ASSISTANT_DROPPED = "leading-assistant-dropped"

_IS_ASSISTANT = {"user": False, "assistant": True}


# Not frozen: one is made per sample, and a frozen dataclass's __init__ (an
# object.__setattr__ per field) costs more than all the arithmetic of a short sample.
@dataclass(slots=True)
class SampleTokens:
    """What the trainer makes of one sample (see the module docstring for every field).

    ``tokens`` is the unpadded length before the cut, ``supervised_tokens`` the label count
    before the cut. When ``error`` is set (the trainer's exception, e.g. ``"KeyError: 'human'"``)
    the sample never reaches training and every count is 0.
    """

    tokens: int
    supervised_tokens: int
    images: int
    max_len: int
    truncated: bool = False
    cut_at: int | None = None
    cut_in_image: bool = False
    supervised_after_cut: int = 0
    answer_cut: bool = False
    error: str | None = None
    problems: tuple[TokenProblem, ...] = ()


def exception_text(exc: BaseException) -> str:
    """The last line of the trainer's traceback for this exception."""
    return f"{type(exc).__name__}: {exc}"


def _failed(max_len: int, error: str, problems: list[TokenProblem]) -> SampleTokens:
    return SampleTokens(0, 0, 0, max_len, error=error, problems=tuple(problems))


def account_record(scanner: TextScanner, record: Any, max_len: int) -> SampleTokens:
    """One item of the training file, read as the trainer reads it: ``record["conversations"]``."""
    try:
        conversations = record["conversations"]
    except Exception as exc:  # mirrors whatever the trainer's lookup raises
        text = (
            "the record has no 'conversations' key"
            if isinstance(record, Mapping)
            else f"the record is {_json_type(record)}, not an object with 'conversations'"
        )
        problem = TokenProblem(MALFORMED, text, fatal=True)
        return _failed(max_len, exception_text(exc), [problem])
    return account_conversations(scanner, conversations, max_len)


def account_conversations(scanner: TextScanner, conversations: Any, max_len: int) -> SampleTokens:
    problems: list[TokenProblem] = []
    try:
        first = conversations[0]
    except Exception as exc:
        kind = EMPTY_CONVERSATIONS if isinstance(exc, IndexError) else MALFORMED
        text = (
            "'conversations' is empty"
            if kind == EMPTY_CONVERSATIONS
            else f"'conversations' is {_json_type(conversations)}, not a list of messages"
        )
        return _failed(max_len, exception_text(exc), [TokenProblem(kind, text, fatal=True)])
    try:
        role = first["from"]
    except Exception as exc:
        problems.append(_malformed_message(first, 0, "from"))
        return _failed(max_len, exception_text(exc), problems)
    try:
        drop_first = _IS_ASSISTANT[role]
    except Exception as exc:
        problems.append(_role_problem(role, 0))
        return _failed(max_len, exception_text(exc), problems)
    if drop_first:
        problems.append(
            TokenProblem(
                LEADING_ASSISTANT_DROPPED,
                "the first message is from 'assistant': the trainer silently drops it",
                message_index=0,
            )
        )

    normalize = unicodedata.normalize
    scan = scanner.scan
    error: str | None = None
    position = SYSTEM_TOKENS
    supervised = SYSTEM_SUPERVISED
    images = 0
    # (start position, value tokens, is assistant, <img> offsets within the value)
    turns: list[tuple[int, int, bool, list[int] | None]] = []
    for index, message in enumerate(conversations):
        if drop_first:
            drop_first = False
            continue
        try:
            role = message["from"]
        except Exception as exc:
            problems.append(_malformed_message(message, index, "from"))
            error = error or exception_text(exc)
            continue
        try:
            is_assistant = _IS_ASSISTANT[role]
        except Exception as exc:
            problems.append(_role_problem(role, index))
            error = error or exception_text(exc)
            continue
        try:
            value = message["value"]
        except Exception as exc:
            problems.append(_malformed_message(message, index, "value"))
            error = error or exception_text(exc)
            continue
        if type(value) is not str:
            problems.append(
                TokenProblem(
                    NOT_A_STRING,
                    f"'value' is {_json_type(value)}, not a string: the tokenizer rejects it",
                    message_index=index,
                    fatal=True,
                )
            )
            error = error or f"ValueError: value is {_json_type(value)}, not a string"
            continue
        n_tokens, n_images, image_starts, text_problems, text_error = scan(normalize("NFC", value))
        if text_problems:
            # The constructor, not dataclasses.replace: ten times faster, and a value may hold
            # a million problems.
            problems.extend(
                TokenProblem(p.kind, p.message, index, p.offset, p.fatal) for p in text_problems
            )
        if text_error is not None:
            error = error or text_error
        if error is not None:
            continue
        turns.append((position, n_tokens, is_assistant, image_starts))
        position += n_tokens + TURN_OVERHEAD
        images += n_images
        supervised += n_tokens + 3 if is_assistant else 3
    if error is not None:
        return _failed(max_len, error, problems)
    if images and problems:
        problems = [_fatal_if_unmatched(p) for p in problems]
    if position <= max_len:
        return SampleTokens(
            position,
            supervised,
            images,
            max_len,
            supervised_after_cut=supervised,
            problems=tuple(problems),
        )
    return _cut(position, supervised, images, max_len, turns, tuple(problems))


def _cut(
    total: int,
    supervised: int,
    images: int,
    max_len: int,
    turns: list[tuple[int, int, bool, list[int] | None]],
    problems: tuple[TokenProblem, ...],
) -> SampleTokens:
    cut = max_len
    kept = (cut > 0) + (cut > 9) + (cut > 10)  # supervised positions of the system block
    cut_in_image = False
    answer_cut = False
    for start, n_value, is_assistant, image_starts in turns:
        value_start = start + 3
        end_position = value_start + n_value  # <|im_end|>
        if is_assistant:
            answer_cut = end_position >= cut
        if start >= cut:
            continue
        kept += 1
        if is_assistant:
            kept += min(max(cut - value_start, 0), n_value)
        kept += (end_position < cut) + (end_position + 1 < cut)
        if image_starts:
            for offset in image_starts:
                first = value_start + offset
                if first < cut <= first + IMAGE_TOKENS - 1:
                    cut_in_image = True
    return SampleTokens(
        total,
        supervised,
        images,
        max_len,
        True,
        cut,
        cut_in_image,
        kept,
        answer_cut,
        problems=problems,
    )


def _fatal_if_unmatched(p: TokenProblem) -> TokenProblem:
    if p.kind == UNMATCHED_IMAGE_END and not p.fatal:
        return TokenProblem(p.kind, p.message, p.message_index, p.offset, True)
    return p


def _role_problem(role: Any, index: int) -> TokenProblem:
    return TokenProblem(
        UNKNOWN_ROLE,
        f"'from' is {shown(role)}; the trainer knows only 'user' and 'assistant' (KeyError)",
        message_index=index,
        fatal=True,
    )


def _malformed_message(message: Any, index: int, key: str) -> TokenProblem:
    if isinstance(message, Mapping):
        text = f"the message has no {key!r} key"
    else:
        text = f"the message is {_json_type(message)}, not an object with 'from' and 'value'"
    return TokenProblem(MALFORMED, text, message_index=index, fatal=True)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
