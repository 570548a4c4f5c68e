"""Split one JSON array into its records without parsing it.

A structural index is built per chunk with numpy: quotes that are not escaped (runs of
backslashes counted exactly), an in-string mask from the parity of those quotes, and the bracket
depth of every bracket outside strings. Commas at depth 1 and the closing bracket end records.
Only the record boundaries reach Python, so splitting costs a few numpy passes per byte and a
little Python per record. State (in a string, trailing backslashes, depth, the unfinished record)
carries from one chunk to the next, so chunks can be any size.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

Item = RawRecord | FileProblem
_NON_WS = re.compile(rb"[^ \t\r\n]")
_WHITESPACE_CODES = frozenset(JSON_WHITESPACE)
# Blank bytes skipped in numpy between a comma and the next record; longer gaps go to Python.
_MAX_GAP_SCAN = 16
_COMMA = ord(",")
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
    """Feed chunks in order; yields records and problems. ``stopped`` turns true after a fatal
    problem, when nothing more can be split."""

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
        self._in_string = False
        self._backslashes = 0
        self._depth = 0
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
        """The problem for a stream that could not be read to its end."""
        self.stopped = True
        return FileProblem(
            self.file,
            exc.kind,
            exc.message
            if exc.offset == 0
            else f"{exc.message}; records from index {self._index} on were not read",
            exc.fix,
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
            self._phase, self._depth = "array", 1
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
            return self._problem("wrong-top-level", message, _ARRAY_FIX, where, offset)
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
        positions, chars, firsts, lines, columns = self._boundaries(chunk, begin)
        append, start = out.append, begin
        file, base, limit = self.file, self._base, self.max_record_bytes
        index, after_comma = self._index, self._after_comma
        simple = self._pending is None and self._bad_utf8 is None
        for pos, char, first, line, column in zip(
            positions, chars, firsts, lines, columns, strict=True
        ):
            if simple and char == _COMMA and first < pos and pos - first <= limit:
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
            if char == _COMMA:
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

    def _boundaries(self, chunk: bytes, begin: int) -> tuple[list[int], ...]:
        """Depth-1 commas and the array's closing bracket: positions and bytes, with where
        the record before each starts (first byte, line and column; line 0 when the column
        has to be counted in Python)."""
        import numpy as np

        data = np.frombuffer(chunk, dtype=np.uint8)
        is_quote = data == 0x22
        if self._backslashes or b"\\" in chunk:
            is_quote[self._escaped_quotes(data)] = False
        self._backslashes = _trailing_backslashes(chunk, self._backslashes)
        quotes = np.flatnonzero(is_quote)
        # [ and { differ from ] and } only in bit 0x20.
        folded = data | 0x20
        structural = np.flatnonzero((folded == 0x7B) | (folded == 0x7D) | (data == _COMMA))
        if begin:
            structural = structural[structural >= begin]
        outside = ((np.searchsorted(quotes, structural) + self._in_string) & 1) == 0
        structural = structural[outside]
        self._in_string ^= bool(quotes.size & 1)
        chars = data[structural]
        depth = self._depth + np.cumsum(_depth_changes()[chars], dtype=np.int64)
        self._depth = int(depth[-1]) if depth.size else self._depth
        events = structural[((chars == _COMMA) & (depth == 1)) | (depth <= 0)]
        firsts, lines, columns = self._record_starts(data, events, begin)
        return events.tolist(), data[events].tolist(), firsts, lines, columns

    def _record_starts(
        self, data: npt.NDArray[np.uint8], events: npt.NDArray[np.intp], begin: int
    ) -> tuple[list[int], list[int], list[int]]:
        """First non-blank byte after each previous boundary, and its line and column where
        the line starts in the blank gap before it (one record per line, the usual layout)."""
        import numpy as np

        gaps = np.empty_like(events)
        gaps[:1] = begin
        gaps[1:] = events[:-1] + 1
        firsts = gaps.copy()
        for _ in range(_MAX_GAP_SCAN):
            blank = (firsts < events) & _blank_table()[data[np.minimum(firsts, events)]]
            if not blank.any():
                break
            firsts[blank] += 1
        else:
            firsts[blank] = events[blank] + 1  # a long gap: found in Python instead
        newlines = np.flatnonzero(data == 0x0A)
        before = np.searchsorted(newlines, firsts)
        if newlines.size:
            line_starts = np.where(before > 0, newlines[np.maximum(before, 1) - 1] + 1, -1)
        else:
            line_starts = np.full_like(firsts, -1)
        known = line_starts >= gaps
        lines = np.where(known, self._chunk_line + before, 0)
        columns = firsts - line_starts + 1
        return firsts.tolist(), lines.tolist(), columns.tolist()

    def _escaped_quotes(self, data: npt.NDArray[np.uint8]) -> npt.NDArray[np.intp]:
        """Positions of quotes that end an odd run of backslashes (a run may begin in the
        previous chunk). Memory follows the number of backslash-quote pairs, not of
        backslashes: text full of backslashes must not cost eight bytes per byte."""
        import numpy as np

        carried = self._backslashes
        escaped = [np.array([0] if data.size and data[0] == 0x22 and carried & 1 else [])]
        ends = np.flatnonzero((data[:-1] == 0x5C) & (data[1:] == 0x22))
        if ends.size:
            lengths = np.ones(ends.size, dtype=np.int64)
            cursor = ends - 1
            todo = np.arange(ends.size)
            while todo.size:
                at_start = cursor[todo] < 0
                lengths[todo[at_start]] += carried
                todo = todo[~at_start]
                todo = todo[data[cursor[todo]] == 0x5C]
                lengths[todo] += 1
                cursor[todo] -= 1
            escaped.append(ends[(lengths & 1) == 1] + 1)
        return np.concatenate(escaped).astype(np.intp)

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
                except RecursionError:
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


def _trailing_backslashes(chunk: bytes, carried: int) -> int:
    stripped = len(chunk.rstrip(b"\\"))
    run = len(chunk) - stripped
    return run + carried if stripped == 0 else run


_DEPTH_CHANGES: npt.NDArray[np.int8] | None = None
_BLANK: npt.NDArray[np.bool_] | None = None


def _depth_changes() -> npt.NDArray[np.int8]:
    """How each byte changes the bracket depth."""
    global _DEPTH_CHANGES
    if _DEPTH_CHANGES is None:
        import numpy as np

        table = np.zeros(256, dtype=np.int8)
        for char, change in ((b"[", 1), (b"{", 1), (b"]", -1), (b"}", -1)):
            table[char[0]] = change
        _DEPTH_CHANGES = table
    return _DEPTH_CHANGES


def _blank_table() -> npt.NDArray[np.bool_]:
    """Which bytes are JSON whitespace."""
    global _BLANK
    if _BLANK is None:
        import numpy as np

        table = np.zeros(256, dtype=bool)
        table[list(JSON_WHITESPACE)] = True
        _BLANK = table
    return _BLANK
