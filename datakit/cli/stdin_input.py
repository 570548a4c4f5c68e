"""``-`` on the command line: standard input, copied to a temporary file and named ``<stdin>``.

The readers stream from regular files (they refuse pipes, which block), so standard input is
copied to disk first, in chunks. Its format is told from its first bytes: ``[`` a JSON array,
``{`` JSON Lines, ``PAR1`` Parquet, the gzip magic a gzip-compressed array or JSON Lines.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

STDIN_NAME = "<stdin>"
_SNIFF_BYTES = 64 << 10


@contextmanager
def stdin_copy(stream: BinaryIO) -> Iterator[str]:
    """The path of a temporary copy of ``stream``, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="datakit-stdin-") as folder:
        scratch = os.path.join(folder, "stdin")
        with open(scratch, "wb") as out:
            shutil.copyfileobj(stream, out, 1 << 20)
        path = os.path.join(folder, "stdin" + _suffix(scratch))
        os.rename(scratch, path)
        yield path


def _suffix(path: str) -> str:
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if head.startswith(b"PAR1"):
        return ".parquet"
    if head.startswith(b"\x1f\x8b"):
        try:
            with gzip.open(path, "rb") as inner:
                return _text_suffix(inner.read(_SNIFF_BYTES)) + ".gz"
        except (OSError, EOFError):
            return ".json.gz"  # the reader says what is wrong with it
    return _text_suffix(head)


def _text_suffix(head: bytes) -> str:
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return ".jsonl" if first == b"{" else ".json"
