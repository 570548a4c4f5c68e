"""Duplicate groups from the compact key table: exact keys, first row first, either grouping."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datakit.validation import record_keys
from datakit.validation.record_keys import FINGERPRINT_BYTES, KeyColumn, RecordKeys


def _expected(keys: list[bytes | None]) -> list[list[int]]:
    rows: dict[bytes, list[int]] = {}
    for row, key in enumerate(keys):
        if key is not None:
            rows.setdefault(key, []).append(row)
    return sorted((r for r in rows.values() if len(r) > 1), key=lambda r: r[0])


@pytest.fixture(params=["dict", "numpy"])
def grouping(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(record_keys, "_NUMPY_FROM_ROWS", 0 if request.param == "numpy" else 10**9)
    return str(request.param)


@settings(max_examples=60, deadline=None)
@given(keys=st.lists(st.none() | st.sampled_from([b"a", b"b", b"", "é".encode(), b"a\x00"]),
                     max_size=40))
def test_groups_are_exactly_the_equal_keys(keys: list[bytes | None]) -> None:
    default = record_keys._NUMPY_FROM_ROWS
    try:
        for threshold in (0, 10**9):
            record_keys._NUMPY_FROM_ROWS = threshold
            column = KeyColumn()
            for key in keys:
                column.add(key)
            assert list(column.duplicate_groups()) == _expected(keys)
            assert [column.key(i) for i, k in enumerate(keys) if k is not None] == [
                k for k in keys if k is not None]
    finally:
        record_keys._NUMPY_FROM_ROWS = default


def test_a_hash_collision_never_joins_different_keys(grouping: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    column = KeyColumn()
    monkeypatch.setattr(record_keys, "hash", lambda key: 7, raising=False)
    for key in (b"x", b"y", b"x", b"z", b"y"):
        column.add(key)
    assert list(column.duplicate_groups()) == [[0, 2], [1, 4]]


def test_fixed_size_column(grouping: str) -> None:
    column = KeyColumn(FINGERPRINT_BYTES)
    a, b = b"a" * FINGERPRINT_BYTES, b"b" * FINGERPRINT_BYTES
    for key in (a, None, b, a, None):
        column.add(key)
    assert list(column.duplicate_groups()) == [[0, 3]]
    assert column.key(2) == b
    with pytest.raises(ValueError, match="12 bytes"):
        column.add(b"short")


def test_rows_keep_file_index_line_and_id(grouping: str) -> None:
    keys = RecordKeys()
    keys.add("a.json", 0, 2, "x\ud800", None)
    keys.add("b.jsonl", 5, None, None, b"f" * FINGERPRINT_BYTES)
    keys.add("a.json", 1, 9, "x\ud800", None)
    assert keys.where(1) == ("b.jsonl", 5, None)
    assert keys.where(2) == ("a.json", 1, 9)
    assert (keys.record_id(0), keys.record_id(1)) == ("x\ud800", None)
    assert list(keys.ids.duplicate_groups()) == [[0, 2]]
    assert list(keys.fingerprints.duplicate_groups()) == []
