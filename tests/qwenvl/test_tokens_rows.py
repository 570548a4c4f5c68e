"""Rows of ``datakit tokens``: the record value is exactly what ``json.load`` gives."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from datakit.io.records import RawRecord
from datakit.qwenvl.token_rows import _value, account_batch, json_id, make_task


def _raw(data: bytes, index: int = 0) -> RawRecord:
    return RawRecord("f.jsonl", index, index + 1, 1, 0, raw=data)


def _read(data: bytes) -> tuple[object, str | None]:
    return _value("f.jsonl", 0, 1, 1, data, None)


@pytest.mark.parametrize(
    "data",
    [
        b'{"id": 12345678901234567890123, "conversations": []}',
        b'{"conversations": [{"from": 123456789012345678901, "value": "a"}]}',
        b'{"id": "a", "id": "b", "conversations": [{"from": "user", "value": "x", "value": "y"}]}',
        b'{"id": "\\ud800", "conversations": []}',
        b'{"id": 1.5, "conversations": 7}',
        b"123456789012345678901234",
    ],
)
def test_value_is_what_json_load_reads(data: bytes) -> None:
    assert _read(data) == (json.loads(data), None)


def test_nan_is_read_as_json_does() -> None:
    value, error = _read(b'{"id": NaN}')
    assert error is None and math.isnan(value["id"])


def test_invalid_json_is_reported_once() -> None:
    value, error = _read(b'{"id": ')
    assert value is None and error is not None
    ((row, tokens, *_, fails),) = account_batch(make_task(2048, None, [_raw(b'{"id": ')]))
    assert json.loads(row)["error"] == error
    assert fails and tokens is None


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"id": "a"}, "a"),
        ({"id": 3}, 3),
        ({"id": 2**70}, None),
        ({"id": True}, None),
        ({"id": [1]}, None),
        ({"id": float("nan")}, None),
        ([], None),
    ],
)
def test_json_id(record: Any, expected: Any) -> None:
    assert json_id(record) == expected


def test_rows_in_order_with_facts() -> None:
    good = b'{"id": "g", "conversations": [{"from": "user", "value": "hi"}]}'
    bad = b'{"id": "b", "conversations": [{"from": "gpt", "value": "hi"}]}'
    rows = account_batch(make_task(12, None, [_raw(good, 0), _raw(bad, 1)]))
    assert [json.loads(row[0])["id"] for row in rows] == ["g", "b"]
    assert [row[1:] for row in rows] == [
        (17, True, False, False, False),
        (None, False, False, False, True),
    ]
