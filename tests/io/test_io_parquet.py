"""Parquet datasets: rows as plain Python records, batch by batch across row groups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from datakit.io import parquet as parquet_reader
from datakit.io.parse import parse_record
from datakit.io.reader import iter_records
from datakit.io.records import FileProblem, RawRecord


def rows(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"s{i}",
            "conversations": [
                {"from": "user", "value": f"Picture 1: <img>{i}.jpg</img>\n你好"},
                {"from": "assistant", "value": "<ref>cat</ref><box>(1,2),(3,4)</box>"},
            ],
            "source": "coco",
        }
        for i in range(count)
    ]


def test_rows_across_row_groups_and_batches(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(parquet_reader, "BATCH_ROWS", 2)
    path = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pylist(rows(7)), path, row_group_size=3)
    items = list(iter_records(path))
    assert all(isinstance(item, RawRecord) for item in items)
    got = [item for item in items if isinstance(item, RawRecord)]
    assert [item.value for item in got] == rows(7)
    assert [(item.index, item.row_group) for item in got] == [
        (0, 0),
        (1, 0),
        (2, 0),
        (3, 1),
        (4, 1),
        (5, 1),
        (6, 2),
    ]
    assert {(item.line, item.column, item.offset, item.raw) for item in got} == {
        (None, None, None, None)
    }
    assert parse_record(got[3]).value == rows(7)[3]


def test_missing_conversations_column(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"id": ["a"], "messages": ["x"]}), path)
    (problem,) = list(iter_records(path))
    assert isinstance(problem, FileProblem)
    assert (problem.kind, problem.message, problem.fatal) == (
        "bad-parquet",
        "has no 'conversations' column (its columns: id, messages)",
        True,
    )


def test_missing_id_column_is_left_to_the_record_checks(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"conversations": [[{"from": "user", "value": "hi"}]]}), path)
    (record,) = list(iter_records(path))
    assert isinstance(record, RawRecord)
    assert record.value == {"conversations": [{"from": "user", "value": "hi"}]}


def test_not_a_parquet_file(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    path.write_text('[{"id": 1}]')
    (problem,) = list(iter_records(path))
    assert isinstance(problem, FileProblem)
    assert problem.kind == "bad-parquet"
    assert problem.message.startswith("is not a readable Parquet file:")


def test_truncated_parquet_file(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pylist(rows(50)), path, row_group_size=10)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    (problem,) = list(iter_records(path))
    assert isinstance(problem, FileProblem)
    assert (problem.kind, problem.fatal) == ("bad-parquet", True)


def test_corrupt_row_group_keeps_the_rows_before(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    table = pa.Table.from_pylist(rows(40))
    pq.write_table(table, path, row_group_size=10, compression="snappy")
    metadata = pq.ParquetFile(path).metadata
    column = metadata.row_group(2).column(1)
    start = column.data_page_offset
    data = bytearray(path.read_bytes())
    data[start : start + column.total_compressed_size] = b"\x07" * column.total_compressed_size
    path.write_bytes(bytes(data))
    items = list(iter_records(path))
    problem = items[-1]
    assert isinstance(problem, FileProblem)
    assert (problem.kind, problem.record_index) == ("bad-parquet", 20)
    assert problem.message.startswith("row group 2 cannot be read")
    assert [item.value for item in items[:-1] if isinstance(item, RawRecord)] == rows(40)[:20]
