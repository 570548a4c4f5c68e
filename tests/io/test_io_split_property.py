"""The numpy splitter against json.loads on generated arrays, at any chunk size."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from io_split import split

from datakit.io.records import FileProblem, RawRecord

# Characters that break naive splitters: quotes, runs of backslashes, brackets and commas
# inside strings, newlines (escaped by JSON), multi-byte and astral characters.
_TRICKY = st.sampled_from(['"', "\\", "\\\\", '\\"', "[", "]", "{", "}", ",", "\n", "你", "😀"])
_TEXT = st.lists(st.one_of(_TRICKY, st.text(max_size=3)), max_size=5).map("".join)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
)
_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(_TEXT, children, max_size=3)
    ),
    max_leaves=8,
)
_OBJECTS = st.dictionaries(_TEXT, _VALUES, max_size=4)
_FORMATS = st.sampled_from(
    [
        {"indent": None},
        {"indent": 2},
        {"indent": 0},
        {"indent": "\t"},
        {"indent": None, "separators": (",", ":")},
        {"indent": 1, "ensure_ascii": False},
        {"indent": None, "separators": (" , ", " : "), "ensure_ascii": False},
    ]
)

def records(items: Iterable[RawRecord | FileProblem]) -> list[RawRecord]:
    return [item for item in items if isinstance(item, RawRecord)]


def check_position(data: bytes, record: RawRecord) -> None:
    assert record.offset is not None and record.raw is not None
    assert data[record.offset : record.offset + len(record.raw)] == record.raw
    before = data[: record.offset]
    assert record.line == before.count(b"\n") + 1
    assert record.column == len(before.rsplit(b"\n", 1)[-1].decode("utf-8")) + 1


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(_VALUES, max_size=6),
    options=_FORMATS,
    chunk_bytes=st.integers(min_value=1, max_value=24),
    leading=st.sampled_from(["", " ", "\n\n ", "\r\n"]),
)
def test_splits_exactly_what_json_loads_reads(
    values: list[Any], options: dict[str, Any], chunk_bytes: int, leading: str
) -> None:
    data = (leading + json.dumps(values, **options) + leading).encode("utf-8")
    items = split(data, chunk_bytes)
    assert not [item for item in items if isinstance(item, FileProblem)]
    got = records(items)
    assert [json.loads(record.raw or b"") for record in got] == values
    assert [record.index for record in got] == list(range(len(values)))
    for record in got:
        check_position(data, record)


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(_OBJECTS, min_size=1, max_size=5),
    options=_FORMATS,
    chunk_bytes=st.integers(min_value=1, max_value=24),
    cut=st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_truncated_arrays_yield_the_complete_records_then_one_fatal_problem(
    values: list[Any], options: dict[str, Any], chunk_bytes: int, cut: float
) -> None:
    whole = json.dumps(values, **options).encode("utf-8")
    data = whole[: int(len(whole.rstrip(b"]")) * cut)]
    items = split(data, chunk_bytes)
    got = records(items)
    assert [json.loads(record.raw or b"") for record in got] == values[: len(got)]
    problems = [item for item in items if isinstance(item, FileProblem)]
    assert problems and problems[-1].fatal
    assert items[-1] is problems[-1]
    assert all(not problem.fatal for problem in problems[:-1])


_LINE_VALUES = st.lists(
    st.tuples(
        st.one_of(st.none(), _OBJECTS),  # None: a blank line
        st.sampled_from(["", " ", "\t "]),  # indentation
        st.sampled_from(["\n", "\r\n", " \n"]),  # line ending
    ),
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(lines=_LINE_VALUES, chunk_bytes=st.integers(min_value=1, max_value=24))
def test_json_lines_split_at_any_chunk_size(
    lines: list[tuple[dict[str, Any] | None, str, str]], chunk_bytes: int
) -> None:
    from datakit.io.jsonlines import JsonLinesSplitter

    data = "".join(
        ("" if value is None else indent + json.dumps(value, ensure_ascii=False)) + ending
        for value, indent, ending in lines
    ).encode("utf-8")
    splitter = JsonLinesSplitter("f.jsonl", max_record_bytes=1 << 30)
    items: list[RawRecord | FileProblem] = []
    for start in range(0, len(data), chunk_bytes):
        items.extend(splitter.feed(data[start : start + chunk_bytes]))
    items.extend(splitter.finish())
    expected = [value for value, _, _ in lines if value is not None]
    if not expected:
        assert [item.kind for item in items if isinstance(item, FileProblem)] == ["empty-file"]
        return
    assert [json.loads(record.raw or b"") for record in records(items)] == expected
    for record in records(items):
        check_position(data, record)
