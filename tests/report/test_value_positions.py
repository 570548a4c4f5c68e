"""Findings placed on the offending value's own line and column, in pretty-printed and one-line
JSON arrays, JSON Lines and gzip, with offsets into strings that hold escapes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from datakit import validate
from datakit.findings import Finding, Location, Severity
from datakit.io.json_spans import Incomplete, char_position, value_spans
from datakit.io.positions import place_findings

# escapes of every kind before the box: \n, \", \u00e9, a surrogate pair, and raw UTF-8
_VALUE = 'a\n"\u00e9\U0001F600\u00e9 <ref>x</ref><box>(1,2),(3,1000)</box>'
_ESCAPED = r'a\n\"\u00e9\ud83d\ude00' + "\u00e9 <ref>x</ref><box>(1,2),(3,1000)</box>"


def _record(value: str, role: str = "user") -> dict[str, object]:
    return {"id": "r", "conversations": [{"from": role, "value": "hi"},
                                        {"from": "assistant", "value": value}]}


def _where(path: Path, code: str) -> list[tuple[int | None, int | None, int | None, int | None]]:
    report = validate([str(path)], images="none", ignore=("K",))
    return [(f.location.line, f.location.column, f.location.end_line, f.location.end_column)
            for f in report.findings if f.code == code]


def test_a_value_in_a_pretty_printed_array_is_found_on_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps([_record("ok"), _record("ok", role="human")], indent=2))
    lines = path.read_text().splitlines()
    assert lines[18] == '        "from": "human",'  # line 19, the value at column 17
    assert _where(path, "S005") == [(19, 17, 19, 24)]


def test_a_string_offset_counts_escapes_as_they_are_written(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    text = json.dumps([_record(_VALUE)], indent=1, ensure_ascii=False)
    text = text.replace(json.dumps(_VALUE, ensure_ascii=False)[1:-1], _ESCAPED)
    path.write_text(text, encoding="utf-8")
    assert json.loads(text)[0]["conversations"][1]["value"] == _VALUE
    line = next(i for i, x in enumerate(text.splitlines(), 1) if "<box>" in x)
    column = text.splitlines()[line - 1].index("<box>") + 1  # characters, not bytes
    assert _where(path, "B002") == [(line, column, None, None)]


def test_one_line_arrays_and_json_lines_get_columns(tmp_path: Path) -> None:
    records = [_record("ok"), _record("ok", role="human")]
    one = tmp_path / "one.json"
    one.write_text(json.dumps(records), encoding="utf-8")
    second = json.dumps(records[0]) + ", "
    start = 1 + len(second) + json.dumps(records[1]).index('"human"') + 1
    assert _where(one, "S005") == [(1, start, 1, start + 7)]
    lines = tmp_path / "l.jsonl"
    lines.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    column = json.dumps(records[1]).index('"human"') + 1
    assert _where(lines, "S005") == [(2, column, 2, column + 7)]
    packed = tmp_path / "l.jsonl.gz"
    packed.write_bytes(gzip.compress(lines.read_bytes()))
    assert _where(packed, "S005") == [(2, column, 2, column + 7)]


def test_dataset_findings_are_placed_by_splitting_the_file_again(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps([_record("ok"), _record("ok")], indent=2), encoding="utf-8")
    # D001 duplicate-id comes from the dataset pass, which keeps no byte offsets
    assert path.read_text().splitlines()[14:16] == ["  {", '    "id": "r",']
    assert _where(path, "D001") == [(15, 3, 27, 4)]  # the second record, "{" to "}"


def test_value_spans_and_char_positions() -> None:
    data = b' {"a": [1, {"b": "x\\u00e9"}], "a2": tr'
    with pytest.raises(Incomplete):
        value_spans(data, 1)
    data = b' {"a": [1, {"b": "x\\u00e9y"}, []], "c": null, "c": true}'
    spans = value_spans(data, 1)
    assert data[slice(*spans[("a", 1, "b")])] == b'"x\\u00e9y"'
    assert data[slice(*spans[("c",)])] == b"true"  # the last duplicate wins, as in json
    assert ("a", 2, 0) not in spans and data[slice(*spans[("a", 2)])] == b"[]"
    b = spans[("a", 1, "b")]
    assert [char_position(data, b, i) for i in range(5)] == [
        b[0] + 1, b[0] + 2, b[0] + 8, b[1] - 1, None]  # the end of the string, then past it
    with pytest.raises(Incomplete):
        value_spans(b'{"a": "cut', 0)


def test_a_file_that_went_away_keeps_the_record_position(tmp_path: Path) -> None:
    finding = Finding("S005", "unknown-role", Severity.ERROR, "m", Location(
        file="gone.json", line=3, record_index=0, json_path="$[0].conversations[0].from",
        record_offset=10, record_column=3))
    assert place_findings([finding], {"gone.json": str(tmp_path / "gone.json")}) == [finding]


def test_a_clean_run_reads_nothing_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datakit.io import positions

    reads: list[str] = []
    real = positions._place_in_file
    monkeypatch.setattr(positions, "_place_in_file",
                        lambda path, found: reads.append(path) or real(path, found))
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(_record("ok")) + "\n", encoding="utf-8")
    assert validate([str(path)], images="none", ignore=("K",)).findings == []
    assert reads == []
    (tmp_path / "d.jsonl").write_text(json.dumps(_record("ok", role="human")) + "\n")
    assert validate([str(tmp_path / "d.jsonl")], images="none", ignore=("K",)).findings
    assert reads == [str(tmp_path / "d.jsonl")]  # the spy does see a run with findings
