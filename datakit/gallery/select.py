"""Choose the samples to preview, in one streaming pass over the files.

Candidates are every record, or those with the given ids, or those with findings. A seeded
sample of N keeps the N candidates with the smallest keyed hash of (seed, file, index): the
choice is the same on every run with the same seed and does not depend on reading order, and
only N records are held in memory. Chosen samples come back in file order.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Callable, Collection, Container, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datakit.findings import Finding
from datakit.io.records import FileProblem

SampleKey = tuple[str, int]
_PROGRESS_EVERY = 4096  # records between progress calls


@dataclass
class Chosen:
    """One chosen record: its decoded value, or the parse error that stopped it."""

    file: str
    index: int
    line: int | None
    record: Any
    error: str | None = None
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Selection:
    chosen: list[Chosen]
    candidates: int  # how many records qualified before sampling
    missing_ids: list[str]
    problems: list[FileProblem]


def sample_key(seed: int, file: str, index: int) -> bytes:
    return hashlib.blake2b(
        f"{file}\0{index}".encode("utf-8", "surrogatepass"),
        digest_size=8,
        key=str(seed).encode(),
    ).digest()


def select_samples(
    paths: Sequence[str | Path],
    *,
    sample: int | None,
    seed: int = 0,
    ids: Collection[str] = (),
    only: Container[SampleKey] | None = None,
    display_names: Mapping[str, str] | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> Selection:
    """Stream ``paths`` and choose records.

    ``ids`` keeps records whose ``id`` (as text) is listed; ``only`` keeps the listed
    (file, index) pairs (e.g. samples with findings); ``sample`` keeps a seeded random N of
    what remains (all of it when ``None``). A file is known by its name in ``display_names``
    (``<stdin>`` for a copy of standard input), so that the choice does not depend on where
    the copy was put. ``progress(label, records read)`` is told now and then.
    """
    from datakit.io.parse import parse_record
    from datakit.io.reader import iter_records
    from datakit.statistics.sample import record_id

    wanted_ids = set(ids)
    found_ids: set[str] = set()
    heap: list[tuple[bytes, int, Chosen]] = []  # max-heap on the key, via negated bytes
    kept: list[tuple[int, Chosen]] = []
    problems: list[FileProblem] = []
    candidates = 0
    names = display_names or {}
    for order, path in enumerate(paths):
        display = names.get(str(path), str(path))
        label = f"{display}: choosing"
        read = 0
        for item in iter_records(str(path), display_name=display):
            if isinstance(item, FileProblem):
                problems.append(item)
                continue
            read = item.index + 1
            if progress is not None and not read % _PROGRESS_EVERY:
                progress(label, read)
            if only is not None and (display, item.index) not in only:
                continue
            parsed = parse_record(item)
            if wanted_ids:
                rid = record_id(parsed.value)
                if rid is None or rid not in wanted_ids:
                    continue
                found_ids.add(rid)
            candidates += 1
            chosen = Chosen(display, item.index, item.line, parsed.value, parsed.error)
            position = (order << 40) | item.index
            if sample is None:
                kept.append((position, chosen))
                continue
            inverted = bytes(255 - b for b in sample_key(seed, display, item.index))
            entry = (inverted, position, chosen)
            if len(heap) < sample:
                heapq.heappush(heap, entry)
            elif sample and entry[:2] > heap[0][:2]:
                heapq.heapreplace(heap, entry)
        if progress is not None:
            progress(label, read)
    if sample is not None:
        kept = [(position, chosen) for _, position, chosen in heap]
    kept.sort(key=lambda pair: pair[0])
    missing = sorted(wanted_ids - found_ids)
    return Selection([c for _, c in kept], candidates, missing, problems)
