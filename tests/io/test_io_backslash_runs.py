"""Long runs of backslashes: the numpy structural index stays exact and costs what plain text
costs (it once walked back one numpy step per backslash: 25 s for a 2M-backslash value)."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from io_split import split

from datakit.io import structural

# Around the length where runs stop being walked a byte at a time, and far beyond it.
_RUN_LENGTHS = [1, 2, 15, 16, 17, 18, 31, 32, 33, 100]
_PIECES = st.one_of(
    st.sampled_from(_RUN_LENGTHS).map(lambda n: "\\" * n),
    st.sampled_from(['"', "a", ",", "]", "{", "\n", "你"]),
)
_TEXT = st.lists(_PIECES, max_size=8).map("".join)


def _split_with(data: bytes, chunk_bytes: int, in_python: bool) -> list[object]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(structural, "_index_in_python", lambda chunk: in_python)
        return list(split(data, chunk_bytes))


@settings(max_examples=150, deadline=None)
@given(
    texts=st.lists(_TEXT, min_size=1, max_size=4),
    raw_run=st.sampled_from([0, 1, 16, 17, 40]),
    where=st.floats(0, 1),
    chunk_bytes=st.sampled_from([3, 17, 40, 1 << 20]),
)
def test_same_records_as_the_python_index(
    texts: list[str], raw_run: int, where: float, chunk_bytes: int
) -> None:
    data = json.dumps([{"v": t} for t in texts]).encode("utf-8")
    at = int(len(data) * where)
    data = data[:at] + b"\\" * raw_run + data[at:]  # damage: a run that escapes what follows
    assert _split_with(data, chunk_bytes, False) == _split_with(data, chunk_bytes, True)


def _index_seconds(chunk: bytes) -> float:
    best = float("inf")
    for _ in range(3):
        index = structural.StructuralIndex()
        start = time.process_time()
        index.boundaries(chunk, 1, 1, 1 << 30)
        best = min(best, time.process_time() - start)
    return best


@pytest.mark.parametrize("run", [1_000, 1_000_000])
def test_a_long_run_costs_what_plain_text_costs(run: int) -> None:
    size = 2 * run + 64
    text = json.dumps(["\\" * run + '"', 1]).encode()  # a run of 2 * run + 1 before a quote
    chunk = text + b" " * (size - len(text))
    plain = json.dumps(["a" * (2 * run + 1), 1]).encode()
    plain += b" " * (size - len(plain))
    assert len(chunk) == len(plain)
    run_time, plain_time = _index_seconds(chunk), _index_seconds(plain)
    assert run_time < 4 * plain_time + 0.05
