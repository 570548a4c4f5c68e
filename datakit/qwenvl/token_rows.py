"""Rows of ``datakit tokens``: one JSON object per sample, built where the record is parsed.

Workers return each row already serialised (bytes) with the few numbers the summary needs,
so the parent process only writes and adds up. Tasks and rows travel between processes as
plain tuples: pickling a dataclass per record costs more than accounting it.
"""

from __future__ import annotations

import math
import re
from typing import Any

import orjson

from datakit.io.parse import parse_record
from datakit.io.records import RawRecord
from datakit.qwenvl.sample_tokens import SampleTokens

BATCH_RECORDS = 512
_INT64 = 2**63
_BIG_INT = re.compile(rb"[0-9]{19}")  # may not fit 64 bits: orjson would return a float


# One record in a task: (index, line, column, raw JSON bytes or None, decoded value).
TaskRecord = tuple[int, "int | None", "int | None", "bytes | None", Any]
# (max_len, tokenizer, file, records)
Task = tuple[int, "str | None", str, list[TaskRecord]]
# (JSON row, tokens or None when the trainer fails, truncated, cut_in_image, answer_cut,
#  fails: the trainer raises, the model crashes, or the record is not valid JSON)
Row = tuple[bytes, "int | None", bool, bool, bool, bool]


def make_task(max_len: int, tokenizer: str | None, batch: list[RawRecord]) -> Task:
    """A batch of raw records as the picklable tuple ``account_batch`` takes."""
    file = batch[0].file if batch else ""
    records = [(r.index, r.line, r.column, r.raw, r.value) for r in batch]
    return max_len, tokenizer, file, records


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


def account_batch(task: Task) -> list[Row]:
    """The unit of work of worker processes: parse and account one batch of raw records."""
    from datakit.qwenvl.tokens import QwenTokenCounter

    max_len, tokenizer, file, records = task
    counter = QwenTokenCounter.load(tokenizer)
    rows: list[Row] = []
    for index, line, column, data, decoded in records:
        value, parse_error = _value(file, index, line, column, data, decoded)
        if parse_error is not None:
            failed = SampleTokens(0, 0, 0, max_len, error=parse_error)
            row = sample_row(file, index, line, None, failed)
            rows.append((orjson.dumps(row), None, False, False, False, True))
            continue
        result = counter.account_record(value, max_len)
        row = sample_row(file, index, line, json_id(value), result)
        fails = result.error is not None or result.cut_in_image
        fails = fails or any(p.fatal for p in result.problems)
        tokens = None if result.error is not None else result.tokens
        rows.append(
            (
                orjson.dumps(row),
                tokens,
                result.truncated,
                result.cut_in_image,
                result.answer_cut,
                fails,
            )
        )
    return rows


def _value(
    file: str, index: int, line: int | None, column: int | None, data: bytes | None, decoded: Any
) -> tuple[Any, str | None]:
    """The record as ``json.load`` reads it. Only the value matters here, so the duplicate-key
    notes of ``parse_record`` (which cost more than the parse) are skipped: orjson keeps the
    last duplicate exactly as ``json`` does. What orjson rejects (NaN, lone surrogates,
    errors) goes through ``parse_record``, and so does a record whose integers beyond 64 bits
    orjson turned into floats, where that changes a row (the id, a role, a record's type)."""
    if data is None:
        return decoded, None
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    else:
        if not _float_shown(value) or _BIG_INT.search(data) is None:
            return value, None
    parsed = parse_record(RawRecord(file, index, line, column, None, raw=data))
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
