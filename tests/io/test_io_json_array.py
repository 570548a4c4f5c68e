"""The JSON array reader: records with exact positions, and every kind of broken file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from io_positions import positions

from datakit.io.reader import detect_format, iter_records
from datakit.io.records import FileProblem, RawRecord

DATA = Path(__file__).parent / "data"


def read(path: Path, **options: int) -> list[RawRecord | FileProblem]:
    return list(iter_records(path, display_name="d.json", **options))


def write(tmp_path: Path, data: bytes | str, name: str = "d.json") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_pretty_printed_records_and_positions(tmp_path: Path) -> None:
    text = '[\n  {"id": "a"},\n  {\n    "id": "b"\n  }\n]\n'
    assert positions(read(write(tmp_path, text))) == [
        (0, 2, 3, 4, b'{"id": "a"}'),
        (1, 3, 3, 19, b'{\n    "id": "b"\n  }'),
    ]


def test_columns_count_characters_not_bytes(tmp_path: Path) -> None:
    # 你好 is 6 bytes but 2 characters: the second record starts at byte 16, column 13.
    items = read(write(tmp_path, '[{"a":"你好"},{"b":1}]'))
    assert positions(items) == [(0, 1, 2, 1, '{"a":"你好"}'.encode()), (1, 1, 13, 16, b'{"b":1}')]


def test_scalars_empty_containers_and_an_empty_array(tmp_path: Path) -> None:
    items = read(write(tmp_path, '[1, "x,]", [], {}, null]'))
    assert [item.raw for item in items if isinstance(item, RawRecord)] == [
        b"1",
        b'"x,]"',
        b"[]",
        b"{}",
        b"null",
    ]
    assert read(write(tmp_path, " [ \n ] \n")) == []


@pytest.mark.parametrize("chunk_bytes", [1, 2, 3, 5, 8, 13, 64])
def test_real_file_splits_the_same_at_any_chunk_size(chunk_bytes: int) -> None:
    path = DATA / "llama_factory_mllm_demo.json"
    expected = json.loads(path.read_bytes())
    items = read(path, chunk_bytes=chunk_bytes)
    assert [json.loads(item.raw or b"") for item in items if isinstance(item, RawRecord)] == (
        expected
    )
    assert positions(items) == positions(read(path))
    assert [(item.line, item.column) for item in items if isinstance(item, RawRecord)] == [
        (2, 3),
        (26, 3),
        (49, 3),
        (72, 3),
        (96, 3),
        (119, 3),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty: there are no records"),
        (b" \n\t\n", "contains only whitespace: there are no records"),
    ],
    ids=["empty", "whitespace"],
)
def test_empty_file(tmp_path: Path, data: bytes, message: str) -> None:
    (problem,) = read(write(tmp_path, data))
    assert isinstance(problem, FileProblem)
    assert (problem.kind, problem.message, problem.fatal) == ("empty-file", message, True)


def test_bom_is_reported_and_reading_continues(tmp_path: Path) -> None:
    items = read(write(tmp_path, b'\xef\xbb\xbf[{"a": 1}]'))
    assert positions(items) == [("bom", 1, 1, 0, None), (0, 1, 2, 4, b'{"a": 1}')]
    bom = items[0]
    assert isinstance(bom, FileProblem)
    assert not bom.fatal
    assert "Unexpected UTF-8 BOM" in bom.message


def test_bom_message_matches_what_the_trainer_does(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbf[1]")
    # The trainer runs json.load(open(path, "r")): text mode, UTF-8 under a UTF-8 locale.
    with (
        pytest.raises(json.JSONDecodeError, match="Unexpected UTF-8 BOM"),
        open(path, encoding="utf-8") as handle,
    ):
        json.load(handle)


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ('{"id": 1, "conversations": []}', "wrong-top-level", "the top level is an object"),
        ('{"id": 1}\n{"id": 2}\n', "wrong-top-level", "looks like JSON Lines"),
        ('"just a string"', "wrong-top-level", "the top level is a string"),
        ("42", "wrong-top-level", "the top level is a number"),
        ("id,conversations\n1,2\n", "invalid-json", "is not JSON: it starts with 'i'"),
    ],
    ids=["object", "json-lines", "string", "number", "csv"],
)
def test_wrong_top_level(tmp_path: Path, text: str, kind: str, message: str) -> None:
    (problem,) = read(write(tmp_path, "\n  " + text))
    assert isinstance(problem, FileProblem)
    assert (problem.kind, problem.line, problem.column, problem.offset) == (kind, 2, 3, 3)
    assert problem.message.startswith(message)
    assert problem.fatal


def test_json_lines_problem_says_how_to_fix(tmp_path: Path) -> None:
    (problem,) = read(write(tmp_path, '{"id": 1}\n{"id": 2}\n'))
    assert isinstance(problem, FileProblem)
    assert "rename it to .jsonl" in problem.fix


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x00\x01\x02\x03binary\xff\xfe", "binary data, not text"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip-compressed data"),
        (b"PAR1\x15\x04", "a Parquet file"),
        (b"\xc0\xc1\xf5\xf6\xf7 not utf-8" * 10, "binary data or text that is not UTF-8"),
    ],
    ids=["nul-bytes", "gzip", "parquet", "not-utf8"],
)
def test_binary_garbage(tmp_path: Path, data: bytes, what: str) -> None:
    (problem,) = read(write(tmp_path, data))
    assert isinstance(problem, FileProblem)
    assert (problem.kind, problem.message, problem.line, problem.column) == (
        "invalid-json",
        f"is not JSON text: {what}",
        1,
        1,
    )


def test_truncated_inside_a_record_keeps_the_records_before(tmp_path: Path) -> None:
    items = read(write(tmp_path, '[\n  {"a": 1},\n  {"a": 2},\n  {"a": "trunc'))
    assert positions(items) == [
        (0, 2, 3, 4, b'{"a": 1}'),
        (1, 3, 3, 16, b'{"a": 2}'),
        ("invalid-json", 4, 15, 40, 2),
    ]
    problem = items[-1]
    assert isinstance(problem, FileProblem)
    assert problem.message == (
        "ends inside record 2 (which starts at line 4 column 3) before the array is closed"
        " (json.load fails)"
    )


def test_truncated_after_a_comma(tmp_path: Path) -> None:
    items = read(write(tmp_path, '[{"a": 1},\n'))
    assert positions(items) == [(0, 1, 2, 1, b'{"a": 1}'), ("invalid-json", 2, 1, 11, 1)]
    assert isinstance(items[-1], FileProblem)
    assert items[-1].message == "ends after a comma, without the closing ']' (json.load fails)"


def test_missing_closing_bracket_after_a_complete_record(tmp_path: Path) -> None:
    items = read(write(tmp_path, '[{"a": 1}, {"a": 2}'))
    assert positions(items) == [
        (0, 1, 2, 1, b'{"a": 1}'),
        (1, 1, 12, 11, b'{"a": 2}'),
        ("invalid-json", 1, 20, 19, 1),
    ]


def test_unbalanced_brackets_point_at_the_first_error(tmp_path: Path) -> None:
    # The ] inside the record closes nothing json.load expects: the error is there, not at EOF.
    items = read(write(tmp_path, '[{"a": 1},\n {"b": [1, 2}, {"c": 3}]\n'))
    assert positions(items) == [(0, 1, 2, 1, b'{"a": 1}'), ("invalid-json", 2, 13, None, 1)]
    assert isinstance(items[-1], FileProblem)
    assert items[-1].message.startswith("invalid JSON in record 1 (Expecting ',' delimiter)")


def test_data_after_the_array(tmp_path: Path) -> None:
    items = read(write(tmp_path, '[{"a": 1}]\n\n  [{"b": 2}]'))
    assert positions(items) == [(0, 1, 2, 1, b'{"a": 1}'), ("invalid-json", 3, 3, 14, None)]
    assert isinstance(items[-1], FileProblem)
    assert "Extra data" in items[-1].message


def test_data_after_the_array_in_a_later_chunk(tmp_path: Path) -> None:
    items = read(write(tmp_path, "[1]" + " " * 40 + "x"), chunk_bytes=8)
    assert positions(items) == [(0, 1, 2, 1, b"1"), ("invalid-json", 1, 44, 43, None)]


def test_array_closed_by_a_brace(tmp_path: Path) -> None:
    items = read(write(tmp_path, "[1, 2}"))
    assert positions(items)[-1] == ("invalid-json", 1, 6, 5, None)
    assert isinstance(items[-1], FileProblem)
    assert items[-1].message == "the array opened at line 1 column 1 is closed by '}'"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[1,,2]", [(0, 1, 2, 1, b"1"), ("invalid-json", 1, 4, 3, None), (1, 1, 5, 4, b"2")]),
        ("[1,2,]", [(0, 1, 2, 1, b"1"), (1, 1, 4, 3, b"2"), ("invalid-json", 1, 5, 4, None)]),
        ("[ ,1]", [("invalid-json", 1, 3, 2, None), (0, 1, 4, 3, b"1")]),
    ],
    ids=["double-comma", "trailing-comma", "leading-comma"],
)
def test_stray_commas_are_reported_and_reading_continues(
    tmp_path: Path, text: str, expected: list[tuple[object, ...]]
) -> None:
    items = read(write(tmp_path, text))
    assert positions(items) == expected
    assert all(not item.fatal for item in items if isinstance(item, FileProblem))


def test_trailing_comma_at_a_chunk_boundary(tmp_path: Path) -> None:
    items = read(write(tmp_path, "[1,\n]"), chunk_bytes=3)
    assert positions(items) == [(0, 1, 2, 1, b"1"), ("invalid-json", 1, 3, 2, None)]


def test_invalid_utf8_is_located_and_reading_continues(tmp_path: Path) -> None:
    items = read(write(tmp_path, b'[\n {"a": "ok"},\n {"a": "caf\xe9"},\n {"a": "x"}\n]'))
    assert positions(items) == [
        (0, 2, 2, 3, b'{"a": "ok"}'),
        (1, 3, 2, 17, b'{"a": "caf\xe9"}'),
        ("invalid-utf8", 3, 12, 27, None),
        (2, 4, 2, 33, b'{"a": "x"}'),
    ]


def test_invalid_utf8_straddling_a_chunk_boundary(tmp_path: Path) -> None:
    # \xe4\xbd is the start of a 3-byte character cut off by a quote.
    data = b'["ab\xe4\xbd", 1]'
    for chunk_bytes in (1, 2, 5, 6, 7, 64):
        items = read(write(tmp_path, data), chunk_bytes=chunk_bytes)
        problem = next(item for item in items if isinstance(item, FileProblem))
        assert (problem.kind, problem.line, problem.column, problem.offset) == (
            "invalid-utf8",
            1,
            5,
            4,
        ), chunk_bytes


def test_file_ending_inside_a_utf8_character(tmp_path: Path) -> None:
    items = read(write(tmp_path, b'["\xe4\xbd'))
    assert [(item.kind, item.fatal) for item in items if isinstance(item, FileProblem)] == [
        ("invalid-utf8", False),
        ("invalid-json", True),
    ]


def test_oversized_record_is_skipped_and_indices_continue(tmp_path: Path) -> None:
    text = '[{"a": 1}, {"big": "' + "x" * 100 + '"}, {"a": 3}]'
    for chunk_bytes in (7, 4096):
        items = read(write(tmp_path, text), max_record_bytes=50, chunk_bytes=chunk_bytes)
        assert positions(items) == [
            (0, 1, 2, 1, b'{"a": 1}'),
            ("record-too-large", 1, 12, 11, 1),
            (2, 1, 125, 124, b'{"a": 3}'),
        ], chunk_bytes
        problem = items[1]
        assert isinstance(problem, FileProblem)
        assert problem.message == "record 1 is 111 bytes, over the limit of 50; it was skipped"
        assert not problem.fatal


def test_unknown_extension(tmp_path: Path) -> None:
    (problem,) = list(iter_records(write(tmp_path, "[]", "d.txt")))
    assert isinstance(problem, FileProblem)
    assert problem.kind == "unreadable"
    assert problem.message == "has an extension datakit does not read ('d.txt')"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.json", "json"),
        ("A.JSON", "json"),
        ("a.json.gz", "json"),
        ("a.jsonl", "jsonl"),
        ("a.ndjson", "jsonl"),
        ("a.jsonl.gz", "jsonl"),
        ("a.parquet", "parquet"),
        ("a.parquet.gz", None),
        ("a.csv", None),
        ("json", None),
    ],
)
def test_detect_format(name: str, expected: str | None) -> None:
    assert detect_format(name) == expected


def test_text_records_pickle_and_compare_by_value() -> None:
    import pickle

    record = RawRecord("d.json", 3, 4, 5, 60, b"{}")
    assert pickle.loads(pickle.dumps(record)) == record
    assert (record.value, record.row_group) == (None, None)
