"""A unified diff that ``patch`` applies to give the fixed file byte for byte."""

from __future__ import annotations

import difflib

_NO_NEWLINE = "\\ No newline at end of file\n"


def unified_diff(path: str, before: bytes, after: bytes) -> str:
    """``--- path`` / ``+++ path`` hunks; empty when nothing changed."""
    if before == after:
        return ""
    old = before.decode("utf-8", "surrogateescape").splitlines(keepends=True)
    new = after.decode("utf-8", "surrogateescape").splitlines(keepends=True)
    out = []
    for line in difflib.unified_diff(old, new, fromfile=path, tofile=path):
        out.append(line if line.endswith("\n") else line + "\n" + _NO_NEWLINE)
    return "".join(out)
