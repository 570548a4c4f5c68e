"""Read one whole JSON document (a COCO annotation file, ``instances.json``) for a converter.

orjson parses a 450 MB COCO file several times faster than the json module and with less
memory. It rejects what Python's json accepts and COCO tools sometimes write (``NaN``,
``Infinity``, integers beyond 64 bits), so such a file is parsed again with the json module and
the converter then tallies the non-finite values record by record. An integer longer than
``int()`` converts (4,300 digits) becomes a ``LongInteger``, which no field accepts: the record
holding it is skipped, not the file.

A document is read whole, so its size (decompressed, for ``.gz``) is bounded by
``MAX_DOCUMENT_BYTES``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import orjson

from datakit.errors import InputError
from datakit.io.source import BOM, OpenFailed, StreamBroken, open_binary, read_chunks

# COCO's train2017 instances file is 450 MB and LVIS's 1.1 GB; parsing takes several times the
# file's size in memory, so larger inputs are refused rather than exhaust it.
MAX_DOCUMENT_BYTES = 4 << 30
_CHUNK_BYTES = 64 << 20
# gzip packs at most about 1,000 to 1; past a few hundred MB, far more than JSON's ratio means
# a stream built to unpack without end, refused before the size limit is reached.
_MAX_GZIP_RATIO = 100
_RATIO_CHECK_FROM = 256 << 20


class LongInteger:
    """An integer of more digits than ``int()`` converts; only its length is kept."""

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"<an integer of {self.digits:,} digits>"


def read_document_bytes(path: Path, display_name: str | None = None) -> bytes:
    """The file's bytes (decompressed when its name ends in ``.gz``), BOM removed."""
    name = display_name or str(path)
    try:
        raw = open_binary(path, name)
    except OpenFailed as exc:
        raise InputError(f"{name}: {exc.problem.message}", fix=exc.problem.fix) from None
    limit = MAX_DOCUMENT_BYTES
    shown = f"{limit >> 30} GiB" if limit % (1 << 30) == 0 else f"{limit >> 20:,} MiB"
    too_large = InputError(
        f"{name}: larger than {shown} (decompressed), the most a JSON document is read whole",
        fix="check that this is the annotation file; split a larger dataset into parts",
    )
    with raw:
        gzipped = path.name.endswith(".gz")
        if not gzipped and os.fstat(raw.fileno()).st_size > limit:
            raise too_large
        pieces: list[bytes] = []
        total = 0
        try:
            for chunk in read_chunks(raw, gzipped=gzipped, chunk_bytes=_CHUNK_BYTES):
                total += len(chunk)
                if total > limit:
                    raise too_large
                if gzipped and total > _RATIO_CHECK_FROM and total > _MAX_GZIP_RATIO * raw.tell():
                    raise InputError(
                        f"{name}: unpacks to more than {_MAX_GZIP_RATIO} times its packed size,"
                        " far beyond what annotation JSON packs to: not an annotation file",
                        fix="check that this is the annotation file",
                    )
                pieces.append(chunk)
        except StreamBroken as exc:
            raise InputError(f"{name}: {exc.message}", fix=exc.fix) from None
    data = b"".join(pieces)
    del pieces
    return data[len(BOM) :] if data.startswith(BOM) else data


def load_json_document(path: Path) -> Any:
    """Parse ``path`` as one JSON document; an ``InputError`` names the line and column."""
    return parse_json_bytes(read_document_bytes(path), path)


def parse_json_bytes(data: bytes, path: Path, display_name: str | None = None) -> Any:
    """Parse a whole document read from ``path`` (named in errors)."""
    name = display_name or str(path)
    if not data.strip():
        raise InputError(f"{name}: the file is empty", fix="pass a COCO annotation file")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name}: byte {exc.start} is not valid UTF-8",
            fix="re-save the file as UTF-8",
        ) from None
    del data
    try:
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise
        except ValueError:  # int() refused an integer with too many digits
            return json.loads(text, parse_int=_int_or_long)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{name}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})",
            fix="repair the file, or export it again from the annotation tool",
        ) from None
    except RecursionError:
        raise InputError(
            f"{name}: the JSON is nested too deeply to be a COCO file",
            fix="check that this is the annotation file",
        ) from None


def _int_or_long(text: str) -> int | LongInteger:
    try:
        return int(text)
    except ValueError:
        return LongInteger(len(text.lstrip("-")))
