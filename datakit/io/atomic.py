"""Atomic output files: the destination is either the old file or the complete new one.

Data goes to a temporary file next to the destination (same file system, so ``os.replace`` is
an atomic rename), is flushed and fsynced, and only then replaces the destination. On any
exception, Ctrl-C included (and SIGTERM or SIGHUP, which the command line turns into an
exception), the temporary file is removed and the old output stays untouched. A process
killed outright (SIGKILL, power loss) cannot clean up: it may leave a file named
``.<name>.datakit-tmp-<random>`` next to the destination, never a partial destination. Such
files are safe to delete.

A full disk, a quota, a read-only file system: any failure to write is an ``OutputError``
naming the file (exit 2), never a traceback. An existing destination without write
permission is refused rather than silently replaced.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import orjson

from datakit.errors import DatakitError, InputError
from datakit.io.targets import check_targets

TEMP_MARKER = ".datakit-tmp-"

# Errors of writing itself (rather than of reading an input inside the ``with`` block).
_WRITE_ERRNOS = frozenset(
    getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EFBIG", "EROFS", "EIO", "EACCES",
                                      "EPERM", "ENODEV")
    if hasattr(errno, name)
)


class OutputError(DatakitError):
    """An output file cannot be written (full disk, read-only, permissions); nothing was."""


def temp_prefix(path: str | Path) -> str:
    """Start of the temporary file names used while writing ``path``."""
    return f".{Path(path).name}{TEMP_MARKER}"


def check_not_input(path: str | Path, inputs: Sequence[str | Path]) -> None:
    """Refuse an output path that is one of the inputs (same path, symlink or hard link)."""
    check_targets([("output", path)], [("input file", given) for given in inputs])


def check_destination(out: Path) -> None:
    """Refuse a destination that cannot (or must not) be replaced, before any work: a folder,
    a missing folder, or an existing file without write permission. Renaming over a read-only
    file would succeed, but the permission says it is not to be changed."""
    if out.is_dir():
        raise InputError(f"cannot write {out}: it is a directory", fix="give a file name")
    directory = out.parent
    if not directory.is_dir():
        raise InputError(
            f"cannot write {out}: the directory {directory} does not exist",
            fix=f"create it first (mkdir -p {directory})",
        )
    try:
        mode = out.stat().st_mode
    except OSError:
        return  # a new file
    if stat.S_ISREG(mode) and (not mode & 0o222 or not os.access(out, os.W_OK)):
        raise OutputError(
            f"refusing to replace {out}: the file is read-only",
            fix=f"make it writable (chmod u+w {out}) or choose another output path",
        )


@contextlib.contextmanager
def atomic_writer(path: str | Path, *, inputs: Sequence[str | Path] = ()) -> Iterator[IO[bytes]]:
    """Open a binary file that becomes ``path`` only when the ``with`` block ends normally."""
    out = Path(path)
    check_not_input(out, inputs)
    check_destination(out)
    directory = out.parent
    try:
        fd, temp_name = tempfile.mkstemp(prefix=temp_prefix(out), dir=directory)
    except OSError as exc:
        raise OutputError(
            f"cannot write in {directory}: {exc.strerror}", fix=_fix_for(exc, directory)
        ) from None
    temp = Path(temp_name)
    passed_on: OSError | None = None  # an error of the block that is not about this file
    try:
        try:
            os.fchmod(fd, _mode_for(out))
            with os.fdopen(fd, "wb") as handle:
                try:
                    yield handle
                except OSError as exc:
                    # A failed write of this file (no file name: write() on the handle), or
                    # something else (reading an input), which stays what it is.
                    if exc.filename is None and exc.errno in _WRITE_ERRNOS:
                        raise _output_error(out, exc) from None
                    passed_on = exc
                    raise
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, out)
        except OSError as exc:  # flushing, closing or renaming: about this file
            if exc is passed_on:
                raise
            raise _output_error(out, exc) from None
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _sync_directory(directory)


def _output_error(out: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or str(exc)
    return OutputError(f"cannot write {out}: {reason} (nothing was written; any old {out.name} "
                       "is unchanged)", fix=_fix_for(exc, out.parent))


def _fix_for(exc: OSError, directory: Path) -> str:
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return f"free some space on the disk of {directory}, or write elsewhere"
    if exc.errno == errno.EFBIG:
        return "the file is larger than this file system or process allows: write elsewhere"
    if exc.errno == errno.EROFS:
        return f"{directory} is on a read-only file system: write elsewhere"
    return f"check the permissions of {directory}, or write elsewhere"


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
