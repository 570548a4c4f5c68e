"""Findings placed on the offending value: its exact line and column, and where it ends.

The record pass only knows where each record starts (line, column, byte offset): finding the
line of every value of every record would cost the clean path time for nothing. Once a run
is over, only the findings that are reported (capped per rule and file) are placed here, by
reading the bytes of just their records again. A record whose start is not known (findings of
the dataset pass) is found by splitting the file again, once, up to the last such record.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import BinaryIO

from datakit.findings import Finding, Location
from datakit.io.json_spans import Incomplete, PathKey, Span, char_position, value_spans
from datakit.io.source import char_count

_FIRST_READ = 1 << 12
_MAX_RECORD_READ = 1 << 28
_SEGMENT = re.compile(r"""\.([^.\[]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*"|'[^']*')\]""")

# a record's bytes from its first one, where those lie in the file, and its value spans
_Record = tuple[bytes, int, int, dict[PathKey, Span]]


def place_findings(findings: list[Finding], paths: Mapping[str, str]) -> list[Finding]:
    """``findings`` with line, column, end line and end column of the value each one names.

    ``paths`` maps a file's displayed name to the path to read (standard input is read from
    a copy). A finding that already has a column (a parse error), or no line (Parquet), is
    left as it is; so is every finding of a file that can no longer be read as it was.
    """
    wanted: dict[str, list[int]] = {}
    for i, finding in enumerate(findings):
        loc = finding.location
        if loc.column is None and loc.line is not None and loc.record_index is not None:
            wanted.setdefault(loc.file, []).append(i)
    if not wanted:
        return findings
    out = list(findings)
    for file, indices in wanted.items():
        path = paths.get(file, file)
        try:
            placed = _place_in_file(path, [out[i] for i in indices])
        except (OSError, EOFError, ValueError, zlib.error, Incomplete):
            continue  # the file changed or went away since it was checked
        for i, finding in zip(indices, placed, strict=True):
            out[i] = finding
    return out


def _place_in_file(path: str, findings: list[Finding]) -> list[Finding]:
    from datakit.io.reader import detect_format

    if detect_format(path) not in ("json", "jsonl"):
        return findings
    records: dict[int, _Record] = {}
    starts: dict[int, tuple[int, int, int]] = {}
    for f in findings:
        loc = f.location
        assert loc.record_index is not None and loc.line is not None
        if loc.record_offset is not None and loc.record_column is not None:
            starts[loc.record_index] = (loc.record_offset, loc.line, loc.record_column)
    if starts:
        with _open(path) as handle:
            for index, (offset, line, column) in sorted(starts.items(), key=lambda x: x[1]):
                data, spans = _read_record(handle, offset)
                records[index] = (data, line, column, spans)
    unknown = {f.location.record_index or 0 for f in findings} - records.keys()
    if unknown:
        records.update(_split_again(path, unknown))
    return [_placed(f, records.get(f.location.record_index or 0)) for f in findings]


def _open(path: str) -> BinaryIO:
    if path.lower().endswith(".gz"):
        import gzip

        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _read_record(handle: BinaryIO, offset: int) -> tuple[bytes, dict[PathKey, Span]]:
    """The bytes of the record at ``offset`` (a little more, read in growing pieces)."""
    handle.seek(offset)
    data = handle.read(_FIRST_READ)
    while True:
        try:
            return data, value_spans(data, 0, complete=len(data) < _FIRST_READ)
        except Incomplete:
            if len(data) >= _MAX_RECORD_READ:
                raise
            more = handle.read(len(data) * 3)
            if not more:
                return data, value_spans(data, 0, complete=True)
            data += more


def _split_again(path: str, indices: Iterable[int]) -> dict[int, _Record]:
    from datakit.io.reader import iter_records
    from datakit.io.records import RawRecord

    wanted = set(indices)
    last = max(wanted)
    found: dict[int, _Record] = {}
    items = iter_records(path)
    try:  # stop reading at the last record wanted
        for item in items:
            if not isinstance(item, RawRecord):
                continue
            if item.index in wanted and item.raw is not None and item.line is not None:
                spans = value_spans(item.raw, 0, complete=True)
                found[item.index] = (item.raw, item.line, item.column or 1, spans)
            if item.index >= last:
                break
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()
    return found


def _placed(finding: Finding, record: _Record | None) -> Finding:
    loc = finding.location
    if record is None:
        return finding
    data, line, column, spans = record
    named = _path_keys(loc.json_path, loc.record_index or 0)
    if named is None or () not in spans:
        return finding
    keys = named
    while keys not in spans:  # a key that is missing: its parent is where it belongs
        keys = keys[:-1]
    span = spans[keys]
    start, end = span
    if keys == named and loc.char_offset is not None and data[start] == 0x22:  # a string: "
        at = char_position(data, span, loc.char_offset)
        if at is not None:
            return _with(finding, _line_column(data, at, line, column), None)
    return _with(finding, _line_column(data, start, line, column),
                 _line_column(data, end, line, column))


def _with(finding: Finding, start: tuple[int, int], end: tuple[int, int] | None) -> Finding:
    location: Location = replace(
        finding.location, line=start[0], column=start[1],
        end_line=end[0] if end else None, end_column=end[1] if end else None)
    return replace(finding, location=location)


def _line_column(data: bytes, pos: int, line: int, column: int) -> tuple[int, int]:
    """Line and column of ``data[pos]``, where ``data[0]`` is at (``line``, ``column``)."""
    newline = data.rfind(b"\n", 0, pos)
    if newline < 0:
        return line, column + char_count(data, 0, pos)
    return line + data.count(b"\n", 0, pos), 1 + char_count(data, newline + 1, pos)


def _path_keys(json_path: str | None, index: int) -> PathKey | None:
    """``$[3].conversations[1].value`` -> ``("conversations", 1, "value")``; ``None`` for a
    path of another record. What cannot be read of a path is left off (its parent is named)."""
    if json_path is None:
        return ()
    head = f"$[{index}]"
    if not json_path.startswith(head):
        return None
    keys: list[str | int] = []
    pos = len(head)
    while pos < len(json_path):
        match = _SEGMENT.match(json_path, pos)
        if match is None:
            break
        name, number, quoted = match.groups()
        if name is not None:
            keys.append(name)
        elif number is not None:
            keys.append(int(number))
        else:
            keys.append(_unquote(quoted))
        pos = match.end()
    return tuple(keys)


def _unquote(text: str) -> str:
    if text.startswith('"'):
        import json

        value = json.loads(text)
        return value if isinstance(value, str) else text
    return text[1:-1]
