"""A record with an integer longer than ``int()`` converts (4,300 digits) fails ``json.load`` in
the trainer: ``validate`` reports F001 at the number, ``stats`` and ``tokens`` count the record
as not JSON, and nothing ends in an internal error (exit 3)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from datakit.io.parse import parse_record
from datakit.io.records import ParsedRecord, RawRecord

HUGE = "9" * 5000
MESSAGE = ("invalid JSON for Python: an integer of 5,000 digits; json.load fails on integers "
           "over 4,300 digits (ValueError)")
CONVERSATION = ('"conversations": [{"from": "user", "value": "hi"}, '
                '{"from": "assistant", "value": "yo"}]')


def parse(raw: str, line: int = 10, column: int = 5) -> ParsedRecord:
    return parse_record(RawRecord("d.json", 3, line, column, 100, raw.encode()))


@pytest.mark.parametrize(
    ("raw", "column"),
    [
        ('{"id": ' + HUGE + "}", 12),
        ('{"id": "a", "n": [1, -' + HUGE + "]}", 26),
        # a duplicate key sends the record to the json module too
        ('{"id": "a", "id": "b", "n": ' + HUGE + "}", 33),
        # digits in a string are text; the number after them is the fault
        ('{"s": "' + HUGE + '", "n": ' + HUGE + "}", 5020),
    ],
    ids=["plain", "negative-in-list", "with-duplicate-key", "after-a-string-of-digits"],
)
def test_the_error_points_at_the_number(raw: str, column: int) -> None:
    parsed = parse(raw)
    assert (parsed.value, parsed.error, parsed.error_line, parsed.error_column) == (
        None, MESSAGE, 10, column)


def test_digits_in_strings_and_long_floats_are_no_error() -> None:
    parsed = parse('{"s": "' + HUGE + '", "f": ' + HUGE + ".5}")
    assert parsed.error is None
    assert parsed.value["s"] == HUGE
    assert parsed.value["f"] == float("inf")  # json.load reads it so: a note, not an error
    assert [n.kind for n in parsed.notes] == ["nonstandard-constant"]


def test_within_the_limit_the_integer_is_kept_exactly() -> None:
    parsed = parse('{"n": ' + "9" * 4300 + "}")
    assert parsed.error is None
    assert parsed.value["n"] == int("9" * 4300)


def _datakit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "datakit", *args], cwd=cwd, capture_output=True,
                          text=True, check=False, timeout=120)


@pytest.fixture
def datasets(tmp_path: Path) -> Path:
    record = "{" + f'"id": "a", "n": {HUGE}, {CONVERSATION}' + "}"
    good = "{" + f'"id": "b", {CONVERSATION}' + "}"
    (tmp_path / "d.json").write_text(f"[{good},\n{record}]")
    (tmp_path / "d.jsonl").write_text(f"{good}\n{record}\n")
    # The reader re-parses the last record of an array left open.
    (tmp_path / "open.json").write_text(f"[{good},\n{record}")
    return tmp_path


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # under the file's name, its heading
        ("d.json", f"  2:18: F001 error invalid-json: {MESSAGE} ($[1])"),
        ("d.jsonl", f"  2:18: F001 error invalid-json: {MESSAGE} ($[1])"),
        # (the end of line 2)
        ("open.json", "  2:5109: F001 error invalid-json: ends inside record 1 (which "
                      "starts at line 2 column 1) before the array is closed (json.load fails) "
                      "(record 1)"),
    ],
)
def test_validate_reports_f001(datasets: Path, name: str, expected: str) -> None:
    done = _datakit("validate", "--images", "none", "--no-cache", name, cwd=datasets)
    assert done.returncode == 1, done.stderr
    assert expected in done.stdout.splitlines()[2]


def test_stats_and_tokens_count_the_record_as_not_json(datasets: Path) -> None:
    stats = _datakit("stats", "d.jsonl", cwd=datasets)
    assert stats.returncode == 0, stats.stderr  # stats describes; validate judges
    assert stats.stdout.splitlines()[:2] == ["2 sample(s) in 1 file(s); max_len 2,048",
                                             "1 record(s) are not valid JSON"]
    tokens = _datakit("tokens", "d.jsonl", cwd=datasets)
    assert tokens.returncode == 1, tokens.stderr
    rows = [json.loads(line) for line in tokens.stdout.splitlines()]
    assert [row["error"] for row in rows] == [None, MESSAGE]
