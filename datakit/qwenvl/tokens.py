"""Exact Qwen-VL token accounting: the public API.

``QwenTokenCounter`` gives the numbers Qwen-VL's own tokenizer and ``finetune.py`` ``preprocess``
give, sample for sample, at tiktoken speed::

    counter = QwenTokenCounter.load()            # the vocabulary installed with dashscope
    counter.count_text("Picture 1: <img>a.jpg</img>\\n")   # TextTokens(tokens=264, images=1)
    counter.account_sample(record, max_len=2048)  # SampleTokens(tokens=..., truncated=...)

``account_sample`` never raises on JSON-shaped input: the trainer's failure is reported in
``SampleTokens.error`` and the details in ``SampleTokens.problems``. ``encode_text`` and
``encode_sample`` build the exact ids (slower, for tests and inspection) and do raise what the
trainer raises.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from datakit.qwenvl.sample_tokens import (
    SYSTEM_TOKENS,
    SampleTokens,
    account_conversations,
    account_record,
)
from datakit.qwenvl.text_tokens import TextScanner, TextTokens, nfc
from datakit.qwenvl.token_problems import IMG_SLOTS, TokenProblem
from datakit.qwenvl.vocab import (
    ENDOFTEXT_ID,
    IM_END_ID,
    IM_START_ID,
    IMG_END_ID,
    IMG_PAD_ID,
    IMG_START_ID,
    N_RANKS,
    load_encoding,
)

__all__ = [
    "DEFAULT_MAX_LEN",
    "IGNORE_INDEX",
    "QwenTokenCounter",
    "SampleTokens",
    "TextTokens",
    "TokenProblem",
    "account_records",
]

DEFAULT_MAX_LEN = 2048  # --model_max_length of the shipped fine-tuning scripts
IGNORE_INDEX = -100

# <|im_start|> system \n You are a helpful assistant. <|im_end|> \n
SYSTEM_IDS = (IM_START_ID, 8948, 198, 2610, 525, 264, 10950, 17847, 13, IM_END_ID, 198)
ROLE_IDS = {"user": (IM_START_ID, 872), "assistant": (IM_START_ID, 77091)}
NEWLINE_ID = 198

_counters: dict[int, QwenTokenCounter] = {}


class QwenTokenCounter:
    """Token accounting over one loaded vocabulary (a ``tiktoken.Encoding``)."""

    __slots__ = ("_scanner", "encoding")

    def __init__(self, encoding: Any) -> None:
        self.encoding = encoding
        # The Rust method without the Python wrapper saves ~1 us a call on the hot path.
        core = getattr(getattr(encoding, "_core_bpe", None), "encode_ordinary", None)
        self._scanner = TextScanner(encoding.encode_ordinary, core)
        # The fixed ids above are facts of Qwen's vocabulary; a different file would break them.
        if tuple(self._encode_plain("You are a helpful assistant.")) != SYSTEM_IDS[3:9]:
            raise ValueError("this encoding is not Qwen's: the system prompt ids differ")

    @classmethod
    def load(cls, tokenizer: str | Path | None = None) -> QwenTokenCounter:
        """The counter for the vocabulary at ``tokenizer`` (see ``load_encoding``), cached."""
        encoding = load_encoding(tokenizer)
        counter = _counters.get(id(encoding))
        if counter is None:
            counter = _counters[id(encoding)] = cls(encoding)
        return counter

    def count_text(self, text: str) -> TextTokens:
        """Tokens of one message value as ``tokenizer(text)`` makes them."""
        tokens, images, _, problems, error = self._scanner.scan(nfc(text))
        if error is not None:
            tokens = 0
        return TextTokens(tokens, images, tuple(problems or ()), error)

    def account_sample(
        self, sample: Mapping[str, Any] | Any, max_len: int = DEFAULT_MAX_LEN
    ) -> SampleTokens:
        """One sample: a record (``{"conversations": [...]}``) or its conversations list."""
        if max_len < 1:
            raise ValueError(f"max_len must be at least 1, not {max_len}")
        if type(sample) is list:  # before the Mapping check, which is slow for a list
            return account_conversations(self._scanner, sample, max_len)
        if type(sample) is dict or isinstance(sample, Mapping):
            return account_record(self._scanner, sample, max_len)
        return account_conversations(self._scanner, sample, max_len)

    def account_record(self, record: Any, max_len: int = DEFAULT_MAX_LEN) -> SampleTokens:
        """One item of a training file, any JSON type, read as ``item["conversations"]``."""
        if max_len < 1:
            raise ValueError(f"max_len must be at least 1, not {max_len}")
        return account_record(self._scanner, record, max_len)

    def encode_text(self, text: str) -> list[int]:
        """The exact ids of ``tokenizer(text).input_ids``; raises what the tokenizer raises
        (``ValueError`` for a too long or unclosed image, ``TypeError`` for a special token
        inside one)."""
        ids: list[int] = self.encoding.encode(nfc(text), allowed_special="all")
        out: list[int] = []
        end = 0
        while True:
            try:
                start = ids.index(IMG_START_ID, end)
            except ValueError:
                break
            out.extend(ids[end:start])
            try:
                close = ids.index(IMG_END_ID, start)
            except ValueError:
                raise ValueError("Unclosed image token") from None
            out.extend(self._image_ids(ids[start + 1 : close]))
            end = close + 1
        out.extend(ids[end:])
        return out

    def encode_sample(
        self, sample: Mapping[str, Any] | Any, max_len: int | None = None
    ) -> tuple[list[int], list[int]]:
        """``(input_ids, labels)`` as ``preprocess`` builds them; unpadded and uncut when
        ``max_len`` is None, else padded with ``<|endoftext|>`` and cut to ``max_len``."""
        conversations = sample["conversations"] if isinstance(sample, Mapping) else sample
        source = conversations[1:] if _role_ids(conversations[0])[1] == 77091 else conversations
        input_ids = list(SYSTEM_IDS)
        labels = [IM_START_ID] + [IGNORE_INDEX] * (SYSTEM_TOKENS - 3) + [IM_END_ID, NEWLINE_ID]
        for message in source:
            role = _role_ids(message)
            value = self.encode_text(message["value"])
            input_ids += [*role, NEWLINE_ID, *value, IM_END_ID, NEWLINE_ID]
            if role[1] == 77091:
                labels += [IM_START_ID, IGNORE_INDEX, IGNORE_INDEX, *value, IM_END_ID, NEWLINE_ID]
            else:
                labels += [IM_START_ID] + [IGNORE_INDEX] * (len(value) + 2)
                labels += [IM_END_ID, NEWLINE_ID]
        if max_len is not None:
            input_ids = (input_ids + [ENDOFTEXT_ID] * (max_len - len(input_ids)))[:max_len]
            labels = (labels + [IGNORE_INDEX] * (max_len - len(labels)))[:max_len]
        return input_ids, labels

    def _encode_plain(self, text: str) -> list[int]:
        ids: list[int] = self.encoding.encode_ordinary(text)
        return ids

    def _image_ids(self, inner: list[int]) -> list[int]:
        for item, token in enumerate(inner):
            if token >= N_RANKS:
                raise TypeError(f"sequence item {item}: expected a bytes-like object, str found")
        path = b"".join(self.encoding.decode_single_token_bytes(t) for t in inner)
        if len(path) > IMG_SLOTS:
            raise ValueError("The content in <img>..</img> is too long")
        return [IMG_START_ID, *path, *[IMG_PAD_ID] * (IMG_SLOTS - len(path)), IMG_END_ID]


def _role_ids(message: Any) -> tuple[int, int]:
    return ROLE_IDS[message["from"]]


def account_records(
    records: Iterable[Any],
    max_len: int = DEFAULT_MAX_LEN,
    tokenizer: str | Path | None = None,
) -> Iterator[SampleTokens]:
    """``account_record`` over a stream of records, with one counter for the whole stream."""
    counter = QwenTokenCounter.load(tokenizer)
    for record in records:
        yield counter.account_record(record, max_len)
