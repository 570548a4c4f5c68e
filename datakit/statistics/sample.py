"""The facts of one sample: what it costs the trainer and what it holds.

``analyse_record`` never raises on any record: a record that does not parse, or that the trainer
would reject, still yields facts (with ``parse_error`` or ``trainer_error`` set and token counts
of 0) so that every record has its row.

Counting rules (they are the documented meaning of the Parquet columns):

- ``turns``: entries of ``conversations`` (each message is one turn of the chat template).
- ``images``, ``boxes``, ``refs``: ``<img>``, ``<box>`` and ``<ref>`` spans found by the message
  grammar in every string ``value``; malformed boxes count as boxes (``malformed_boxes`` too).
- ``han_chars`` / ``latin_letters``: characters of the text the model reads, that is plain text
  and ref text, not image paths, coordinates or ``Picture N:`` labels.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from datakit.io.parse import parse_record
from datakit.io.records import RawRecord
from datakit.qwenvl.grammar import Box, Image, Ref, Text, parse_value
from datakit.qwenvl.sample_tokens import SampleTokens

# Everything but the CJK Unified Ideographs with extension A, compatibility ideographs and the
# supplementary ideographic planes (extensions B and later). Deleting the rest and measuring
# what is left is faster than collecting matches.
_NOT_HAN = re.compile("[^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
# Everything but ASCII letters and the Latin-1 / Latin Extended-A and -B letters (the x and /
# signs are not letters).
_NOT_LATIN = re.compile("[^A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]+")


@dataclass(frozen=True, slots=True)
class SampleFacts:
    """One record, reduced to numbers. Token fields follow ``SampleTokens``: ``tokens`` is the
    unpadded length before the cut at ``max_len``; all are 0 when the trainer rejects the
    sample (``trainer_error``) or the record is not JSON (``parse_error``)."""

    file: str
    index: int
    line: int | None
    record_id: str | None
    tokens: int = 0
    supervised_tokens: int = 0
    supervised_after_cut: int = 0
    truncated: bool = False
    cut_in_image: bool = False
    answer_cut: bool = False
    trainer_error: str | None = None
    parse_error: str | None = None
    turns: int = 0
    images: int = 0
    boxes: int = 0
    malformed_boxes: int = 0
    refs: tuple[str, ...] = ()
    # (width, height) on the 0..999 grid of every well-formed box with x1 < x2 and y1 < y2
    box_sizes_norm1000: tuple[tuple[int, int], ...] = ()
    inverted_boxes: int = 0  # well-formed but x2 <= x1 or y2 <= y1
    image_paths: tuple[str, ...] = ()
    han_chars: int = 0
    latin_letters: int = 0
    # 64-bit digest of the conversations (None when there are none to compare)
    fingerprint: int | None = None
    id_digest: int | None = None

    @property
    def rejected(self) -> bool:
        """The sample never reaches training (unparseable or rejected by the trainer)."""
        return self.parse_error is not None or self.trainer_error is not None


def record_id(record: Any) -> str | None:
    """The record's ``id`` as text (strings and integers only), as validation reports it."""
    if isinstance(record, dict):
        raw = record.get("id")
        if isinstance(raw, (str, int)) and not isinstance(raw, bool):
            return str(raw)
    return None


def analyse_raw(raw: RawRecord, counter: Any, max_len: int) -> SampleFacts:
    """Parse one raw record and analyse it (``counter`` is a ``QwenTokenCounter``)."""
    parsed = parse_record(raw)
    if parsed.error is not None:
        return SampleFacts(raw.file, raw.index, raw.line, None, parse_error=parsed.error)
    return analyse_record(raw.file, raw.index, raw.line, parsed.value, counter, max_len)


def analyse_record(
    file: str, index: int, line: int | None, record: Any, counter: Any, max_len: int
) -> SampleFacts:
    """The facts of one decoded record."""
    rid = record_id(record)
    tokens: SampleTokens = counter.account_record(record, max_len)
    conversations = record.get("conversations") if isinstance(record, dict) else None
    content = _Content()
    turns = 0
    if isinstance(conversations, list):
        turns = len(conversations)
        for message in conversations:
            value = message.get("value") if isinstance(message, dict) else None
            if isinstance(value, str):
                content.add(value)
    return SampleFacts(
        file=file,
        index=index,
        line=line,
        record_id=rid,
        tokens=tokens.tokens,
        supervised_tokens=tokens.supervised_tokens,
        supervised_after_cut=tokens.supervised_after_cut,
        truncated=tokens.truncated,
        cut_in_image=tokens.cut_in_image,
        answer_cut=tokens.answer_cut,
        trainer_error=tokens.error,
        turns=turns,
        images=len(content.image_paths),
        boxes=content.boxes,
        malformed_boxes=content.malformed,
        refs=tuple(content.refs),
        box_sizes_norm1000=tuple(content.sizes),
        inverted_boxes=content.inverted,
        image_paths=tuple(content.image_paths),
        han_chars=content.han,
        latin_letters=content.latin,
        fingerprint=None if conversations is None else _digest(conversations),
        id_digest=None if rid is None else _digest(rid),
    )


class _Content:
    """Running counts over the values of one sample."""

    __slots__ = ("boxes", "han", "image_paths", "inverted", "latin", "malformed", "refs", "sizes")

    def __init__(self) -> None:
        self.boxes = self.malformed = self.inverted = self.han = self.latin = 0
        self.refs: list[str] = []
        self.sizes: list[tuple[int, int]] = []
        self.image_paths: list[str] = []

    def add(self, value: str) -> None:
        for segment in parse_value(value).segments:
            if isinstance(segment, Text):
                self._text(segment.text)
            elif isinstance(segment, Ref):
                self.refs.append(segment.text.strip())
                self._text(segment.text)
            elif isinstance(segment, Box):
                self.boxes += 1
                xyxy = segment.xyxy_norm1000
                if xyxy is None:
                    self.malformed += 1
                elif xyxy[2] > xyxy[0] and xyxy[3] > xyxy[1]:
                    self.sizes.append((xyxy[2] - xyxy[0], xyxy[3] - xyxy[1]))
                else:
                    self.inverted += 1
            elif isinstance(segment, Image):
                self.image_paths.append(segment.path)

    def _text(self, text: str) -> None:
        if text.isascii():
            self.latin += sum(c.isalpha() for c in text)
            return
        self.han += len(_NOT_HAN.sub("", text))
        self.latin += len(_NOT_LATIN.sub("", text))


def content_counts(texts: Iterable[str]) -> tuple[int, int]:
    """(Chinese characters, Latin letters) of ``texts``, counted as for a v1 sample's text."""
    content = _Content()
    for text in texts:
        content._text(text)
    return content.han, content.latin


def digest(value: Any) -> int:
    """64-bit digest of a JSON-like value (duplicate detection)."""
    return _digest(value)


def _digest(value: Any) -> int:
    try:
        blob = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        blob = repr(value).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(blob, digest_size=8).digest(), "little")
