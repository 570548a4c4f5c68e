"""Parse raw records: orjson on the hot path, Python's ``json`` where the trainer's view differs.

The trainer loads data with ``json.load``. orjson is much faster but disagrees with it in ways
that matter here, so a record takes the slow path whenever one could apply:

- orjson rejects ``NaN``/``Infinity`` (json accepts them: parsed, with a note), lone surrogate
  escapes (accepted, with a note) and numbers that overflow a float;
- orjson turns integers beyond 64 bits into floats (json keeps them exact), and json itself
  fails on integers longer than ``int()`` converts (4,300 digits by default): an error here;
- both keep the last of duplicate keys silently. A record has a duplicate key exactly when it has
  more strings than its parsed value: a cheap count of unescaped quotes in the raw bytes and in
  orjson's re-serialisation decides, and only then a hook names the path of the duplicate.

Every error carries its position in the file, not in the record.
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

import orjson

from datakit.io.records import ParsedRecord, ParseNote, RawRecord
from datakit.io.source import advance

_ESCAPE = re.compile(rb"\\.", re.DOTALL)
# orjson parses integers only up to 64 bits; 19 digits may already overflow a signed one.
# A run of 19 ASCII digits is searched as a run of 19 zeros after mapping every digit to "0"
# and everything else to a space: a translate and a substring search cost about a tenth of
# re's search for \d{19} on digit-heavy records (coordinates, paths with numbers).
_DIGITS_TO_ZERO = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_BIG_INT_RUN = b"0" * 19
_SURROGATE = re.compile("[\ud800-\udfff]")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_MAX_NOTES = 20


def parse_record(rec: RawRecord) -> ParsedRecord:
    """The record's value, or the error that stops ``json.load`` on it, with notes on what
    ``json.load`` accepts but other tools do not (or what it silently drops)."""
    raw = rec.raw
    if raw is None:
        return ParsedRecord(rec, rec.value)
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _parse_slow(rec, raw)
    if _has_big_int(raw):
        return _parse_slow(rec, raw)
    try:
        again = orjson.dumps(value)
    except orjson.JSONEncodeError:  # orjson writes 255 levels at most, reads 1024
        return _parse_slow(rec, raw)
    if _string_count(raw) != _string_count(again):
        return _parse_slow(rec, raw)
    return ParsedRecord(rec, value)


def parse_records(batch: list[RawRecord]) -> list[ParsedRecord]:
    """``parse_record`` over a batch: the unit of work sent to worker processes."""
    return [parse_record(rec) for rec in batch]


def json_path(record_index: int | None, parts: tuple[str | int, ...] = ()) -> str:
    """JSONPath of a value: ``$[12].conversations[3].value`` (keys that are not identifiers are
    quoted: ``$[0]["a key"]``)."""
    path = "$" if record_index is None else f"$[{record_index}]"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _IDENTIFIER.match(part):
            path += f".{part}"
        else:
            path += f"[{json.dumps(part, ensure_ascii=False)}]"
    return path


def _has_big_int(raw: bytes) -> bool:
    return _BIG_INT_RUN in raw.translate(_DIGITS_TO_ZERO)


def _string_count(data: bytes) -> int:
    """Number of unescaped double quotes: twice the number of strings in valid JSON."""
    # Only a quote right after a backslash can be escaped; most records have backslashes
    # (\n in values) but no \" at all, and then every quote counts.
    if b'\\"' in data:
        data = _ESCAPE.sub(b"", data)
    return data.count(b'"')


def _parse_slow(rec: RawRecord, raw: bytes) -> ParsedRecord:
    try:
        # Strict UTF-8, as the trainer's open() decodes (json.loads(bytes) would let surrogates
        # encoded in UTF-8 through).
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8")
        line, column = _at(rec, before, len(before))
        byte = raw[exc.start]
        return _failed(rec, f"invalid UTF-8 (byte 0x{byte:02x}): {exc.reason}", line, column)
    duplicates: dict[int, tuple[dict[str, Any], list[tuple[str, Any]]]] = {}

    def collect_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            duplicates[id(obj)] = (obj, pairs)  # holding obj keeps its id unique
        return obj

    try:
        value = json.loads(text, object_pairs_hook=collect_pairs)
    except json.JSONDecodeError as exc:
        line, column = _at(rec, text, exc.pos)
        return _failed(rec, f"invalid JSON: {exc.msg}", line, column)
    except RecursionError:
        return _failed(
            rec,
            "nested too deeply: Python's json.load fails with RecursionError",
            rec.line,
            rec.column,
        )
    except ValueError:
        # Only int() raises a plain ValueError in json.loads: too many digits to convert.
        return _long_int_failure(rec, text)
    return ParsedRecord(rec, value, notes=tuple(_notes(rec.index, value, duplicates)))


def _long_int_failure(rec: RawRecord, text: str) -> ParsedRecord:
    limit = int_digit_limit()
    found = None
    if limit:
        # The first run of too many digits outside every string.
        strings = r'"[^"\\]*(?:\\.[^"\\]*)*"'
        pattern = re.compile(strings + r"|-?(\d{" + str(limit + 1) + ",})")
        found = next((m for m in pattern.finditer(text) if m.group(1)), None)
    if found is None:
        return _failed(rec, "invalid JSON for Python: json.load fails (ValueError)",
                       rec.line, rec.column)
    line, column = _at(rec, text, found.start())
    return _failed(
        rec,
        f"invalid JSON for Python: an integer of {len(found.group(1)):,} digits; json.load"
        f" fails on integers over {limit:,} digits (ValueError)",
        line,
        column,
    )


def int_digit_limit() -> int:
    """The most digits ``int()`` converts in this process (``sys.get_int_max_str_digits``:
    4,300 unless changed), or 0 for no limit."""
    getter = getattr(sys, "get_int_max_str_digits", None)
    return int(getter()) if getter is not None else 0


def _at(rec: RawRecord, text: str, pos: int) -> tuple[int | None, int | None]:
    if rec.line is None or rec.column is None:
        return None, None
    return advance(rec.line, rec.column, text, pos)


def _failed(rec: RawRecord, error: str, line: int | None, column: int | None) -> ParsedRecord:
    return ParsedRecord(rec, None, error=error, error_line=line, error_column=column)


def _notes(
    index: int,
    value: Any,
    duplicates: dict[int, tuple[dict[str, Any], list[tuple[str, Any]]]],
) -> list[ParseNote]:
    notes: list[ParseNote] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack and len(notes) < _MAX_NOTES:
        node, parts = stack.pop()
        if isinstance(node, dict):
            if id(node) in duplicates:
                notes.extend(_duplicate_notes(index, parts, duplicates[id(node)][1]))
            stack.extend((child, (*parts, key)) for key, child in reversed(node.items()))
            for key in node:
                if _SURROGATE.search(key):
                    notes.append(_surrogate_note(index, (*parts, key), "key"))
        elif isinstance(node, list):
            stack.extend((child, (*parts, i)) for i, child in reversed(list(enumerate(node))))
        elif isinstance(node, float) and not math.isfinite(node):
            shown = "NaN" if math.isnan(node) else ("-Infinity" if node < 0 else "Infinity")
            notes.append(
                ParseNote(
                    "nonstandard-constant",
                    f"{shown} (or a number too large for a float) is not standard JSON; Python's"
                    " json.load accepts it, but orjson, JavaScript and Arrow reject the file",
                    json_path(index, parts),
                )
            )
        elif isinstance(node, str) and _SURROGATE.search(node):
            notes.append(_surrogate_note(index, parts, "string"))
    return notes[:_MAX_NOTES]


def _duplicate_notes(
    index: int, parts: tuple[str | int, ...], pairs: list[tuple[str, Any]]
) -> list[ParseNote]:
    seen: dict[str, int] = {}
    for key, _ in pairs:
        seen[key] = seen.get(key, 0) + 1
    notes = []
    for key, count in seen.items():
        if count < 2:
            continue
        kept = dict(pairs)[key]
        notes.append(
            ParseNote(
                "duplicate-key",
                f"key {key!r} appears {count} times; json.load keeps only the last value"
                f" ({_short(kept)}) and silently drops the others",
                json_path(index, (*parts, key)),
            )
        )
    return notes


def _surrogate_note(index: int, parts: tuple[str | int, ...], what: str) -> ParseNote:
    return ParseNote(
        "lone-surrogate",
        f"the {what} contains an unpaired surrogate escape (e.g. \\ud83d without its pair):"
        " not valid Unicode, it cannot be encoded as UTF-8 or tokenised",
        json_path(index, parts),
    )


def _short(value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= 40 else shown[:37] + "..."
