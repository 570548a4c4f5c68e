"""Split JSON Lines into records: one per non-blank line, read in bounded chunks.

A line longer than the record limit is skipped while it streams past (never held whole), so a
1 GB single line costs no more memory than a short one.
"""

from __future__ import annotations

from collections.abc import Iterator

from datakit.io import sniff
from datakit.io.records import FileProblem, RawRecord
from datakit.io.source import (
    BOM,
    JSON_WHITESPACE,
    StreamBroken,
    Utf8Checker,
    char_count,
)

Item = RawRecord | FileProblem
_BLANK = frozenset(JSON_WHITESPACE)


class JsonLinesSplitter:
    """Feed chunks in order; yields records and problems (``stopped`` after a fatal one)."""

    def __init__(self, file: str, *, max_record_bytes: int) -> None:
        self.file = file
        self.max_record_bytes = max_record_bytes
        self.stopped = False
        self._base = 0  # offset of the current chunk
        self._line = 1  # number of the line that the carry (or the chunk) starts
        self._line_offset = 0
        self._carry: list[bytes] = []
        self._carry_size = 0
        self._carry_dropped = False
        self._index = 0
        self._seen_text = False
        self._utf8 = Utf8Checker()
        self._bad_utf8: int | None = None

    def feed(self, chunk: bytes) -> list[Item]:
        """Records and problems completed by the next chunk, in file order."""
        out: list[Item] = []
        begin = 0
        if self._base == 0:
            begin = self._start_of_file(chunk, out)
            if self.stopped:
                return out
        bad = self._utf8.first_error(chunk)
        if bad is not None:
            self._bad_utf8 = self._base + bad
        pos = begin
        # Line by line while something needs care: a line carried over from the previous
        # chunk, the first line (which may show the file is not JSON Lines), invalid UTF-8.
        while not self.stopped and (
            self._carry_size or not self._seen_text or self._bad_utf8 is not None
        ):
            newline = chunk.find(b"\n", pos)
            if newline < 0:
                break
            out.extend(self._end_line(chunk[pos:newline]))
            pos = newline + 1
        if not self.stopped:
            last = chunk.rfind(b"\n", pos)
            if last >= 0:
                self._whole_lines(chunk[pos:last], out)
                pos = last + 1
            self._add_carry(chunk[pos:])
        self._base += len(chunk)
        return out

    def _start_of_file(self, chunk: bytes, out: list[Item]) -> int:
        begin = 0
        if chunk.startswith(BOM):
            begin = len(BOM)
            self._line_offset = begin
            out.append(
                self._problem(
                    "bom",
                    "starts with a UTF-8 byte order mark (BOM); json.loads rejects a line that"
                    " starts with one ('Unexpected UTF-8 BOM')",
                    "save the file as UTF-8 without BOM",
                    1,
                    1,
                    0,
                    fatal=False,
                )
            )
        head = chunk[begin : begin + 4096].lstrip(JSON_WHITESPACE)
        binary = None if head[:1] in (b"{", b"[") else sniff.binary_kind(head)
        if binary is not None:
            what, fix = binary
            self.stopped = True
            out.append(self._problem("invalid-json", f"is not JSON text: {what}", fix, 1, 1, 0))
        return begin

    def _whole_lines(self, text: bytes, out: list[Item]) -> None:
        """The hot path: complete lines, no carry, no pending UTF-8 problem."""
        append, file, limit = out.append, self.file, self.max_record_bytes
        line_no, offset, index = self._line, self._line_offset, self._index
        for line in text.split(b"\n"):
            size = len(line)
            if size and size <= limit and line[0] not in _BLANK and line[-1] not in _BLANK:
                append(RawRecord(file, index, line_no, 1, offset, line))
                index += 1
            else:
                self._index = index
                item = self._unusual_line(line, line_no, offset)
                if item is not None:
                    append(item)
                index = self._index
            line_no += 1
            offset += size + 1
        self._line, self._line_offset, self._index = line_no, offset, index

    def _unusual_line(self, line: bytes, line_no: int, offset: int) -> Item | None:
        """A blank line, one with surrounding blanks (CRLF endings too), or one too long."""
        stripped = line.strip(JSON_WHITESPACE)
        if not stripped:
            return None
        lead = len(line) - len(line.lstrip(JSON_WHITESPACE))
        index = self._index
        self._index += 1
        if len(line) > self.max_record_bytes:
            return self._too_large(len(line), line_no, lead, offset, index)
        return RawRecord(self.file, index, line_no, 1 + lead, offset + lead, stripped)

    def finish(self) -> Iterator[Item]:
        if self.stopped:
            return
        if self._carry_size and not self.stopped:
            yield from self._end_line(b"")
        if self._utf8.error_at_end():
            yield self._problem(
                "invalid-utf8",
                "ends inside a multi-byte UTF-8 character (the file is cut short or not UTF-8)",
                "save the file as UTF-8; if it was cut short, copy it again",
                self._line,
                None,
                self._base,
                fatal=False,
            )
        if not self._seen_text:
            what = "is empty" if self._base == 0 else "contains only blank lines"
            fix = "write one JSON record per line"
            yield self._problem("empty-file", f"{what}: there are no records", fix, 1, 1, 0)

    def broken(self, exc: StreamBroken) -> FileProblem:
        self.stopped = True
        return FileProblem(
            self.file,
            exc.kind,
            exc.message
            if exc.offset == 0
            else f"{exc.message}; records from line {self._line} on were not read",
            exc.fix,
            line=self._line,
            offset=exc.offset,
            record_index=self._index,
        )

    def _add_carry(self, piece: bytes) -> None:
        self._carry_size += len(piece)
        if self._carry_dropped:
            return
        self._carry.append(piece)
        if self._carry_size > self.max_record_bytes:
            # Too long to keep: remember only where its text starts, for the report.
            text = b"".join(self._carry)
            self._carry = [text[: len(text) - len(text.lstrip(JSON_WHITESPACE)) + 1]]
            self._carry_dropped = True

    def _end_line(self, tail: bytes) -> Iterator[Item]:
        line_no, offset = self._line, self._line_offset
        size = self._carry_size + len(tail)
        if self._carry_dropped:
            text, head = b"", self._carry[0]
        elif self._carry:
            text = head = b"".join([*self._carry, tail])
        else:
            text = head = tail
        self._carry, self._carry_size, self._carry_dropped = [], 0, False
        self._line += 1
        self._line_offset = offset + size + 1
        if self._bad_utf8 is not None and self._bad_utf8 < offset + size:
            yield self._utf8_problem(line_no, offset, head)
        stripped = text.strip(JSON_WHITESPACE)
        if not stripped and size <= self.max_record_bytes:
            return  # a blank line
        lead = len(head) - len(head.lstrip(JSON_WHITESPACE))
        index = self._index
        self._index += 1
        if not self._seen_text:
            self._seen_text = True
            problem = _first_line_problem(stripped)
            if problem is not None:
                self.stopped = True
                yield self._problem("wrong-top-level", *problem, line_no, 1 + lead, offset + lead)
                return
        if size > self.max_record_bytes:
            yield self._too_large(size, line_no, lead, offset, index)
            return
        yield RawRecord(self.file, index, line_no, 1 + lead, offset + lead, stripped)

    def _too_large(self, size: int, line_no: int, lead: int, offset: int, index: int) -> Item:
        return self._problem(
            "record-too-large",
            f"the record on line {line_no} is {size:,} bytes, over the limit of"
            f" {self.max_record_bytes:,}; it was skipped",
            "split the record, or raise the record size limit",
            line_no,
            1 + lead,
            offset + lead,
            fatal=False,
            record_index=index,
        )

    def _utf8_problem(self, line_no: int, line_offset: int, head: bytes) -> FileProblem:
        assert self._bad_utf8 is not None
        bad, self._bad_utf8 = self._bad_utf8, None
        within = bad - line_offset
        column = 1 + char_count(head, 0, within) if within <= len(head) else None
        return self._problem(
            "invalid-utf8",
            "is not valid UTF-8 from here on; tools that read it as text fail with"
            " UnicodeDecodeError",
            "save the file as UTF-8 (e.g. iconv -f <encoding> -t utf-8)",
            line_no,
            column,
            bad,
            fatal=False,
        )

    def _problem(
        self,
        kind: str,
        message: str,
        fix: str,
        line: int | None,
        column: int | None,
        offset: int | None,
        *,
        fatal: bool = True,
        record_index: int | None = None,
    ) -> FileProblem:
        return FileProblem(self.file, kind, message, fix, line, column, offset, record_index, fatal)


def _first_line_problem(first: bytes) -> tuple[str, str] | None:
    """A pretty-printed JSON document named .jsonl shows itself on its first line."""
    if first[:1] not in (b"[", b"{"):
        return None
    import orjson

    try:
        orjson.loads(first)
    except orjson.JSONDecodeError:
        if first[:1] == b"[" or first == b"{":
            return (
                "looks like a JSON document spread over several lines, not JSON Lines"
                " (one complete record per line)",
                "rename it to .json if it is one JSON array, or write one record per line",
            )
    return None
