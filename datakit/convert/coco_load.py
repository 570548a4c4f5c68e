"""Read a COCO annotation file for conversion, without its segmentations.

The converter never looks at ``segmentation``, yet in COCO's train2017 instances file the
polygons are most of the 450 MB, and as Python floats they would take about 3 GB. So before
parsing, every polygon list and every uncompressed RLE is replaced by ``[]`` in the raw bytes.
``"segmentation":`` can only be an object key in valid JSON (inside a string each quote is
escaped), and a value is only dropped when its bytes are plainly numbers and brackets; anything
else is left for the parser. A file that fails to parse is parsed again
unchanged, so error positions always refer to the file as written.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import orjson

from datakit.convert.json_document import parse_json_bytes, read_document_bytes

_KEY = b'"segmentation":'
_WHITESPACE = b" \t\r\n"
_POLYGON_BYTES = b"0123456789.eE+-,[] \t\r\n"
_RLE_BYTES = b'0123456789,[]{}:" \t\r\ncountsize'
_EMPTY = b"[]"
_CHECK_EVERY = 8192


def drop_segmentation(data: bytes) -> bytes:
    """``data`` with each polygon / uncompressed-RLE segmentation value replaced by ``[]``.

    A polygon list ``[[x,y,...],...]`` ends at its first ``]]``; an RLE object at its first
    ``}``. Whether every cut value is plain numbers and brackets is checked in bulk (one
    ``translate`` over thousands of them); only when that fails is each value checked on its
    own.
    A value cut in the wrong place would leave unbalanced brackets: such a value is kept.
    """
    parts = data.split(_KEY)
    if len(parts) == 1:
        return data
    out = [parts[0]]
    polygons: list[bytes] = []
    rles: list[bytes] = []
    plain = True
    for piece in parts[1:]:
        value = piece.lstrip(_WHITESPACE)
        first = value[:1]
        end = 0
        if first == b"[":
            end = value.find(b"]]") + 2
            if end > 1:
                polygons.append(value[:end])
        elif first == b"{":
            end = value.find(b"}") + 1
            if end > 0:
                rles.append(value[:end])
        out.append(_EMPTY + value[end:] if end > 1 else piece)
        if len(polygons) + len(rles) >= _CHECK_EVERY:
            # checked in batches, so that the cut values never pile up in memory
            plain = plain and _all_plain(polygons, rles)
            polygons, rles = [], []
    if not (plain and _all_plain(polygons, rles)):
        return _drop_checked(parts)
    return _KEY.join(out)


def _all_plain(polygons: list[bytes], rles: list[bytes]) -> bool:
    # Each cut polygon has at least as many "[" as "]" (it ends at its first "]]"), so equal
    # totals mean every one is balanced: deeper nesting would be cut too early.
    polygon_bytes = b"".join(polygons)
    return not (
        polygon_bytes.translate(None, _POLYGON_BYTES)
        or polygon_bytes.count(b"[") != polygon_bytes.count(b"]")
        or b"".join(rles).translate(None, _RLE_BYTES)
        or not all(map(_whole_rle, rles))
    )


def _whole_rle(cut: bytes) -> bool:
    # Cut at its first "}": that brace closes the object only when no string is open there
    # (an even number of quotes before it) and no object opened inside it ({"counts": "}",
    # ...} is a compressed RLE whose string holds a brace). Uncompressed RLEs are rare (crowd
    # regions), so checking each on its own costs little.
    return cut.count(b'"') % 2 == 0 and cut.count(b"{") == 1 and (
        cut.count(b"[") == cut.count(b"]"))


def _drop_checked(parts: list[bytes]) -> bytes:
    # The slow path for files with values that are not plain (compressed RLE strings, ...).
    out = [parts[0]]
    for piece in parts[1:]:
        value = piece.lstrip(_WHITESPACE)
        end, allowed = 0, b""
        if value[:1] == b"[":
            end, allowed = value.find(b"]]") + 2, _POLYGON_BYTES
        elif value[:1] == b"{":
            end, allowed = value.find(b"}") + 1, _RLE_BYTES
        cut = value[:end]
        whole = _whole_rle(cut) if allowed is _RLE_BYTES else cut.count(b"[") == cut.count(b"]")
        if end > 1 and not cut.translate(None, allowed) and whole:
            out.append(_EMPTY + value[end:])
        else:
            out.append(piece)
    return _KEY.join(out)


def load_coco_file(path: Path) -> Any:
    """Parse a COCO file (``.json`` or ``.json.gz``) with segmentations dropped; an ODVG
    JSONL file comes back as an ``odvg.OdvgFile``."""
    data = read_document_bytes(path)
    # Parsing creates millions of containers; the cyclic collector would rescan them all
    # again and again while they are built (they hold no cycles).
    enabled = gc.isenabled()
    gc.disable()
    try:
        try:
            parsed = orjson.loads(drop_segmentation(data))
            if isinstance(parsed, dict) and "filename" in parsed:  # ODVG of a single line?
                from datakit.convert.odvg import looks_like_odvg, parse_odvg

                if looks_like_odvg(data):
                    return parse_odvg(data, path)
            return parsed
        except orjson.JSONDecodeError:
            from datakit.convert.odvg import looks_like_odvg, parse_odvg

            if looks_like_odvg(data):
                return parse_odvg(data, path)
            return parse_json_bytes(data, path)
    finally:
        if enabled:
            gc.enable()
