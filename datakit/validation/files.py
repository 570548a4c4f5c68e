"""Which of the given paths are datasets: include/exclude globs, folders expanded, and, while
``include`` is not configured, ``.json`` files that hold no records left out.

pre-commit passes every staged file that its ``files`` pattern matches, so a dataset
repository's ``package.json``, editor settings or COCO annotation files arrive here too. They
are JSON objects; a Qwen-VL dataset is an array. With the default ``include``, a ``.json``
file whose top level is an object is skipped unless it looks like records written the wrong
way (one record with "conversations", records wrapped in an object, or JSON Lines), which
the reader then reports (F002). A configured ``include`` means every match is a dataset.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, Protocol

from datakit.validation.settings import Settings

HEAD_BYTES = 64 << 10
PARSE_LIMIT_BYTES = 16 << 20  # larger objects are judged by their first HEAD_BYTES
_SNIFFED_SUFFIXES = (".json", ".json.gz")
_LEADING_SPACE = b"\xef\xbb\xbf \t\r\n"  # a BOM is the reader's finding, not a verdict here


@dataclass
class Selection:
    files: list[str] = field(default_factory=list)
    # (path, why) for files that matched include but hold no dataset
    not_datasets: list[tuple[str, str]] = field(default_factory=list)
    # folders named on the command line in which no dataset file was found
    empty_folders: list[str] = field(default_factory=list)


def select_dataset_files(
    paths: Iterable[Path], settings: Settings, *, skip_non_datasets: bool = False
) -> Selection:
    """Files to check, in the order given (folders expanded in sorted order).

    A named file is checked whatever its name or content, so that a mistake (a COCO file, a
    typo, a device) is reported rather than passed over. With ``skip_non_datasets`` (a file
    list from a tool such as pre-commit, which hands over every staged file) a named file
    that no include pattern matches, that an exclude pattern matches, or that is plainly not a
    dataset is skipped instead. Folders are always walked that way. Patterns match the path
    relative to the folder of the configuration file (the working directory without one) or
    the bare file name; ``*`` also matches ``/``.
    """
    base = os.path.abspath(settings.base_dir)
    selection = Selection()
    for path in paths:
        if path.is_dir():
            found_before = len(selection.files)
            for folder, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    # `datakit validate .` reports data/a.json, not ./data/a.json (GitHub
                    # annotations need the plain path).
                    found = os.path.normpath(os.path.join(folder, name))
                    _consider(found, settings, base, selection)
            if len(selection.files) == found_before:
                selection.empty_folders.append(str(path))
        elif skip_non_datasets and path.exists():
            _consider(str(path), settings, base, selection)
        else:
            selection.files.append(str(path))  # judged (or reported missing) by the reader
    return selection


def dataset_files(paths: Iterable[Path], settings: Settings) -> list[str]:
    return select_dataset_files(paths, settings).files


def _consider(path: str, settings: Settings, base: str, selection: Selection) -> None:
    if not _wanted(path, settings, base):
        return
    if not settings.include_configured and path.lower().endswith(_SNIFFED_SUFFIXES):
        why = not_a_dataset(path)
        if why is not None:
            selection.not_datasets.append((path, why))
            return
    if not settings.include_configured and path.lower().endswith(".parquet"):
        why = not_a_parquet_dataset(path)
        if why is not None:
            selection.not_datasets.append((path, why))
            return
    selection.files.append(path)


def _wanted(path: str, settings: Settings, base: str) -> bool:
    rel = os.path.relpath(os.path.abspath(path), base).replace(os.sep, "/")
    name = rel.rsplit("/", 1)[-1]

    def hit(patterns: tuple[str, ...]) -> bool:
        return any(fnmatch(rel, p) or fnmatch(name, p) for p in patterns)

    return hit(settings.include) and not hit(settings.exclude)


def not_a_dataset(path: str) -> str | None:
    """Why a ``.json`` file is not a dataset, or None when it may be one (the reader then
    judges it: anything unreadable or malformed is a finding, never a reason to skip)."""
    from datakit.io.source import OpenFailed

    try:
        with _open(path) as handle:
            head = handle.read(HEAD_BYTES)
            if not head.lstrip(_LEADING_SPACE).startswith(b"{"):
                return None
            rest = handle.read(PARSE_LIMIT_BYTES - len(head) + 1)
    except (OpenFailed, OSError, EOFError, ValueError):
        return None
    import orjson

    document: Any = None
    if len(head) + len(rest) <= PARSE_LIMIT_BYTES:
        try:
            document = orjson.loads((head + rest).lstrip(_LEADING_SPACE))
        except orjson.JSONDecodeError:
            document = None
    if isinstance(document, dict):
        if _holds_records(document):
            return None
        return "a JSON object with no Qwen-VL records, not a dataset (an array of records)"
    # Too large to parse here, or not one JSON value (JSON Lines, a syntax error).
    if b'"conversations"' in head:
        return None
    return (f"it starts a JSON object and its first {HEAD_BYTES >> 10} KiB hold no Qwen-VL "
            "records: not a dataset (an array of records)")


# Columns of records that datakit judges: Qwen-VL and sharegpt conversations, ms-swift
# messages, and the layouts X003 names (query/response, Alpaca).
_RECORD_COLUMNS = ("conversations", "messages", "query", "instruction")


def not_a_parquet_dataset(path: str) -> str | None:
    """Why a Parquet file is not a dataset (a table without a column of records, such as the
    rows ``datakit stats --parquet`` writes), or None when it may be one. Only the footer is
    read; an unreadable file is left to the reader, which reports it."""
    from datakit.io.source import open_binary

    try:
        import pyarrow.parquet as pq

        # Opened as the readers open (a FIFO or device is refused, never read).
        with open_binary(Path(path), path) as raw:
            names = pq.read_schema(raw).names
    except Exception:  # not Parquet, truncated, unreadable: the reader's finding
        return None
    if any(column in names for column in _RECORD_COLUMNS):
        return None
    shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
    return f"a Parquet table without a conversations column ({shown}), not a dataset"


def _holds_records(document: dict[str, Any]) -> bool:
    if "conversations" in document:
        return True
    return any(
        isinstance(value, list) and value and isinstance(value[0], dict)
        and "conversations" in value[0]
        for value in document.values()
    )


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@contextmanager
def _open(path: str) -> Iterator[_Readable]:
    # As the readers open: a FIFO named .json would block a plain open() until a writer
    # appeared, and a device would be read. OpenFailed leaves the verdict to the reader.
    from datakit.io.source import open_binary

    with open_binary(Path(path), path) as raw:
        if path.lower().endswith(".gz"):
            import gzip

            with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                yield unzipped
        else:
            yield raw
