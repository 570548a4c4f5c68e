"""Read any supported dataset file as a stream of records and file problems.

``iter_records`` never raises for bad input: what is wrong with the file arrives in the stream
as a ``FileProblem`` (``fatal`` when reading stopped there), in file order with the records.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from datakit.io.jsonarray import JsonArraySplitter
from datakit.io.jsonlines import JsonLinesSplitter
from datakit.io.records import FileProblem, RawRecord
from datakit.io.source import (
    DEFAULT_CHUNK_BYTES,
    OpenFailed,
    StreamBroken,
    open_binary,
    read_chunks,
)

Format = Literal["json", "jsonl", "parquet"]
DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024
_SUFFIXES: dict[str, Format] = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}


def detect_format(path: str | Path) -> Format | None:
    """The dataset format named by the file's extension (``.gz`` is looked through, except for
    Parquet, which compresses internally), or ``None`` if it is not one datakit reads."""
    name = Path(path).name.lower()
    if name.endswith(".gz"):
        name = name[: -len(".gz")]
        found = _SUFFIXES.get(Path(name).suffix)
        return None if found == "parquet" else found
    return _SUFFIXES.get(Path(name).suffix)


def is_gzipped(path: str | Path) -> bool:
    return str(path).lower().endswith(".gz")


def iter_records(
    path: str | Path,
    *,
    display_name: str | None = None,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
) -> Iterator[RawRecord | FileProblem]:
    """Records of a ``.json`` (one array), ``.jsonl``/``.ndjson`` or ``.parquet`` file, optionally
    gzip-compressed (``.json.gz``, ``.jsonl.gz``), streamed in bounded memory.

    ``display_name`` is the name used in records and problems (default: the path as given).
    Records over ``max_record_bytes`` are skipped and reported. ``chunk_bytes`` is the read
    size; it changes speed and memory, never the result.
    """
    path = Path(path)
    file = display_name if display_name is not None else str(path)
    kind = detect_format(path)
    if kind is None:
        try:  # a mistyped or special path gets that said first, not its extension
            open_binary(path, file).close()
        except OpenFailed as exc:
            yield exc.problem
            return
        yield FileProblem(
            file,
            "unreadable",
            f"has an extension datakit does not read ({path.name!r})",
            "use .json (one array), .jsonl, .ndjson, .parquet, or .json.gz / .jsonl.gz "
            "(datakit validate reads standard input as '-')",
        )
        return
    if kind == "parquet":
        from datakit.io.parquet import iter_parquet

        yield from iter_parquet(path, file, max_record_bytes)
        return
    splitter: JsonArraySplitter | JsonLinesSplitter
    if kind == "json":
        splitter = JsonArraySplitter(file, max_record_bytes=max_record_bytes)
    else:
        splitter = JsonLinesSplitter(file, max_record_bytes=max_record_bytes)
    try:
        source = open_binary(path, file)
    except OpenFailed as exc:
        yield exc.problem
        return
    with source:
        chunks = read_chunks(source, gzipped=is_gzipped(path), chunk_bytes=chunk_bytes)
        while True:
            try:
                chunk = next(chunks)
            except StopIteration:
                break
            except StreamBroken as exc:
                yield splitter.broken(exc)
                return
            yield from splitter.feed(chunk)
            if splitter.stopped:
                return
        yield from splitter.finish()


def records_only(
    path: str, problems: list[FileProblem], *, display_name: str | None = None
) -> Iterator[RawRecord]:
    """The records of ``path``; its file problems go to ``problems`` as they are met."""
    for item in iter_records(path, display_name=display_name or path):
        if isinstance(item, FileProblem):
            problems.append(item)
        else:
            yield item
