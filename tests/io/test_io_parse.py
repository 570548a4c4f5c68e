"""Record parsing: fast path, the json module's view of the edge cases, file positions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datakit.io.parse import json_path, parse_record, parse_records
from datakit.io.reader import iter_records
from datakit.io.records import ParsedRecord, ParseNote, RawRecord


def parse(raw: bytes, index: int = 3, line: int = 10, column: int = 5) -> ParsedRecord:
    return parse_record(RawRecord("d.json", index, line, column, 100, raw))


def test_plain_record() -> None:
    parsed = parse(b'{"id": "a", "conversations": [{"from": "user", "value": "\\"q\\" \\\\"}]}')
    assert parsed.value == {"id": "a", "conversations": [{"from": "user", "value": '"q" \\'}]}
    assert (parsed.error, parsed.notes) == (None, ())


@pytest.mark.parametrize(
    ("raw", "value", "paths"),
    [
        (b'{"x": NaN}', {"x": "nan"}, ["$[3].x"]),
        (b'{"x": [1, Infinity, -Infinity]}', {"x": [1, "inf", "-inf"]}, ["$[3].x[1]", "$[3].x[2]"]),
        (b'{"x": 1e999}', {"x": "inf"}, ["$[3].x"]),
    ],
    ids=["nan", "infinity", "overflow"],
)
def test_nonstandard_constants_parse_with_a_note(
    raw: bytes, value: dict[str, object], paths: list[str]
) -> None:
    parsed = parse(raw)
    assert parsed.error is None
    assert json.dumps(parsed.value).replace("NaN", '"nan"').replace("-Infinity", '"-inf"').replace(
        "Infinity", '"inf"'
    ) == json.dumps(value)
    assert [(note.kind, note.json_path) for note in parsed.notes] == [
        ("nonstandard-constant", path) for path in paths
    ]


def test_nonstandard_constant_message() -> None:
    (note,) = parse(b'{"x": -Infinity}').notes
    assert note.message == (
        "-Infinity (or a number too large for a float) is not standard JSON; Python's json.load"
        " accepts it, but orjson, JavaScript and Arrow reject the file"
    )


def test_duplicate_keys_name_their_path_and_the_value_kept() -> None:
    parsed = parse(
        b'{"id": 1, "conversations": [{"from": "user", "value": "a"},'
        b' {"from": "user", "value": "b", "from": "assistant"}], "id": 2}'
    )
    assert parsed.value == {
        "id": 2,
        "conversations": [{"from": "user", "value": "a"}, {"from": "assistant", "value": "b"}],
    }
    assert parsed.notes == (
        ParseNote(
            "duplicate-key",
            "key 'id' appears 2 times; json.load keeps only the last value (2) and silently"
            " drops the others",
            "$[3].id",
        ),
        ParseNote(
            "duplicate-key",
            "key 'from' appears 2 times; json.load keeps only the last value (\"assistant\") and"
            " silently drops the others",
            "$[3].conversations[1].from",
        ),
    )


def test_duplicate_key_written_with_an_escape_is_found() -> None:
    parsed = parse(b'{"fr\\u006fm": "user", "from": "assistant"}')
    assert [(note.kind, note.json_path) for note in parsed.notes] == [
        ("duplicate-key", "$[3].from")
    ]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": "from", "from": "a"}',
        b'{"a\\\\": "\\\\\\"", "b": "\\"\\"", "c": "\\\\"}',
        b'{"k": "say \\"a\\": 1"}',
    ],
    ids=["key-as-value", "backslash-runs", "escaped-quotes"],
)
def test_no_false_duplicate(raw: bytes) -> None:
    parsed = parse(raw)
    assert parsed.value == json.loads(raw)
    assert parsed.notes == ()


def test_integers_beyond_64_bits_stay_exact() -> None:
    parsed = parse(b'{"id": 123456789012345678901234567890, "n": -9223372036854775809}')
    assert parsed.value == {"id": 123456789012345678901234567890, "n": -9223372036854775809}


def test_lone_surrogate_escape() -> None:
    parsed = parse(b'{"value": "x\\ud83d"}')
    assert parsed.value == {"value": "x\ud83d"}
    assert [(note.kind, note.json_path) for note in parsed.notes] == [
        ("lone-surrogate", "$[3].value")
    ]


def test_syntax_error_position_is_in_the_file() -> None:
    parsed = parse(b'{\n  "a": 1\n  "b": 2\n}', line=10, column=5)
    assert (parsed.value, parsed.error, parsed.error_line, parsed.error_column) == (
        None,
        "invalid JSON: Expecting ',' delimiter",
        12,
        3,
    )
    same_line = parse(b'{"a": 1 "b": 2}', line=10, column=5)
    assert (same_line.error_line, same_line.error_column) == (10, 13)


def test_invalid_utf8_position() -> None:
    parsed = parse(b'{"a": "\xc3\xa9\xff"}', line=2, column=3)
    assert (parsed.error, parsed.error_line, parsed.error_column) == (
        "invalid UTF-8 (byte 0xff): invalid start byte",
        2,
        11,
    )


def test_utf8_encoded_surrogates_are_invalid_as_for_the_trainer() -> None:
    parsed = parse(b'"\xed\xa0\x80"', line=1, column=1)
    assert parsed.error == "invalid UTF-8 (byte 0xed): invalid continuation byte"


def test_deep_nesting() -> None:
    parsed = parse(b"[" * 5000 + b"]" * 5000, line=4, column=2)
    assert (parsed.error, parsed.error_line, parsed.error_column) == (
        "nested too deeply: Python's json.load fails with RecursionError",
        4,
        2,
    )


def test_errors_point_where_json_load_of_the_whole_file_points(tmp_path: Path) -> None:
    text = (
        '[\n  {"id": "ok", "v": "你好"},\n  {"id": "bad", "v": "你好", "n": 01},\n'
        '  {"id": "也", "x": [1, 2,]}\n]\n'
    )
    path = tmp_path / "d.json"
    path.write_text(text, encoding="utf-8")
    errors = [parse_record(item) for item in iter_records(path) if isinstance(item, RawRecord)]
    assert [(e.error, e.error_line, e.error_column) for e in errors if e.error] == [
        ("invalid JSON: Expecting ',' delimiter", 3, 34),
        ("invalid JSON: Expecting value", 4, 26),
    ]
    with pytest.raises(json.JSONDecodeError) as first:
        json.loads(text)
    assert (first.value.lineno, first.value.colno) == (3, 34)
    fixed = text.replace('"n": 01', '"n": 1')
    with pytest.raises(json.JSONDecodeError) as second:
        json.loads(fixed)
    assert (second.value.lineno, second.value.colno) == (4, 26)


def test_parse_records_keeps_order() -> None:
    batch = [RawRecord("d.jsonl", i, i + 1, 1, None, f'{{"i": {i}}}'.encode()) for i in range(5)]
    assert [parsed.value for parsed in parse_records(batch)] == [{"i": i} for i in range(5)]


def test_json_path() -> None:
    assert json_path(12, ("conversations", 3, "value")) == "$[12].conversations[3].value"
    assert json_path(0, ("a key", "ünï", "_ok1")) == '$[0]["a key"]["ünï"]._ok1'
    assert json_path(None) == "$"


_KEYS = st.sampled_from(["id", "from", "value", "conversations", 'a"b', "x\\", "你"])
_LEAVES = st.one_of(st.none(), st.integers(), st.text(max_size=5), _KEYS)


@settings(max_examples=150, deadline=None)
@given(
    pairs=st.lists(st.tuples(_KEYS, st.one_of(_LEAVES, st.lists(_LEAVES, max_size=3))), max_size=6)
)
def test_duplicate_detection_is_exact(pairs: list[tuple[str, object]]) -> None:
    raw = ("{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in pairs) + "}").encode()
    parsed = parse(raw)
    assert parsed.value == dict(pairs)
    duplicated = sorted({key for key, _ in pairs if [k for k, _ in pairs].count(key) > 1})
    assert sorted(note.json_path or "" for note in parsed.notes) == sorted(
        json_path(3, (key,)) for key in duplicated
    )
