"""Fold per-sample facts into the dataset's summary.

Percentiles use the nearest-rank method: the p-th percentile of n sorted values is the value at
rank ``ceil(p / 100 * n)`` (1-based), so every reported figure is a value that occurs in the
data. Token figures cover the samples that reach training (not rejected by the trainer).
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from datakit.statistics.sample import SampleFacts

STATS_FORMAT_VERSION = 1
TOP_REFS = 20
# Share of the image a box covers (w * h / 1000^2), as [from, to) bucket edges.
AREA_SHARE_EDGES = (0.0, 0.01, 0.05, 0.25, 0.5, 1.0000001)
AREA_SHARE_LABELS = ("<1%", "1-5%", "5-25%", "25-50%", ">=50%")
PERCENTILES = (50, 90, 95, 99)


def percentile(sorted_values: Sequence[int], p: float) -> int:
    """Nearest-rank percentile of already sorted values (``p`` in 0..100)."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def distribution(values: Sequence[int]) -> dict[str, Any]:
    """``min``, ``p50``, ``p90``, ``p95``, ``p99``, ``max``, ``mean`` (or ``{"count": 0}``)."""
    ordered = sorted(values)
    if not ordered:
        return {"count": 0}
    out: dict[str, Any] = {"count": len(ordered), "min": ordered[0]}
    for p in PERCENTILES:
        out[f"p{p}"] = percentile(ordered, p)
    out["max"] = ordered[-1]
    out["mean"] = round(sum(ordered) / len(ordered), 2)
    return out


def token_bins(max_len: int, longest: int, bins_to_limit: int = 8) -> list[int]:
    """Histogram edges: ``bins_to_limit`` equal bins up to ``max_len`` (so the limit is always
    an edge), continued at the same width past it to cover ``longest``."""
    width = max(1, math.ceil(max_len / bins_to_limit))
    edges = [*range(0, max_len, width), max_len]
    while edges[-1] <= longest:
        edges.append(edges[-1] + width)
    return edges


def histogram(values: Sequence[int], edges: Sequence[int]) -> list[int]:
    """Counts of values in ``[edges[i], edges[i+1])``; values outside are not counted."""
    import bisect

    counts = [0] * (len(edges) - 1)
    for v in values:
        i = bisect.bisect_right(edges, v) - 1
        if 0 <= i < len(counts):
            counts[i] += 1
    return counts


@dataclass
class FileStats:
    path: str
    records: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    # model, framework, layout and max_len of a file counted for a Qwen-family target
    target: dict[str, Any] | None = None


