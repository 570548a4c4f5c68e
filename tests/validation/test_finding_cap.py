"""FindingCap keeps exactly the first N findings per file and rule in report order, whatever
order they arrive in and however they are split into batches, and counts the rest."""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from datakit.findings import Finding, Location, Severity
from datakit.io.records import RawRecord
from datakit.validation import registry
from datakit.validation.finding_cap import FindingCap, position_key
from datakit.validation.settings import Settings
from datakit.validation.worker import Job, check_batch


def _finding(file: str, code: str, index: int, path: str = "$", offset: int | None = None,
             line: int | None = None) -> Finding:
    return Finding(code, "x", Severity.ERROR, f"{code} at {index}",
                   Location(file=file, line=line, record_index=index, json_path=path,
                            char_offset=offset))


def test_keeps_the_first_n_of_each_file_and_code_and_counts_the_rest() -> None:
    cap = FindingCap(2)
    for i in (5, 3, 9, 1, 7):
        cap.add(_finding("a", "S002", i))
    cap.add(_finding("a", "S007", 4))
    cap.add(_finding("b", "S002", 8))
    kept = sorted((f.location.file, f.code, f.location.record_index) for f in cap.findings())
    assert kept == [("a", "S002", 1), ("a", "S002", 3), ("a", "S007", 4), ("b", "S002", 8)]
    assert cap.omitted == {("a", "S002"): 3}
    assert cap.full("a") == frozenset({"S002"})
    assert cap.full("b") == frozenset()


def test_zero_keeps_everything_in_arrival_order() -> None:
    cap = FindingCap(0)
    found = [_finding("a", "S002", i) for i in (3, 1, 2)]
    for f in found:
        cap.add(f)
    assert cap.findings() == found
    assert cap.omitted == {}
    assert cap.full("a") == frozenset()


def test_within_a_record_the_report_order_decides_not_the_emission_order() -> None:
    # conversations[10] sorts before conversations[2] in the report (JSON path text order)
    cap = FindingCap(1)
    cap.add(_finding("a", "T001", 0, "$[0].conversations[2].value", 5))
    cap.add(_finding("a", "T001", 0, "$[0].conversations[10].value", 9))
    assert [f.location.json_path for f in cap.findings()] == ["$[0].conversations[10].value"]
    assert cap.omitted == {("a", "T001"): 1}


_FINDINGS = st.lists(
    st.tuples(st.sampled_from(["a.json", "b.jsonl"]), st.sampled_from(["S002", "T001", "D002"]),
              st.integers(0, 30), st.integers(0, 3), st.none() | st.integers(0, 50)),
    max_size=120,
)


@settings(max_examples=150, deadline=None)
@given(rows=_FINDINGS, limit=st.integers(1, 6), seed=st.integers(0, 1000))
def test_batches_then_merge_equal_the_first_n_overall(
    rows: list[tuple[str, str, int, int, int | None]], limit: int, seed: int
) -> None:
    found = [_finding(file, code, index, f"$[{index}].conversations[{m}].value", offset)
             for file, code, index, m, offset in rows]
    rng = random.Random(seed)
    rng.shuffle(found)
    merged = FindingCap(limit)
    start = 0
    while start < len(found):  # batches as workers would cap them
        size = rng.randint(1, 20)
        batch = FindingCap(limit)
        for f in found[start:start + size]:
            batch.add(f)
        merged.absorb(batch.findings(), batch.omitted)
        start += size
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in found:
        groups.setdefault((f.location.file, f.code), []).append(f)
    expected_kept: Counter[tuple[object, ...]] = Counter()
    for where, group in groups.items():
        group.sort(key=position_key)
        expected_kept.update([(*position_key(f), *where) for f in group[:limit]])
    kept = Counter((*position_key(f), f.location.file, f.code) for f in merged.findings())
    assert kept == expected_kept
    assert merged.omitted == {w: len(g) - limit for w, g in groups.items() if len(g) > limit}


def _records(count: int) -> list[RawRecord]:
    return [RawRecord("e.jsonl", i, i + 1, 1, None, b"{}", {}, None) for i in range(count)]


def test_a_batch_keeps_its_cap_and_only_counts_saturated_codes() -> None:
    severities = registry.severities((), (), ())
    job = Job(Settings(images="none", cache=False), tuple(sorted(severities.items())),
              frozenset(), max_findings=3)
    result = check_batch((job, _records(10)))
    assert Counter(f.code for f in result.findings) == {"S002": 3, "S007": 3}
    assert [f.location.record_index for f in result.findings if f.code == "S002"] == [0, 1, 2]
    assert result.omitted == {("e.jsonl", "S002"): 7, ("e.jsonl", "S007"): 7}
    saturated = check_batch((job, _records(10)), frozenset({"S002"}))
    assert Counter(f.code for f in saturated.findings) == {"S007": 3}
    assert saturated.omitted == {("e.jsonl", "S002"): 10, ("e.jsonl", "S007"): 7}
