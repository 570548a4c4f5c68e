"""Rows of ``datakit tokens``: one JSON object per sample, built where the record is parsed.

Workers return each row already serialised (bytes) with the few numbers the summary needs,
so the parent process only writes and adds up.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

import orjson

from datakit.io.parse import parse_record
from datakit.io.records import RawRecord
from datakit.qwenvl.sample_tokens import SampleTokens

BATCH_RECORDS = 512
_INT64 = 2**63
_BIG_INT = re.compile(rb"[0-9]{19}")  # may not fit 64 bits: orjson would return a float


class RowFacts(NamedTuple):
    """What the summary needs of one sample; ``tokens`` is None when the trainer fails on it.
    (A tuple: one is made per sample and pickled back from the workers.)"""

    tokens: int | None
    truncated: bool
    cut_in_image: bool
    answer_cut: bool
    fails: bool  # the trainer raises, the model crashes, or the record is not valid JSON


Task = tuple[int, "str | None", list[RawRecord]]


def sample_row(
    file: str, index: int, line: int | None, record_id: Any, result: SampleTokens
) -> dict[str, Any]:
    """The JSON object of one sample (every field of ``SampleTokens``, with its position)."""
    return {
        "file": file,
        "index": index,
        "line": line,
        "id": record_id,
        "tokens": result.tokens,
        "supervised_tokens": result.supervised_tokens,
        "images": result.images,
        "max_len": result.max_len,
        "truncated": result.truncated,
        "cut_at": result.cut_at,
        "cut_in_image": result.cut_in_image,
        "supervised_after_cut": result.supervised_after_cut,
        "answer_cut": result.answer_cut,
        "error": result.error,
        "problems": [
            {
                "kind": p.kind,
                "message_index": p.message_index,
                "offset": p.offset,
                "fatal": p.fatal,
                "message": p.message,
            }
            for p in result.problems
        ],
    }


def json_id(record: Any) -> str | int | float | None:
    """The record's ``id`` if it is a JSON scalar that survives a round trip, else None."""
    if not isinstance(record, dict):
        return None
    raw = record.get("id")
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str) or (isinstance(raw, int) and -_INT64 <= raw < _INT64):
        return raw
    if isinstance(raw, float) and math.isfinite(raw):
        return raw
    return None


def account_batch(task: Task) -> list[tuple[bytes, RowFacts]]:
    """The unit of work of worker processes: parse and account one batch of raw records."""
    from datakit.qwenvl.tokens import QwenTokenCounter

    max_len, tokenizer, batch = task
    counter = QwenTokenCounter.load(tokenizer)
    return list(_rows(counter, max_len, batch))


def _value(raw: RawRecord) -> tuple[Any, str | None]:
    """The record as ``json.load`` reads it. Only the value matters here, so the duplicate-key
    notes of ``parse_record`` (which cost more than the parse) are skipped: orjson keeps the
    last duplicate exactly as ``json`` does. What orjson rejects (NaN, lone surrogates,
    errors) goes through ``parse_record``, and so does a record whose integers beyond 64 bits
    orjson turned into floats, where that changes a row (the id, a role, a record's type)."""
    data = raw.raw
    if data is None:
        return raw.value, None
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    else:
        if not _float_shown(value) or _BIG_INT.search(data) is None:
            return value, None
    parsed = parse_record(raw)
    return parsed.value, parsed.error


def _float_shown(value: Any) -> bool:
    """Whether a float sits where a row or an error message would show it."""
    if type(value) is float:
        return True
    if type(value) is not dict:
        return False
    conversations = value.get("conversations")
    if type(value.get("id")) is float or type(conversations) is float:
        return True
    if type(conversations) is list:
        for message in conversations:
            if type(message) is float:
                return True
            if type(message) is dict and type(message.get("from")) is float:
                return True
    return False


def _rows(counter: Any, max_len: int, batch: list[RawRecord]) -> Iterator[tuple[bytes, RowFacts]]:
    for raw in batch:
        value, parse_error = _value(raw)
        if parse_error is not None:
            result = SampleTokens(0, 0, 0, max_len, error=parse_error)
            row = sample_row(raw.file, raw.index, raw.line, None, result)
            yield orjson.dumps(row), RowFacts(None, False, False, False, True)
            continue
        result = counter.account_record(value, max_len)
        row = sample_row(raw.file, raw.index, raw.line, json_id(value), result)
        fails = result.error is not None or result.cut_in_image
        fails = fails or any(p.fatal for p in result.problems)
        facts = RowFacts(
            None if result.error is not None else result.tokens,
            result.truncated,
            result.cut_in_image,
            result.answer_cut,
            fails,
        )
        yield orjson.dumps(row), facts
