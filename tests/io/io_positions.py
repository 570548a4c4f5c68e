"""What the reader tests compare: each item's kind or index and its exact position."""

from __future__ import annotations

from datakit.io.records import FileProblem, RawRecord


def positions(items: list[RawRecord | FileProblem]) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for item in items:
        if isinstance(item, RawRecord):
            out.append((item.index, item.line, item.column, item.offset, item.raw))
        else:
            out.append((item.kind, item.line, item.column, item.offset, item.record_index))
    return out
