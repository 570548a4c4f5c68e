"""Feed a JSON array to the splitter in chunks of a given size, as a reader would."""

from __future__ import annotations

from datakit.io.jsonarray import JsonArraySplitter
from datakit.io.records import FileProblem, RawRecord


def split(data: bytes, chunk_bytes: int) -> list[RawRecord | FileProblem]:
    splitter = JsonArraySplitter("f.json", max_record_bytes=1 << 30)
    items: list[RawRecord | FileProblem] = []
    for start in range(0, len(data), chunk_bytes):
        items.extend(splitter.feed(data[start : start + chunk_bytes]))
        if splitter.stopped:
            return items
    items.extend(splitter.finish())
    return items
