"""Memory stays bounded by the chunk size, not the record or file size.

A gzip file of one ~100 MB line (it compresses to ~100 KB) stands in for the 1 GB single line
of a hostile dataset: the same code path, a tenth of the time.
"""

from __future__ import annotations

import gzip
import tracemalloc
from pathlib import Path

from datakit.io.reader import iter_records
from datakit.io.records import FileProblem, RawRecord

HUGE = 96 * 1024 * 1024
CHUNK = 1024 * 1024


def write_gzip(path: Path, head: bytes, filler: bytes, tail: bytes) -> None:
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(head)
        block = filler * (CHUNK // len(filler))
        for _ in range(HUGE // len(block)):
            out.write(block)
        out.write(tail)


def peak_while_reading(path: Path) -> tuple[list[tuple[object, ...]], int]:
    tracemalloc.start()
    try:
        summary: list[tuple[object, ...]] = []
        for item in iter_records(path, chunk_bytes=CHUNK, max_record_bytes=4 * CHUNK):
            if isinstance(item, RawRecord):
                summary.append((item.index, item.line, item.column, item.raw))
            else:
                summary.append((item.kind, item.line, item.column, item.record_index))
        return summary, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_huge_record_in_a_json_array(tmp_path: Path) -> None:
    path = tmp_path / "d.json.gz"
    write_gzip(path, b'[{"a": 1}, {"big": "', b"x\\\\y", b'"}, {"a": 2}]')
    summary, peak = peak_while_reading(path)
    assert summary == [
        (0, 1, 2, b'{"a": 1}'),
        ("record-too-large", 1, 12, 1),
        (2, 1, 11 + 9 + HUGE + 2 + 2 + 1, b'{"a": 2}'),
    ]
    assert peak < 16 * CHUNK


def test_huge_line_in_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl.gz"
    write_gzip(path, b'{"a": 1}\n{"big": "', b"xy", b'"}\n{"a": 2}\n')
    summary, peak = peak_while_reading(path)
    assert summary == [
        (0, 1, 1, b'{"a": 1}'),
        ("record-too-large", 2, 1, 1),
        (2, 3, 1, b'{"a": 2}'),
    ]
    assert peak < 16 * CHUNK


def test_unclosed_string_to_the_end_of_a_huge_file(tmp_path: Path) -> None:
    path = tmp_path / "d.json.gz"
    write_gzip(path, b'[{"a": 1}, {"never closed": "', b"z", b"")
    summary, peak = peak_while_reading(path)
    assert summary[0] == (0, 1, 2, b'{"a": 1}')
    problem = summary[-1]
    assert problem[0] == "invalid-json" and problem[3] == 1
    assert peak < 16 * CHUNK
    assert all(not isinstance(item, FileProblem) for item in summary)
