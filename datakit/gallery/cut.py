"""Where the trainer's right cut at ``max_len`` falls in a sample's conversation.

``finetune.py`` lays a sample out as the system block (11 tokens) and then, per turn,
``<|im_start|>``, the role, ``\\n``, the value's tokens, ``<|im_end|>``, ``\\n``; it cuts at
``max_len`` tokens (see ``qwenvl.sample_tokens``). The exact counter gives the cut's token
position; this module turns it into a message and a character: the first character of the
value whose token is dropped. A cut inside an image marks the image's ``<img>``; a cut before a
turn's value (in its header) marks the value's start; a cut after it (its ``<|im_end|>`` or
final newline) marks its end. When the value changes under NFC normalisation (the tokenizer's
first step) the character is not known and only the message is marked.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datakit.errors import DatakitError
from datakit.validation.settings import Settings

SYSTEM_TOKENS = 11
TURN_HEADER = 3  # <|im_start|>, role, "\n" before a value
TURN_OVERHEAD = 5  # the header, and <|im_end|>, "\n" after the value


@dataclass(frozen=True)
class CutMark:
    """The cut of one sample: the first message it touches and the character there (``None``
    when only the message is known); messages after it are dropped whole."""

    message_index: int
    char_offset: int | None
    max_len: int
    tokens: int  # the sample's length before the cut


def mark_cuts(records: Sequence[Any], settings: Settings) -> tuple[list[CutMark | None], str]:
    """The cut of each record (``None`` when it fits), and a note when cuts could not be
    looked for (the vocabulary does not load). The vocabulary is loaded only when some record
    could be longer than ``max_len``."""
    max_len = settings.max_len
    if not any(_may_exceed(record, max_len) for record in records):
        return [None] * len(records), ""
    from datakit.qwenvl.tokens import QwenTokenCounter

    tokenizer = settings.tokenizer
    if tokenizer is not None:  # a path in [tool.datakit] is relative to its file
        tokenizer = str(Path(settings.base_dir) / tokenizer)
    try:
        counter = QwenTokenCounter.load(tokenizer)
    except DatakitError as exc:
        return [None] * len(records), f"Cuts at max_len not marked: {exc.message}"
    return [find_cut(counter, record, max_len) for record in records], ""


def _may_exceed(record: Any, max_len: int) -> bool:
    """False when the record surely fits: every token but an image's padding covers at least
    one UTF-8 byte of NFC text, and an image is 258 tokens."""
    conversations = record.get("conversations") if isinstance(record, dict) else None
    if not isinstance(conversations, list):
        return False
    bound = SYSTEM_TOKENS
    for message in conversations:
        value = message.get("value") if isinstance(message, dict) else None
        if isinstance(value, str):
            text = unicodedata.normalize("NFC", value)
            bound += TURN_OVERHEAD + len(text.encode("utf-8", "surrogatepass"))
            bound += 258 * text.count("<img>")
    return bound > max_len


def find_cut(counter: Any, record: Any, max_len: int) -> CutMark | None:
    """The cut of one record with a ``QwenTokenCounter``, or ``None`` when it fits (or the
    trainer fails on it before any cut)."""
    sample = counter.account_sample(record, max_len=max_len)
    if sample.error is not None or not sample.truncated or sample.cut_at is None:
        return None
    cut = sample.cut_at
    conversations = record["conversations"]
    position = SYSTEM_TOKENS
    first = 0
    if conversations and conversations[0].get("from") == "assistant":
        first = 1  # the trainer drops a leading assistant turn
    last = first
    for index in range(first, len(conversations)):
        last = index
        value = conversations[index]["value"]
        n_value = counter.count_text(value).tokens
        value_start = position + TURN_HEADER
        if cut < value_start + n_value + 2:
            offset: int | None
            if cut <= value_start:
                offset = 0
            elif cut >= value_start + n_value:
                offset = len(value)
            else:
                offset = _char_of_token(counter, value, cut - value_start)
            return CutMark(index, offset, max_len, sample.tokens)
        position = value_start + n_value + 2
    return CutMark(last, None, max_len, sample.tokens)  # not reached for a truncated sample


def _char_of_token(counter: Any, value: str, token: int) -> int | None:
    """The character offset in ``value`` where its ``token``-th token starts."""
    from datakit.qwenvl.text_tokens import IMAGE_TOKENS
    from datakit.qwenvl.vocab import IMG_START_ID

    if unicodedata.normalize("NFC", value) != value:
        return None
    data = value.encode("utf-8", "surrogatepass")
    ids = counter.encode_text(value)
    decode = counter.encoding.decode_single_token_bytes
    cursor = i = 0
    while i < token:
        if ids[i] == IMG_START_ID:
            if token < i + IMAGE_TOKENS:
                break  # inside this image: mark its <img>
            close = data.find(b"</img>", cursor)
            if close < 0:
                return None
            cursor, i = close + len(b"</img>"), i + IMAGE_TOKENS
            continue
        cursor += len(decode(ids[i]))
        i += 1
    if cursor > len(data):
        return None
    # A cut inside a character's bytes marks that character.
    return len(data[:cursor].decode("utf-8", "ignore"))
