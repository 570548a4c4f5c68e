"""The per-sample Parquet file: documented columns and types, through pandas, written atomically."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from datakit.statistics.parquet import COLUMNS, SampleTableWriter
from datakit.statistics.sample import SampleFacts

STRING = "str" if int(pd.__version__.split(".")[0]) >= 3 else "object"
PANDAS_DTYPES = {
    "file": STRING, "index": "int64", "id": STRING, "tokens": "int32",
    "supervised_tokens": "int32", "images": "int32", "boxes": "int32", "refs": "int32",
    "turns": "int32", "truncated": "bool", "cut_in_image": "bool", "answer_cut": "bool",
    "error": STRING, "finding_codes": "object",
}


def _rows(path: Path, codes: list[list[str] | None]) -> None:
    with SampleTableWriter(path, max_len=2048) as table:
        table.add(SampleFacts("a.json", 0, 1, "x", tokens=35, supervised_tokens=22, turns=2,
                              refs=("r",), images=1, boxes=3), codes[0])
        table.add(SampleFacts("a.json", 1, 9, None, parse_error="invalid JSON: oops"), codes[1])
        table.add(SampleFacts("b.json", 0, 1, "y", tokens=3000, truncated=True,
                              cut_in_image=True, trainer_error=None), codes[2])


def test_round_trip_through_pandas(tmp_path: Path) -> None:
    out = tmp_path / "rows.parquet"
    _rows(out, [[], ["F001"], ["K001", "K002"]])
    frame = pd.read_parquet(out)
    assert list(frame.columns) == [name for name, _, _ in COLUMNS]
    assert {c: str(t) for c, t in frame.dtypes.items()} == PANDAS_DTYPES
    assert frame["file"].tolist() == ["a.json", "a.json", "b.json"]
    assert frame["index"].tolist() == [0, 1, 0]
    assert frame["id"].tolist()[0] == "x" and pd.isna(frame["id"][1])
    assert frame["tokens"].tolist() == [35, 0, 3000]
    assert frame["refs"].tolist() == [1, 0, 0]
    assert frame["boxes"].tolist() == [3, 0, 0]
    assert frame["truncated"].tolist() == [False, False, True]
    assert frame["cut_in_image"].tolist() == [False, False, True]
    assert frame["error"][1] == "invalid JSON: oops" and pd.isna(frame["error"][0])
    assert [list(c) for c in frame["finding_codes"]] == [[], ["F001"], ["K001", "K002"]]
    schema = pq.read_schema(out)
    assert [(f.name, str(f.type), f.nullable) for f in schema] == [
        (name, "list<element: string>" if kind == "list<string>" else kind, nullable)
        for name, kind, nullable in COLUMNS]
    assert schema.metadata[b"datakit.max_len"] == b"2048"
    assert schema.metadata[b"datakit.format_version"] == b"1"


def test_unchecked_findings_are_null(tmp_path: Path) -> None:
    out = tmp_path / "rows.parquet"
    _rows(out, [None, None, None])
    assert pd.read_parquet(out)["finding_codes"].isna().tolist() == [True, True, True]


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "rows.parquet"
    with pytest.raises(RuntimeError), SampleTableWriter(out, max_len=2048) as table:
        table.add(SampleFacts("a.json", 0, 1, "x"), None)
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
