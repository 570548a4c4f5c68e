"""A dataset file held for fixing: its records, where each one's bytes are, and how to write
it back in its own format with only the changed records re-encoded.

JSON text (an array or JSON Lines) is rewritten by splicing: the bytes between records and
every record that no fix touched stay identical, so a fix shows up as a small diff. A changed
record is encoded in the style of the record it replaces (one line or indented, the indent
unit, separators, ASCII escapes). Parquet has no spans: the table is written again whole.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from datakit.fix.fixer import REMOVE
from datakit.io.reader import DEFAULT_MAX_RECORD_BYTES, detect_format, is_gzipped
from datakit.io.records import FileProblem, RawRecord

TextFormat = Literal["json", "jsonl"]


class NotFixable(Exception):
    """The file cannot be read well enough to fix; the message says why."""


@dataclass
class Document:
    """``records`` (parsed values, None where parsing failed), ``spans`` (byte ranges in
    ``data``); ``layout`` is what the file holds, ``wanted`` what its extension names."""

    path: Path
    kind: Literal["json", "jsonl", "parquet"]
    layout: TextFormat | Literal["parquet"]
    records: list[Any]
    spans: list[tuple[int, int]] = field(default_factory=list)
    data: bytes = b""
    parquet_schema: Any = None

    @property
    def wrong_layout(self) -> bool:
        return self.layout != self.kind


def load(path: Path, data: bytes | None = None) -> Document:
    """The file at ``path``, or ``data`` (its decompressed bytes) read as that file."""
    kind = detect_format(path)
    if kind is None:
        raise NotFixable(f"{path}: not a .json, .jsonl or .parquet file")
    if kind == "parquet":
        return _load_parquet(path, data)
    if data is None:
        try:
            raw = path.read_bytes()
            data = gzip.decompress(raw) if is_gzipped(path) else raw
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise NotFixable(f"{path}: cannot be read ({exc})") from None
    start = data.lstrip(b" \t\r\n")[:1]
    layout: TextFormat = "json" if start == b"[" else "jsonl" if start == b"{" else kind
    items = _split(data, str(path), layout)
    problems = [i for i in items if isinstance(i, FileProblem)]
    if problems:
        p = problems[0]
        where = f" line {p.line}" if p.line else ""
        raise NotFixable(f"{path}{where}: {p.message}; fix that first ({p.fix})")
    raws = [i for i in items if isinstance(i, RawRecord)]
    records: list[Any] = []
    for rec in raws:
        try:
            records.append(json.loads(rec.raw or b""))
        except ValueError:
            records.append(None)  # F001: left as it is
    spans = [(r.offset or 0, (r.offset or 0) + len(r.raw or b"")) for r in raws]
    return Document(path, kind, layout, records, spans, data)


def _split(data: bytes, name: str, layout: TextFormat) -> list[RawRecord | FileProblem]:
    from datakit.io.jsonarray import JsonArraySplitter
    from datakit.io.jsonlines import JsonLinesSplitter

    splitter: JsonArraySplitter | JsonLinesSplitter
    if layout == "json":
        splitter = JsonArraySplitter(name, max_record_bytes=DEFAULT_MAX_RECORD_BYTES)
    else:
        splitter = JsonLinesSplitter(name, max_record_bytes=DEFAULT_MAX_RECORD_BYTES)
    return [*splitter.feed(data), *splitter.finish()]


def _load_parquet(path: Path, data: bytes | None) -> Document:
    try:
        import io

        import pyarrow.parquet as pq

        table = pq.read_table(path if data is None else io.BytesIO(data))
    except Exception as exc:  # pyarrow raises many kinds for a bad file
        raise NotFixable(f"{path}: cannot be read as Parquet ({exc})") from None
    content = path.read_bytes() if data is None else data
    return Document(path, "parquet", "parquet", table.to_pylist(), data=content,
                    parquet_schema=table.schema)


def render(doc: Document, new: dict[int, Any]) -> bytes:
    """The file's bytes with ``new`` (record index -> value or REMOVE) applied, in the format
    its extension names."""
    if doc.kind == "parquet":
        return _render_parquet(doc, new)
    texts = [
        None if new.get(i) is REMOVE else
        doc.data[a:b] if i not in new else encode_like(new[i], doc.data, a, b)
        for i, (a, b) in enumerate(doc.spans)
    ]
    if doc.layout == doc.kind:
        return _splice(doc, texts)
    kept = [t for t in texts if t is not None]
    if doc.kind == "jsonl":  # an array in a .jsonl file: one record per line
        return b"".join(_one_line(t) + b"\n" for t in kept)
    return b"[\n" + b",\n".join(b"  " + t.replace(b"\n", b"\n  ") for t in kept) + b"\n]\n"


def _splice(doc: Document, texts: list[bytes | None]) -> bytes:
    data, spans = doc.data, doc.spans
    if not spans:
        return data
    out = [data[: spans[0][0]]]
    first = True
    for i, text in enumerate(texts):
        if text is None:
            continue
        if not first:
            out.append(data[spans[i - 1][1] : spans[i][0]])
        out.append(text)
        first = False
    end = data[spans[-1][1] :]
    if first and doc.layout == "jsonl":
        end = b""
    out.append(end)
    return b"".join(out)


def _one_line(text: bytes) -> bytes:
    if b"\n" not in text:
        return text
    return json.dumps(json.loads(text), ensure_ascii=False).encode("utf-8")


_INDENT_RE = re.compile(rb"\n([ \t]*)\S")


def encode_like(value: Any, data: bytes, start: int, end: int) -> bytes:
    """``value`` as JSON in the style of the record at ``data[start:end]``."""
    old = data[start:end]
    ascii_only = b"\\u" in old and max(old, default=0) < 0x80
    if b"\n" not in old:
        compact = b'","' in old or b'":"' in old or b'":[' in old or b'":{' in old
        separators = (",", ":") if compact else (", ", ": ")
        return json.dumps(value, ensure_ascii=ascii_only, separators=separators).encode("utf-8")
    line_start = data.rfind(b"\n", 0, start) + 1
    base = data[line_start:start]
    base = base if not base.strip() else b""
    m = _INDENT_RE.search(old)
    inner = m.group(1) if m else base + b"  "
    unit = inner[len(base) :] if inner.startswith(base) and len(inner) > len(base) else b"  "
    indent: int | str = len(unit) if unit.strip(b" ") == b"" else unit.decode()
    text = json.dumps(value, ensure_ascii=ascii_only, indent=indent).encode("utf-8")
    return text.replace(b"\n", b"\n" + base)


def _render_parquet(doc: Document, new: dict[int, Any]) -> bytes:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    if not new:
        return doc.data
    rows = [new.get(i, r) for i, r in enumerate(doc.records)]
    rows = [r for r in rows if r is not REMOVE]
    try:
        table = pa.Table.from_pylist(rows, schema=doc.parquet_schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, KeyError):
        table = pa.Table.from_pylist(rows)  # a fix changed the record's shape
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def write(path: Path, content: bytes) -> None:
    """Replace the file atomically (gzip-compressed again when its name ends in .gz)."""
    from datakit.io.atomic import atomic_writer

    if is_gzipped(path):
        content = gzip.compress(content, mtime=0)
    with atomic_writer(path) as handle:
        handle.write(content)
