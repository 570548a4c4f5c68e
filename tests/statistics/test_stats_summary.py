"""Percentiles, histogram bins and the summary document, exactly."""

from __future__ import annotations

import pytest

from datakit.statistics.sample import SampleFacts
from datakit.statistics.summary import (
    StatsAccumulator,
    distribution,
    histogram,
    percentile,
    token_bins,
)


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([1, 2, 3, 4], 50, 2),  # rank ceil(0.5 * 4) = 2
        ([1, 2, 3, 4], 51, 3),
        ([1, 2, 3, 4], 0, 1),
        ([1, 2, 3, 4], 100, 4),
        (list(range(1, 101)), 90, 90),
        (list(range(1, 101)), 99, 99),
        ([7], 95, 7),
    ],
)
def test_nearest_rank_percentile(values: list[int], p: float, expected: int) -> None:
    assert percentile(values, p) == expected


def test_distribution() -> None:
    assert distribution([5, 1, 3]) == {"count": 3, "min": 1, "p50": 3, "p90": 5, "p95": 5,
                                       "p99": 5, "max": 5, "mean": 3.0}
    assert distribution([]) == {"count": 0}


def test_bins_put_max_len_on_an_edge() -> None:
    assert token_bins(2048, 100) == [0, 256, 512, 768, 1024, 1280, 1536, 1792, 2048]
    assert token_bins(2048, 2048) == [0, 256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2304]
    assert token_bins(100, 130) == [0, 13, 26, 39, 52, 65, 78, 91, 100, 113, 126, 139]
    assert histogram([0, 255, 256, 2047, 2048, 9999], token_bins(2048, 2048)) == [
        2, 1, 0, 0, 0, 0, 0, 1, 1]


def _facts(index: int, **fields: object) -> SampleFacts:
    return SampleFacts("f.json", index, None, fields.pop("record_id", None), **fields)  # type: ignore[arg-type]


def test_summary_document() -> None:
    acc = StatsAccumulator(max_len=100)
    acc.start_file("f.json")
    acc.add(_facts(0, record_id="a", tokens=40, supervised_tokens=10, turns=2, images=1,
                   boxes=2, refs=("dog", "dog"), box_sizes_norm1000=((500, 200), (10, 10)),
                   image_paths=("x.jpg",), han_chars=3, latin_letters=0, fingerprint=1,
                   id_digest=11), codes=[])
    acc.add(_facts(1, record_id="a", tokens=150, supervised_tokens=60, turns=4, images=1,
                   boxes=1, refs=("cat",), box_sizes_norm1000=((999, 999),),
                   image_paths=("x.jpg",), latin_letters=9, truncated=True, answer_cut=True,
                   supervised_after_cut=3, fingerprint=1, id_digest=11), codes=["D001", "K002"])
    acc.add(_facts(2, trainer_error="KeyError: 'human'", turns=1), codes=["S005"])
    acc.add(_facts(3, parse_error="invalid JSON: x"), codes=["F001"])
    result = acc.result(top_refs=1)
    assert result["samples"] == 4 and result["unparseable"] == 1
    assert result["rejected_by_trainer"] == {"KeyError: 'human'": 1}
    assert result["tokens"] == {"count": 2, "min": 40, "p50": 40, "p90": 150, "p95": 150,
                                "p99": 150, "max": 150, "mean": 95.0}
    assert [b["count"] for b in result["histogram"]] == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]
    assert result["histogram"][-1] == {"from": 139, "to": 152, "count": 1}
    assert result["over_limit"] == {"samples": 1, "cut_in_image": 0, "answer_cut": 1,
                                    "nothing_supervised_left": 1}
    assert result["per_sample"]["turns"]["max"] == 4
    assert result["images"] == {"references": 2, "distinct": 1}
    assert result["boxes"]["count"] == 3
    assert result["boxes"]["area_share"] == {"<1%": 1, "1-5%": 0, "5-25%": 1, "25-50%": 0,
                                             ">=50%": 1}
    assert result["refs"] == {"count": 3, "distinct": 2, "top": [{"text": "dog", "count": 2}]}
    assert result["text"] == {"han_chars": 3, "latin_letters": 9, "han_share": 0.25,
                              "latin_share": 0.75,
                              "samples": {"chinese": 1, "latin": 1, "mixed": 0, "none": 1}}
    assert result["duplicates"] == {"ids": 1, "samples": 1}
    assert result["findings"] == {"checked": False, "samples_with_findings": 3,
                                  "by_code": {"D001": 1, "F001": 1, "K002": 1, "S005": 1}}
