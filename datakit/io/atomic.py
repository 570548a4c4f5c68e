"""Atomic output files: the destination is either the old file or the complete new one.

Data goes to a temporary file next to the destination (same file system, so ``os.replace`` is
an atomic rename), is flushed and fsynced, and only then replaces the destination. On any
exception, Ctrl-C included, the temporary file is removed and the old output stays untouched.
A process killed outright (SIGKILL, power loss) cannot clean up: it may leave a file named
``.<name>.datakit-tmp-<random>`` next to the destination, never a partial destination. Such
files are safe to delete.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import orjson

from datakit.errors import InputError

TEMP_MARKER = ".datakit-tmp-"


def temp_prefix(path: str | Path) -> str:
    """Start of the temporary file names used while writing ``path``."""
    return f".{Path(path).name}{TEMP_MARKER}"


def check_not_input(path: str | Path, inputs: Sequence[str | Path]) -> None:
    """Refuse an output path that is one of the inputs (same path, symlink or hard link)."""
    out = Path(path)
    for given in inputs:
        source = Path(given)
        same = out.resolve() == source.resolve()
        if not same and out.exists() and source.exists():
            same = os.path.samefile(out, source)
        if same:
            raise InputError(
                f"refusing to write {out}: it is the input file {source}",
                fix="choose a different output path; datakit never overwrites its input",
            )


@contextlib.contextmanager
def atomic_writer(path: str | Path, *, inputs: Sequence[str | Path] = ()) -> Iterator[IO[bytes]]:
    """Open a binary file that becomes ``path`` only when the ``with`` block ends normally."""
    out = Path(path)
    check_not_input(out, inputs)
    if out.is_dir():
        raise InputError(f"cannot write {out}: it is a directory", fix="give a file name")
    directory = out.parent
    if not directory.is_dir():
        raise InputError(
            f"cannot write {out}: the directory {directory} does not exist",
            fix=f"create it first (mkdir -p {directory})",
        )
    try:
        fd, temp_name = tempfile.mkstemp(prefix=temp_prefix(out), dir=directory)
    except OSError as exc:
        raise InputError(
            f"cannot write in {directory}: {exc.strerror}", fix="check the directory's permissions"
        ) from None
    temp = Path(temp_name)
    try:
        os.fchmod(fd, _mode_for(out))
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _sync_directory(directory)


def write_json_array(
    path: str | Path, records: Iterable[Any], *, inputs: Sequence[str | Path] = ()
) -> int:
    """Write ``records`` as one JSON array, one record at a time; returns how many.

    UTF-8 without escaping non-ASCII (``ensure_ascii=False``), each record indented by two
    spaces inside the array, keys in their given order: the same records give the same bytes.
    """
    count = 0
    with atomic_writer(path, inputs=inputs) as handle:
        handle.write(b"[")
        for record in records:
            handle.write(b"\n  " if count == 0 else b",\n  ")
            handle.write(_encode_pretty(record).replace(b"\n", b"\n  "))
            count += 1
        handle.write(b"\n]\n" if count else b"]\n")
    return count


def write_jsonl(
    path: str | Path, records: Iterable[Any], *, inputs: Sequence[str | Path] = ()
) -> int:
    """Write ``records`` as JSON Lines (compact, UTF-8, one per line); returns how many."""
    count = 0
    with atomic_writer(path, inputs=inputs) as handle:
        for record in records:
            handle.write(_encode_compact(record))
            handle.write(b"\n")
            count += 1
    return count


def _encode_pretty(record: Any) -> bytes:
    try:
        data = orjson.dumps(record, option=orjson.OPT_INDENT_2)
    except TypeError:  # integers beyond 64 bits, types orjson does not know
        return json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8")
    if b"null" in data and _has_nonfinite(record):
        # orjson writes NaN and Infinity as null: keep what json.load would read back.
        return json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8")
    return data


def _encode_compact(record: Any) -> bytes:
    try:
        data = orjson.dumps(record)
    except TypeError:
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if b"null" in data and _has_nonfinite(record):
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return data


def _has_nonfinite(record: Any) -> bool:
    try:
        json.dumps(record, allow_nan=False)
    except ValueError:
        return True
    return False


def _mode_for(out: Path) -> int:
    """Keep an existing file's permissions; give a new one the usual umask-based mode
    (mkstemp creates 0600)."""
    try:
        return out.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _sync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not possible on every platform or file system.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
