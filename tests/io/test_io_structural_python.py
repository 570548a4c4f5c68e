"""The pure-Python structural index (small chunks, no numpy) splits exactly as numpy does."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from io_split import split

from datakit.io import structural
from datakit.io.records import FileProblem, RawRecord

_TRICKY = st.sampled_from(['"', "\\", "\\\\", '\\"', "\\\\\\", "[", "]", "{", "}", ",", "\n",
                           "你", "😀"])
_TEXT = st.lists(st.one_of(_TRICKY, st.text(max_size=3)), max_size=6).map("".join)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | _TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_TEXT, children,
                                                                        max_size=3),
    max_leaves=8,
)
# Damage that splitters must survive the same way: stray backslashes, quotes and brackets
# outside strings, a cut, a missing bracket, a BOM, data after the array.
_DAMAGE = st.sampled_from(["", "\\", '"', "\\\\\"", "]", "}", ",", "[", "cut", "bom", "extra"])


def _document(values: list[Any], indent: int | None, damage: str, where: float) -> bytes:
    data = json.dumps(values, indent=indent, ensure_ascii=False).encode("utf-8")
    at = int(len(data) * where)
    if damage == "cut":
        return data[:at]
    if damage == "bom":
        return b"\xef\xbb\xbf" + data
    if damage == "extra":
        return data + b' {"x": 1}'
    return data[:at] + damage.encode() + data[at:]


def _split(data: bytes, chunk_bytes: int, in_python: bool,
           monkeypatch: pytest.MonkeyPatch) -> list[RawRecord | FileProblem]:
    monkeypatch.setattr(structural, "_index_in_python", lambda chunk: in_python)
    return split(data, chunk_bytes)


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(_VALUES, max_size=6),
    indent=st.sampled_from([None, 0, 2]),
    damage=_DAMAGE,
    where=st.floats(0, 1),
    chunk_bytes=st.sampled_from([1, 2, 3, 7, 16, 64, 1 << 20]),
)
def test_same_records_and_problems_as_numpy(values: list[Any], indent: int | None, damage: str,
                                            where: float, chunk_bytes: int) -> None:
    data = _document(values, indent, damage, where)
    with pytest.MonkeyPatch.context() as patch:
        in_python = _split(data, chunk_bytes, True, patch)
        with_numpy = _split(data, chunk_bytes, False, patch)
    assert in_python == with_numpy


def test_a_small_file_never_imports_numpy(tmp_path: Any) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps([{"id": str(i), "x": "a\\\"b"} for i in range(50)], indent=2),
                    encoding="utf-8")
    code = (
        "import sys\n"
        "from datakit.io.reader import iter_records\n"
        f"items = list(iter_records({str(path)!r}))\n"
        "print(len(items), 'numpy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["50", "False"]
