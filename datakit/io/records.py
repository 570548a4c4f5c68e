"""What the readers yield: raw records with their positions, and problems with the file itself.

Readers split a file into records without parsing them (``RawRecord.raw`` holds the bytes), so
that parsing and checking can run in worker processes; Parquet records arrive already decoded
(``RawRecord.value``). Positions always refer to the file as the user sees it (decompressed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


# RawRecord and ParsedRecord are made once per record, in the readers and again in workers; a
# frozen dataclass sets each field through object.__setattr__, which costs three times as
# much as a plain one. Nothing mutates them.
@dataclass(slots=True)
class RawRecord:
    """One record of a dataset file.

    ``index`` is 0-based within the file; ``line`` and ``column`` are 1-based and point at the
    record's first byte (``None`` for Parquet, where ``row_group`` locates it instead);
    ``offset`` is the byte offset of that first byte.
    """

    file: str
    index: int
    line: int | None
    column: int | None
    offset: int | None
    raw: bytes | None = None
    value: Any = None
    row_group: int | None = None


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A problem with the file rather than with one record: it cannot be split into records
    from this point on (truncated JSON, wrong top level, invalid UTF-8, an empty file, ...).

    ``kind`` is a stable kebab-case name (``invalid-json``, ``wrong-top-level``, ``empty-file``,
    ``invalid-utf8``, ``bom``, ``record-too-large``, ``unreadable``, ``bad-gzip``,
    ``bad-parquet``); ``fatal`` says whether reading stopped there.
    """

    file: str
    kind: str
    message: str
    fix: str
    line: int | None = None
    column: int | None = None
    offset: int | None = None
    record_index: int | None = None
    fatal: bool = True


@dataclass(frozen=True, slots=True)
class ParseNote:
    """Something legal for Python's ``json`` module (what the trainer uses) but suspicious:
    ``NaN``/``Infinity`` constants, duplicate keys (the last one silently wins)."""

    kind: str
    message: str
    json_path: str | None = None


@dataclass(slots=True)
class ParsedRecord:
    """A record after parsing: its value, or the error that stopped parsing it."""

    record: RawRecord
    value: Any
    error: str | None = None
    error_line: int | None = None
    error_column: int | None = None
    notes: tuple[ParseNote, ...] = ()
