"""Findings with bounded memory: per file and rule, the first N in report order; the rest counted.

A million broken records must not become a million findings held at once (a ``{}`` record
alone earns two, a tag soup value thousands). ``FindingCap`` keeps, for each (file, rule
code), the ``limit`` findings that come first in the report's order and only counts the
others, so totals and exit codes stay exact. Workers cap each batch this way and the main
process caps the merged stream, which gives exactly the first ``limit`` of the whole file: a
finding a batch drops sorts after ``limit`` findings that the batch kept.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable

from datakit.findings import Finding

# Kept per file and rule when nothing else is asked for: generous for a JSON report or a CI
# log, and a bound on memory (the text report on a terminal lists fewer, see the CLI).
DEFAULT_LIMIT = 1000

# (record index, line, column, JSON path, character offset, code)
PositionKey = tuple[int, int, int, str, int, str]
Where = tuple[str, str]  # (file as displayed, rule code)

_AFTER_RECORDS = 1 << 60


def position_key(f: Finding) -> PositionKey:
    """Where a finding sorts within its file."""
    loc = f.location
    index = loc.record_index if loc.record_index is not None else -1
    if loc.record_index is None and (loc.line or 1) > 1:
        index = _AFTER_RECORDS  # a break in the middle of a file sits after the records before it
    return (
        index,
        loc.line or 0,
        loc.column or 0,
        loc.json_path or "",
        loc.char_offset if loc.char_offset is not None else -1,
        f.code,
    )


class FindingCap:
    """Up to ``limit`` findings per (file, code), the first in report order (0 keeps every
    one), and how many more there were. ``saturated`` names codes that the receiver already
    holds ``limit`` earlier findings of: they are only counted (see ``Collector``)."""

    __slots__ = ("_all", "_buckets", "_full", "_seq", "limit", "omitted", "saturated")

    def __init__(self, limit: int, saturated: frozenset[str] = frozenset()) -> None:
        self.limit = limit
        self.saturated = saturated
        self.omitted: dict[Where, int] = {}
        self._all: list[Finding] = []
        # sorted (key, arrival, finding): the arrival number breaks ties, so findings are
        # never compared themselves
        self._buckets: dict[Where, list[tuple[PositionKey, int, Finding]]] = {}
        self._full: dict[str, set[str]] = {}
        self._seq = 0

    def add(self, finding: Finding) -> None:
        limit = self.limit
        if not limit:
            self._all.append(finding)
            return
        where = (finding.location.file, finding.code)
        bucket = self._buckets.get(where)
        if bucket is None:
            bucket = self._buckets[where] = []
        key = position_key(finding)
        self._seq += 1
        if len(bucket) < limit:
            insort(bucket, (key, self._seq, finding))
            if len(bucket) == limit:
                self._full.setdefault(where[0], set()).add(where[1])
            return
        self.omitted[where] = self.omitted.get(where, 0) + 1
        if key < bucket[-1][0]:
            insort(bucket, (key, self._seq, finding))
            bucket.pop()

    def omit(self, file: str, code: str, count: int = 1) -> None:
        where = (file, code)
        self.omitted[where] = self.omitted.get(where, 0) + count

    def absorb(self, findings: Iterable[Finding], omitted: dict[Where, int]) -> None:
        """What another cap kept and counted (a worker's batch)."""
        for finding in findings:
            self.add(finding)
        for (file, code), count in omitted.items():
            self.omit(file, code, count)

    def full(self, file: str) -> frozenset[str]:
        """The codes of ``file`` that already have ``limit`` findings."""
        codes = self._full.get(file)
        return frozenset(codes) if codes else frozenset()

    def findings(self) -> list[Finding]:
        """Every kept finding, per (file, code) in report order."""
        if not self.limit:
            return list(self._all)
        return [f for bucket in self._buckets.values() for _, _, f in bucket]
