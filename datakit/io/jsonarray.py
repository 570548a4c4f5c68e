"""Split one JSON array into its records without parsing it.

The record boundaries of each chunk come from a numpy structural index (``structural``), so
splitting costs a few numpy passes per byte and a little Python per record. A record that
continues past a chunk is carried over; one larger than the limit is counted, not kept. Every
way a file can fail to be one JSON array becomes a ``FileProblem`` with its position.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import repeat

from datakit.io import sniff
from datakit.io.records import FileProblem, RawRecord
from datakit.io.source import (
    BOM,
    JSON_WHITESPACE,
    LineTracker,
    StreamBroken,
    Utf8Checker,
    advance,
)
from datakit.io.structural import COMMA, StructuralIndex

Item = RawRecord | FileProblem
_NON_WS = re.compile(rb"[^ \t\r\n]")
_WHITESPACE_CODES = frozenset(JSON_WHITESPACE)
_ARRAY_FIX = 'the trainer needs one JSON array of records: [{"id": ..., "conversations": [...]}]'
_TRUNCATED_FIX = "the file looks cut short: copy or download it again, or regenerate it"


@dataclass(slots=True)
class _Pending:
    """A record whose bytes continue past the end of the chunk."""

    offset: int
    line: int
    column: int
    parts: list[bytes] = field(default_factory=list)
    size: int = 0

    def add(self, piece: bytes, limit: int) -> None:
        """Keep ``piece`` while the record stays within ``limit``; past it, only count bytes."""
        self.size += len(piece)
        if self.size <= limit:
            self.parts.append(piece)
        else:
            self.parts = []


class JsonArraySplitter:
    """Feed chunks in order, then call ``finish``; both give records and problems in file
    order. ``stopped`` turns true after a fatal problem, when nothing more can be split."""

    def __init__(self, file: str, *, max_record_bytes: int) -> None:
        self.file = file
        self.max_record_bytes = max_record_bytes
        self.stopped = False
        self._phase = "start"  # start -> array -> after
        self._base = 0
        self._index = 0
        self._lines = LineTracker()
        self._utf8 = Utf8Checker()
        self._bad_utf8: int | None = None
        self._structure: StructuralIndex | None = None
        self._pending: _Pending | None = None
        self._after_comma = False
        self._array_at = (1, 1)
        self._chunk_line = 1

    def feed(self, chunk: bytes) -> list[Item]:
        """Records and problems completed by the next chunk, in file order."""
        out: list[Item] = []
        begin = 0
        if self._base == 0 and chunk.startswith(BOM):
            begin = len(BOM)
            out.append(
                self._problem(
                    "bom",
                    "starts with a UTF-8 byte order mark (BOM); the trainer's"
                    " json.load(open(path)) stops at once with 'Unexpected UTF-8 BOM'",
                    "save the file as UTF-8 without BOM",
                    (1, 1),
                    0,
                    fatal=False,
                )
            )
        self._lines.start_chunk(chunk, begin)
        self._chunk_line = self._lines.line
        self._bad_utf8 = self._utf8.first_error(chunk)
        if self._phase == "start":
            begin = self._find_array(chunk, begin, out)
        if self._phase == "array":
            self._split(chunk, begin, out)
        elif self._phase == "after":
            out.extend(self._expect_end(chunk, begin))
        if not self.stopped:
            out.extend(self._flush_utf8(len(chunk) + 1))
        self._base += len(chunk)
        return out

    def finish(self) -> Iterator[Item]:
        if self.stopped:
            return
        end = self._lines.at_end()
        if self._utf8.error_at_end():
            yield self._problem(
                "invalid-utf8",
                "ends inside a multi-byte UTF-8 character (the file is cut short or not UTF-8)",
                "save the file as UTF-8; if it was cut short, copy it again",
                end,
                self._base,
                fatal=False,
            )
        if self._phase == "start":
            what = "is empty" if self._base == 0 else "contains only whitespace"
            yield self._problem("empty-file", f"{what}: there are no records", _ARRAY_FIX, end, 0)
        elif self._phase == "array":
            yield from self._truncated(end)

    def broken(self, exc: StreamBroken) -> FileProblem:
        """The problem for a stream that could not be read to its end (positioned where the
        data that could be read ends)."""
        self.stopped = True
        line, column = self._lines.at_end()
        return FileProblem(
            self.file,
            exc.kind,
            exc.message
            if exc.offset == 0
            else f"{exc.message}; records from index {self._index} on were not read",
            exc.fix,
            line=line,
            column=column,
            offset=exc.offset,
            record_index=self._index,
        )

    # -- phases ---------------------------------------------------------------------------------

    def _find_array(self, chunk: bytes, begin: int, out: list[Item]) -> int:
        match = _NON_WS.search(chunk, begin)
        if match is None:
            return len(chunk)
        pos = match.start()
        if chunk[pos] == ord("["):
            self._phase, self._structure = "array", StructuralIndex()
            self._array_at = self._lines.at(pos)
            return pos + 1
        self.stopped = True
        out.append(self._top_level_problem(chunk, pos))
        return len(chunk)

    def _top_level_problem(self, chunk: bytes, pos: int) -> FileProblem:
        where = self._lines.at(pos)
        offset = self._base + pos
        binary = sniff.binary_kind(chunk[pos : pos + 4096])
        if binary is not None:
            what, fix = binary
            return self._problem("invalid-json", f"is not JSON text: {what}", fix, where, offset)
        if sniff.looks_like_json_lines(chunk, pos):
            return self._problem(
                "wrong-top-level",
                "looks like JSON Lines (one record per line), not one JSON array; the trainer"
                " reads a single array",
                "rename it to .jsonl, or convert it to a JSON array for the trainer",
                where,
                offset,
            )
        kind = sniff.value_kind(chunk[pos])
        if kind is not None:
            message = f"the top level is {kind}, not an array of records"
            fix = _ARRAY_FIX
            looks = sniff.object_kind(chunk[pos:]) if kind == "an object" else None
            if looks is not None:
                message = f"{message}: it looks like {looks[0]}"
                fix = looks[1]
            return self._problem("wrong-top-level", message, fix, where, offset)
        shown = chunk[pos : pos + 1].decode("utf-8", "replace")
        message = f"is not JSON: it starts with {shown!r} where '[' should open the array"
        return self._problem("invalid-json", message, _ARRAY_FIX, where, offset)

    def _expect_end(self, chunk: bytes, begin: int) -> Iterator[Item]:
        match = _NON_WS.search(chunk, begin)
        if match is None:
            return
        yield from self._flush_utf8(match.start())
        self.stopped = True
        yield self._problem(
            "invalid-json",
            "has data after the array's closing ']' (json.load fails with 'Extra data')",
            "remove everything after the closing ']', or merge it into the array",
            self._lines.at(match.start()),
            self._base + match.start(),
        )

    def _split(self, chunk: bytes, begin: int, out: list[Item]) -> None:
        assert self._structure is not None
        file, base, limit = self.file, self._base, self.max_record_bytes
        found = self._structure.boundaries(chunk, begin, self._chunk_line, limit)
        append, start = out.append, begin
        index, after_comma = self._index, self._after_comma
        simple = self._pending is None and self._bad_utf8 is None
        done = found.plain if simple else 0
        if done:
            # The usual layout, one record per line: every record of the chunk in one go.
            firsts, ends = found.firsts[:done], found.positions[:done]
            out.extend(
                map(
                    RawRecord,
                    repeat(file, done),
                    range(index, index + done),
                    found.lines[:done],
                    found.columns[:done],
                    [base + first for first in firsts],
                    [chunk[first:end] for first, end in zip(firsts, ends, strict=True)],
                )
            )
            index, after_comma, start = index + done, True, ends[-1] + 1
        for pos, char, first, line, column in zip(
            found.positions[done:],
            found.chars[done:],
            found.firsts[done:],
            found.lines[done:],
            found.columns[done:],
            strict=True,
        ):
            if simple and char == COMMA and first < pos and pos - first <= limit:
                # The common case, inline: a whole record inside this chunk, located in numpy.
                raw = chunk[first:pos]
                if raw[-1] in _WHITESPACE_CODES:
                    raw = raw.rstrip(JSON_WHITESPACE)
                if not line:
                    line, column = self._lines.at(first)
                append(RawRecord(file, index, line, column, base + first, raw))
                index += 1
                after_comma = True
                start = pos + 1
                continue
            self._index, self._after_comma = index, after_comma
            if char == COMMA:
                out.extend(self._end_record(chunk, start, pos, closing=False))
                start = pos + 1
                index, after_comma = self._index, True
                simple = self._pending is None and self._bad_utf8 is None
                continue
            out.extend(self._end_record(chunk, start, pos, closing=True))
            if char == ord("}"):
                self.stopped = True
                message = (
                    f"the array opened at line {self._array_at[0]} column {self._array_at[1]}"
                    " is closed by '}'"
                )
                where = self._lines.at(pos)
                fix = "make the brackets match"
                append(self._problem("invalid-json", message, fix, where, self._base + pos))
                return
            self._phase = "after"
            out.extend(self._expect_end(chunk, pos + 1))
            return
        self._index, self._after_comma = index, after_comma
        out.extend(self._carry(chunk, start))

    def _end_record(self, chunk: bytes, start: int, end: int, *, closing: bool) -> Iterator[Item]:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.add(chunk[start:end], self.max_record_bytes)
            raw = b"".join(pending.parts).rstrip(JSON_WHITESPACE)
            size = pending.size if pending.size > self.max_record_bytes else len(raw)
            yield self._record(raw, pending.offset, (pending.line, pending.column), size)
            return
        match = _NON_WS.search(chunk, start, end)
        if match is None:
            yield from self._empty_element(chunk, start, end, closing=closing)
            return
        first = match.start()
        yield from self._flush_utf8(first)
        raw = chunk[first:end].rstrip(JSON_WHITESPACE)
        yield self._record(raw, self._base + first, self._lines.at(first), len(raw))

    def _record(self, raw: bytes, offset: int, where: tuple[int, int], size: int) -> Item:
        index = self._index
        self._index += 1
        if size > self.max_record_bytes:
            return self._problem(
                "record-too-large",
                f"record {index} is {size:,} bytes, over the limit of"
                f" {self.max_record_bytes:,}; it was skipped",
                "split the record, or raise the record size limit",
                where,
                offset,
                fatal=False,
                record_index=index,
            )
        return RawRecord(self.file, index, where[0], where[1], offset, raw)

    def _empty_element(
        self, chunk: bytes, start: int, end: int, *, closing: bool
    ) -> Iterator[Item]:
        if closing and not self._after_comma:
            return  # an empty array
        if closing:
            pos, message = start - 1, "has a comma after the last record (json.load rejects it)"
        elif self._after_comma:
            pos, message = end, "has two commas with no record between them"
        else:
            pos, message = end, "has a comma before the first record"
        if pos < 0:  # the comma ended the previous chunk; its position is already behind
            where, offset = (self._lines.line, self._lines.column - 1), self._base - 1
        else:
            yield from self._flush_utf8(pos)
            where, offset = self._lines.at(pos), self._base + pos
        fix = "remove the extra comma"
        yield self._problem("invalid-json", message, fix, where, offset, fatal=False)

    def _carry(self, chunk: bytes, start: int) -> Iterator[Item]:
        pending = self._pending
        if pending is None:
            match = _NON_WS.search(chunk, start)
            if match is None:
                return
            start = match.start()
            yield from self._flush_utf8(start)
            line, column = self._lines.at(start)
            pending = self._pending = _Pending(self._base + start, line, column)
        pending.add(chunk[start:], self.max_record_bytes)

    def _truncated(self, end: tuple[int, int]) -> Iterator[Item]:
        pending, index = self._pending, self._index
        message = "ends before the array is closed"
        if pending is not None:
            message = (
                f"ends inside record {index} (which starts at line {pending.line} column"
                f" {pending.column}) before the array is closed"
            )
            if pending.size <= self.max_record_bytes:
                raw = b"".join(pending.parts).rstrip(JSON_WHITESPACE)
                text = raw.decode("utf-8", "replace")
                try:
                    json.loads(text)
                except json.JSONDecodeError as exc:
                    if exc.pos < len(text) and not exc.msg.startswith("Unterminated string"):
                        yield self._mismatch(pending, text, exc)
                        return
                except (RecursionError, ValueError):  # too deep, or an int() of too many digits
                    pass
                else:
                    yield self._record(
                        raw, pending.offset, (pending.line, pending.column), len(raw)
                    )
                    message = "ends after the last record without the closing ']'"
        elif self._after_comma:
            message = "ends after a comma, without the closing ']'"
        self.stopped = True
        yield self._problem(
            "invalid-json",
            f"{message} (json.load fails)",
            _TRUNCATED_FIX,
            end,
            self._base,
            record_index=index,
        )

    def _mismatch(self, pending: _Pending, text: str, exc: json.JSONDecodeError) -> FileProblem:
        self.stopped = True
        line, column = advance(pending.line, pending.column, text, exc.pos)
        return self._problem(
            "invalid-json",
            f"invalid JSON in record {self._index} ({exc.msg}), and the array is never closed"
            " after it",
            "fix the JSON at that position",
            (line, column),
            None,
            record_index=self._index,
        )

    # -- helpers --------------------------------------------------------------------------------

    def _flush_utf8(self, before: int) -> Iterator[Item]:
        bad = self._bad_utf8
        if bad is None or bad >= before:
            return
        self._bad_utf8 = None
        # A negative position: the sequence began in the previous chunk, its lead byte being
        # the last character before this chunk.
        where = (self._lines.line, self._lines.column - 1) if bad < 0 else self._lines.at(bad)
        yield self._problem(
            "invalid-utf8",
            "is not valid UTF-8 from here on; the trainer's open() fails with UnicodeDecodeError",
            "save the file as UTF-8 (e.g. iconv -f <encoding> -t utf-8)",
            where,
            self._base + bad,
            fatal=False,
        )

    def _problem(
        self,
        kind: str,
        message: str,
        fix: str,
        where: tuple[int, int],
        offset: int | None,
        *,
        fatal: bool = True,
        record_index: int | None = None,
    ) -> FileProblem:
        return FileProblem(
            self.file, kind, message, fix, where[0], where[1], offset, record_index, fatal
        )