class StatsAccumulator:
    """Everything the summary needs, in bounded memory per sample (arrays of ints, digests)."""

    def __init__(self, max_len: int) -> None:
        self.max_len = max_len
        self.files: list[FileStats] = []
        self.samples = 0
        self.unparseable = 0
        self.trainer_errors: Counter[str] = Counter()
        self.tokens: array[int] = array("I")
        self.supervised: array[int] = array("I")
        self.turns: array[int] = array("I")
        self.images: array[int] = array("I")
        self.boxes: array[int] = array("I")
        self.box_w: array[int] = array("H")
        self.box_h: array[int] = array("H")
        self.malformed_boxes = 0
        self.inverted_boxes = 0
        self.over_limit = 0
        self.cut_in_image = 0
        self.answer_cut = 0
        self.nothing_supervised_after_cut = 0
        self.refs: Counter[str] = Counter()
        self.han = 0
        self.latin = 0
        self.script_samples: Counter[str] = Counter()
        self.seen_ids: set[int] = set()
        self.seen_samples: set[int] = set()
        self.seen_images: set[str] = set()
        self.duplicate_ids = 0
        self.duplicate_samples = 0
        self.image_references = 0
        self.findings_checked = False
        self.finding_codes: Counter[str] = Counter()
        self.samples_with_findings = 0

    def start_file(self, path: str) -> FileStats:
        stats = FileStats(path)
        self.files.append(stats)
        return stats

    def add(self, facts: SampleFacts, codes: Sequence[str] | None = None) -> None:
        self.samples += 1
        self.files[-1].records += 1
        if codes is not None:
            self.finding_codes.update(codes)
            self.samples_with_findings += bool(codes)
        if facts.parse_error is not None:
            self.unparseable += 1
            return
        self._content(facts)
        if facts.trainer_error is not None:
            self.trainer_errors[facts.trainer_error] += 1
            return
        self.tokens.append(facts.tokens)
        self.supervised.append(facts.supervised_tokens)
        if facts.truncated:
            self.over_limit += 1
            self.cut_in_image += facts.cut_in_image
            self.answer_cut += facts.answer_cut
            self.nothing_supervised_after_cut += facts.supervised_after_cut <= 3

    def _content(self, facts: SampleFacts) -> None:
        self.turns.append(facts.turns)
        self.images.append(facts.images)
        self.boxes.append(facts.boxes)
        for w, h in facts.box_sizes_norm1000:
            self.box_w.append(w)
            self.box_h.append(h)
        self.malformed_boxes += facts.malformed_boxes
        self.inverted_boxes += facts.inverted_boxes
        self.refs.update(r for r in facts.refs if r)
        self.han += facts.han_chars
        self.latin += facts.latin_letters
        script = ("mixed" if facts.latin_letters else "chinese") if facts.han_chars else (
            "latin" if facts.latin_letters else "none")
        self.script_samples[script] += 1
        self.image_references += len(facts.image_paths)
        self.seen_images.update(facts.image_paths)
        if facts.id_digest is not None:
            if facts.id_digest in self.seen_ids:
                self.duplicate_ids += 1
            self.seen_ids.add(facts.id_digest)
        if facts.fingerprint is not None:
            if facts.fingerprint in self.seen_samples:
                self.duplicate_samples += 1
            self.seen_samples.add(facts.fingerprint)

    def result(self, top_refs: int = TOP_REFS) -> dict[str, Any]:
        """The summary as plain data (the ``--format json`` document)."""
        from datakit import __version__

        longest = max(self.tokens, default=0)
        edges = token_bins(self.max_len, longest)
        counts = histogram(self.tokens, edges)
        letters = self.han + self.latin
        areas = [w * h / 1_000_000 for w, h in zip(self.box_w, self.box_h, strict=True)]
        return {
            "datakit_version": __version__,
            "format_version": STATS_FORMAT_VERSION,
            "files": [
                {"path": f.path, "records": f.records, "problems": f.problems}
                | ({} if f.target is None else {"target": f.target})
                for f in self.files
            ],
            "samples": self.samples,
            "unparseable": self.unparseable,
            "rejected_by_trainer": dict(sorted(self.trainer_errors.items())),
            "max_len": self.max_len,
            "tokens": distribution(self.tokens),
            "supervised_tokens": distribution(self.supervised),
            "histogram": [
                {"from": edges[i], "to": edges[i + 1], "count": counts[i]}
                for i in range(len(counts))
            ],
            "over_limit": {
                "samples": self.over_limit,
                "cut_in_image": self.cut_in_image,
                "answer_cut": self.answer_cut,
                "nothing_supervised_left": self.nothing_supervised_after_cut,
            },
            "per_sample": {
                "turns": distribution(self.turns),
                "images": distribution(self.images),
                "boxes": distribution(self.boxes),
            },
            "images": {"references": self.image_references, "distinct": len(self.seen_images)},
            "boxes": {
                "count": sum(self.boxes),
                "malformed": self.malformed_boxes,
                "inverted": self.inverted_boxes,
                "width_norm1000": distribution(self.box_w),
                "height_norm1000": distribution(self.box_h),
                "area_share": dict(
                    zip(AREA_SHARE_LABELS, _bucket(areas, AREA_SHARE_EDGES), strict=True)
                ),
            },
            "refs": {
                "count": sum(self.refs.values()),
                "distinct": len(self.refs),
                "top": [{"text": t, "count": n} for t, n in _top(self.refs, top_refs)],
            },
            "text": {
                "han_chars": self.han,
                "latin_letters": self.latin,
                "han_share": round(self.han / letters, 4) if letters else None,
                "latin_share": round(self.latin / letters, 4) if letters else None,
                "samples": {k: self.script_samples.get(k, 0)
                            for k in ("chinese", "latin", "mixed", "none")},
            },
            "duplicates": {"ids": self.duplicate_ids, "samples": self.duplicate_samples},
            "findings": {
                "checked": self.findings_checked,
                "samples_with_findings": self.samples_with_findings,
                "by_code": dict(sorted(self.finding_codes.items())),
            },
        }


def _bucket(values: Sequence[float], edges: Sequence[float]) -> list[int]:
    import bisect

    counts = [0] * (len(edges) - 1)
    for v in values:
        i = min(len(counts) - 1, max(0, bisect.bisect_right(edges, v) - 1))
        counts[i] += 1
    return counts


def _top(counter: Counter[str], n: int) -> list[tuple[str, int]]:
    import heapq

    # Ties in a stable order (by text), so the output never depends on input order.
    return heapq.nsmallest(n, counter.items(), key=lambda item: (-item[1], item[0]))
