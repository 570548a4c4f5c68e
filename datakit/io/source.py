"""Byte sources for the readers: safe opening, chunked (optionally gzip) reading, positions.

Everything here works on bytes in bounded chunks, so that no file is ever held in memory whole.
Columns count characters (Unicode code points), as Python's ``json`` module and editors do.
"""

from __future__ import annotations

import codecs
import gzip
import os
import stat
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from datakit.io.records import FileProblem

DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024
# A corrupt gzip stream loses the data of the read() that failed: small reads keep the loss small.
_GZIP_READ_BYTES = 1024 * 1024
_UTF8_CHECK_BYTES = 1024 * 1024
JSON_WHITESPACE = b" \t\r\n"
BOM = b"\xef\xbb\xbf"


class OpenFailed(Exception):
    """The file could not be opened; ``problem`` says why and how to fix it."""

    def __init__(self, problem: FileProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class StreamBroken(Exception):
    """Reading stopped part-way (corrupt gzip, I/O error); ``offset`` is where, decompressed."""

    def __init__(self, kind: str, message: str, fix: str, offset: int) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.fix = fix
        self.offset = offset


def open_binary(path: Path, display_name: str) -> BinaryIO:
    """Open ``path`` for reading bytes, refusing anything that is not a regular file.

    ``stat`` comes first: opening a FIFO for reading blocks until a writer appears. The open
    itself does not block either (``O_NONBLOCK``, no effect on regular files), and what was
    opened is checked again, in case the path changed in between.
    """

    def fail(message: str, fix: str) -> OpenFailed:
        return OpenFailed(FileProblem(display_name, "unreadable", message, fix))

    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise fail(
            "no such file", "check the path (it is relative to the working directory)"
        ) from None
    except OSError as exc:
        raise fail(
            f"cannot access the file: {exc.strerror}", "check the path and its permissions"
        ) from None
    _check_regular(info.st_mode, fail)
    from datakit.io.safe_open import system_file_detail, system_folder

    folder = system_folder(os.path.realpath(path))
    if folder is not None:  # /proc/kmsg and friends look regular, and block or consume
        raise fail(f"is {system_file_detail(folder)}",
                   "copy the data to a regular file first (datakit validate reads standard "
                   "input as '-')")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise fail(
            f"cannot open the file: {exc.strerror}", "check the file's permissions"
        ) from None
    try:
        _check_regular(os.fstat(fd).st_mode, fail)
    except OpenFailed:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def _check_regular(mode: int, fail: Callable[[str, str], OpenFailed]) -> None:
    if stat.S_ISDIR(mode):
        raise fail("is a directory, not a file", "pass the dataset file inside it")
    if not stat.S_ISREG(mode):
        raise fail(
            f"is not a regular file (a {_file_type(mode)})",
            "pass a regular file; copy piped or device data to a file first (datakit validate "
            "reads standard input as '-')",
        )


def _file_type(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def read_chunks(raw: BinaryIO, *, gzipped: bool, chunk_bytes: int) -> Iterator[bytes]:
    """Yield the (decompressed) content in chunks of about ``chunk_bytes``.

    On a broken stream the data read so far is yielded first, then ``StreamBroken`` is raised.
    """
    offset = 0
    if not gzipped:
        while True:
            try:
                chunk = raw.read(chunk_bytes)
            except OSError as exc:
                raise StreamBroken(
                    "unreadable", f"read error: {exc.strerror}", "check the disk", offset
                ) from None
            if not chunk:
                return
            offset += len(chunk)
            yield chunk
    stream = gzip.GzipFile(fileobj=raw, mode="rb")
    pieces: list[bytes] = []
    size = 0
    while True:
        try:
            piece = stream.read(min(_GZIP_READ_BYTES, chunk_bytes))
        except (OSError, EOFError, zlib.error) as exc:
            if pieces:
                yield b"".join(pieces)
            raise _gzip_broken(exc, offset + size) from None
        if not piece:
            break
        pieces.append(piece)
        size += len(piece)
        if size >= chunk_bytes:
            yield b"".join(pieces)
            offset += size
            pieces, size = [], 0
    if pieces:
        yield b"".join(pieces)


def _gzip_broken(exc: BaseException, offset: int) -> StreamBroken:
    if isinstance(exc, gzip.BadGzipFile) and offset == 0 and "Not a gzipped file" in str(exc):
        return StreamBroken(
            "bad-gzip",
            "is named .gz but is not gzip-compressed",
            "remove the .gz from its name, or compress it with gzip",
            offset,
        )
    if isinstance(exc, EOFError):
        what = "the gzip stream ends early (the file is truncated)"
    else:
        what = f"the gzip stream is corrupt ({exc})"
    return StreamBroken(
        "bad-gzip",
        f"{what} after {offset} decompressed bytes",
        "download or copy the file again; check it with `gzip -t`",
        offset,
    )


def char_count(data: bytes, start: int, end: int) -> int:
    """Number of UTF-8 characters in ``data[start:end]`` (every byte that is not a continuation)."""
    if end <= start:
        return 0
    piece = data[start:end]
    if piece.isascii():
        return end - start
    import numpy as np

    view = np.frombuffer(piece, dtype=np.uint8)
    return int(end - start - np.count_nonzero((view & 0xC0) == 0x80))


class LineTracker:
    """Line and column of increasing byte positions in a stream read chunk by chunk.

    Work is linear in the file size: each call only scans the bytes since the previous call,
    which matters for minified files whose single line holds every record.
    """

    def __init__(self) -> None:
        self.line = 1
        self.column = 1
        self._chunk = b""
        self._pos = 0

    def start_chunk(self, chunk: bytes, begin: int = 0) -> None:
        """Move to the next chunk; bytes before ``begin`` (a BOM) do not count as characters."""
        self.at(len(self._chunk))
        self._chunk = chunk
        self._pos = begin

    def at(self, pos: int) -> tuple[int, int]:
        """Line and column of byte ``pos`` of the current chunk (never before the last call)."""
        chunk, start = self._chunk, self._pos
        newlines = chunk.count(b"\n", start, pos)
        if newlines:
            self.line += newlines
            start = chunk.rfind(b"\n", start, pos) + 1
            self.column = 1
        self.column += char_count(chunk, start, pos)
        self._pos = pos
        return self.line, self.column

    def at_end(self) -> tuple[int, int]:
        """Line and column just past the last byte of the current chunk."""
        return self.at(len(self._chunk))


class Utf8Checker:
    """Finds the first byte that is not valid UTF-8, chunk by chunk (sequences may straddle).

    Positions are relative to the chunk just fed; a negative one (at most 3 back) points into
    the incomplete sequence that ended the previous chunk, whose lead byte is then the last
    character before this chunk.
    At most one error is reported per file.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.found = False

    def first_error(self, chunk: bytes) -> int | None:
        if self.found or (chunk.isascii() and not self._pending()):
            return None
        view = memoryview(chunk)
        for piece_start in range(0, len(chunk), _UTF8_CHECK_BYTES):
            carried = self._pending()
            try:
                self._decoder.decode(view[piece_start : piece_start + _UTF8_CHECK_BYTES])
            except UnicodeDecodeError as exc:
                self.found = True
                return piece_start - carried + exc.start
        return None

    def error_at_end(self) -> bool:
        """Whether the file ends inside a multi-byte sequence."""
        if self.found or not self._pending():
            return False
        self.found = True
        return True

    def _pending(self) -> int:
        return len(self._decoder.getstate()[0])


def advance(line: int, column: int, text: str, pos: int) -> tuple[int, int]:
    """Line and column of character ``pos`` of ``text``, which starts at (``line``, ``column``)."""
    newlines = text.count("\n", 0, pos)
    if not newlines:
        return line, column + pos
    return line + newlines, pos - text.rfind("\n", 0, pos)

