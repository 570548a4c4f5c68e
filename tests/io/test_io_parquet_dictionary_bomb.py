"""A Parquet file whose dictionary repeats one long string in every row is measured before it
is decoded: kilobytes on disk must not become gigabytes in memory."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datakit.io import parquet as parquet_reader
from datakit.io.parquet import iter_parquet
from datakit.io.records import FileProblem, RawRecord

_TYPE = pa.list_(pa.struct([("from", pa.string()), ("value", pa.string())]))


def _bomb(path: Path, rows: int, value: str) -> None:
    conversation = pa.array([[{"from": "user", "value": value},
                              {"from": "assistant", "value": "ok"}]], type=_TYPE)
    table = pa.table({"id": pa.array([str(i) for i in range(rows)]),
                      "conversations": pa.chunked_array([conversation] * rows)})
    pq.write_table(table, path, use_dictionary=True, compression="zstd", row_group_size=rows)


def test_the_file_is_small_and_its_rows_are_measured_before_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bomb.parquet"
    _bomb(path, 3000, "x" * 100_000)  # 300 MB of text once decoded
    assert path.stat().st_size < 100_000
    monkeypatch.setattr(parquet_reader, "_BATCH_DECODED_BYTES", 1 << 20)
    items = list(iter_parquet(path, "bomb.parquet", max_record_bytes=50_000))
    assert len(items) == 3000
    assert all(isinstance(item, FileProblem) for item in items)
    first = items[0]
    assert isinstance(first, FileProblem)
    assert (first.kind, first.record_index) == ("record-too-large", 0)
    assert first.message == ("row 0 decodes to 100,016 bytes (limit 50,000): skipped unread")


def test_rows_under_the_limit_read_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    path = tmp_path / "ok.parquet"
    _bomb(path, 50, "a dog")
    monkeypatch.setattr(parquet_reader, "_BATCH_DECODED_BYTES", 10)  # the row-by-row path
    slow = [i.value for i in iter_parquet(path, "ok.parquet") if isinstance(i, RawRecord)]
    monkeypatch.setattr(parquet_reader, "_BATCH_DECODED_BYTES", 1 << 30)
    fast = [i.value for i in iter_parquet(path, "ok.parquet") if isinstance(i, RawRecord)]
    assert slow == fast
    assert fast[7] == {"id": "7", "conversations": [{"from": "user", "value": "a dog"},
                                                    {"from": "assistant", "value": "ok"}]}
