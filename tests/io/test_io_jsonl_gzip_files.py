"""JSON Lines, gzip, and files that cannot be read at all."""

from __future__ import annotations

import gzip
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from io_positions import positions

from datakit.io.reader import iter_records
from datakit.io.records import FileProblem, RawRecord

DATA = Path(__file__).parent / "data"


def read(path: Path, **options: int) -> list[RawRecord | FileProblem]:
    return list(iter_records(path, display_name=path.name, **options))


def write(tmp_path: Path, data: bytes | str, name: str = "d.jsonl") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# -- JSON Lines ---------------------------------------------------------------------------------


def test_lines_blank_lines_crlf_and_indentation(tmp_path: Path) -> None:
    data = b'{"a": 1}\r\n\n   \n  {"b": 2}  \n{"c": 3}'
    for chunk_bytes in (1, 3, 7, 4096):
        assert positions(read(write(tmp_path, data), chunk_bytes=chunk_bytes)) == [
            (0, 1, 1, 0, b'{"a": 1}'),
            (1, 4, 3, 17, b'{"b": 2}'),
            (2, 5, 1, 28, b'{"c": 3}'),
        ], chunk_bytes


@pytest.mark.parametrize(
    "name",
    ["llava_caps_boxes_coco2014_val_80.jsonl", "ms_swift_conversations.jsonl"],
)
def test_real_files(name: str) -> None:
    path = DATA / name
    lines = path.read_bytes().splitlines()
    items = read(path, chunk_bytes=97)
    assert [json.loads(item.raw or b"") for item in items if isinstance(item, RawRecord)] == [
        json.loads(line) for line in lines if line.strip()
    ]
    assert positions(items) == positions(read(path))


def test_empty_and_blank_files(tmp_path: Path) -> None:
    for data, message in ((b"", "is empty"), (b"\n \n\r\n", "contains only blank lines")):
        (problem,) = read(write(tmp_path, data))
        assert isinstance(problem, FileProblem)
        assert (problem.kind, problem.message) == (
            "empty-file",
            f"{message}: there are no records",
        )


def test_bom(tmp_path: Path) -> None:
    items = read(write(tmp_path, b'\xef\xbb\xbf{"a": 1}\n{"a": 2}\n'))
    assert positions(items) == [
        ("bom", 1, 1, 0, None),
        (0, 1, 1, 3, b'{"a": 1}'),
        (1, 2, 1, 12, b'{"a": 2}'),
    ]


def test_invalid_utf8_position(tmp_path: Path) -> None:
    items = read(write(tmp_path, b'{"a": "x"}\n{"a": "\xc3\xa9\xff"}\n'), chunk_bytes=4)
    assert positions(items) == [
        (0, 1, 1, 0, b'{"a": "x"}'),
        ("invalid-utf8", 2, 9, 20, None),
        (1, 2, 1, 11, b'{"a": "\xc3\xa9\xff"}'),
    ]


def test_overlong_line_is_skipped_while_streaming(tmp_path: Path) -> None:
    data = b'{"a": 1}\n  {"big": "' + b"x" * 300 + b'"}\n{"a": 3}\n'
    for chunk_bytes in (16, 4096):
        items = read(write(tmp_path, data), max_record_bytes=100, chunk_bytes=chunk_bytes)
        assert positions(items) == [
            (0, 1, 1, 0, b'{"a": 1}'),
            ("record-too-large", 2, 3, 11, 1),
            (2, 3, 1, 323, b'{"a": 3}'),
        ], chunk_bytes


@pytest.mark.parametrize(
    "text", ['[\n  {"a": 1}\n]\n', '[{"a": 1},\n {"a": 2}]\n', '{\n  "a": 1\n}\n']
)
def test_a_json_document_named_jsonl(tmp_path: Path, text: str) -> None:
    (problem,) = read(write(tmp_path, text))
    assert isinstance(problem, FileProblem)
    assert (problem.kind, problem.line, problem.column, problem.fatal) == (
        "wrong-top-level",
        1,
        1,
        True,
    )
    assert problem.message.startswith("looks like a JSON document spread over several lines")


def test_binary_named_jsonl(tmp_path: Path) -> None:
    (problem,) = read(write(tmp_path, b"\x00\x00\x01garbage"))
    assert isinstance(problem, FileProblem)
    assert (problem.kind, problem.message) == (
        "invalid-json",
        "is not JSON text: binary data, not text",
    )


# -- gzip ---------------------------------------------------------------------------------------


def records_text(count: int) -> str:
    return json.dumps([{"id": f"r{i}", "n": "x" * 50} for i in range(count)], indent=2)


def test_gzip_reads_like_the_plain_file(tmp_path: Path) -> None:
    text = records_text(50)
    plain = read(write(tmp_path, text, "d.json"))
    packed = read(write(tmp_path, gzip.compress(text.encode()), "d.json.gz"))
    assert [positions([item]) for item in packed] == [positions([item]) for item in plain]
    lines = "\n".join(json.dumps({"i": i}) for i in range(20)) + "\n"
    plain_lines = read(write(tmp_path, lines, "d.jsonl"))
    packed_lines = read(write(tmp_path, gzip.compress(lines.encode()), "d.jsonl.gz"))
    assert positions(packed_lines) == positions(plain_lines)
    assert len(plain_lines) == 20


def stored_blocks(packed: bytes) -> list[int]:
    """Offsets of the stored (uncompressed) deflate blocks of a level-0 gzip member."""
    blocks, pos = [], 10  # gzip.compress writes a 10-byte header
    while True:
        blocks.append(pos)
        if packed[pos] & 1:  # BFINAL
            return blocks
        pos += 5 + int.from_bytes(packed[pos + 1 : pos + 3], "little")


def test_corrupt_gzip_keeps_the_records_before_the_damage(tmp_path: Path) -> None:
    records = [{"id": i, "x": "abcdefgh" * 50} for i in range(3000)]
    packed = bytearray(gzip.compress(json.dumps(records, indent=2).encode(), compresslevel=0))
    blocks = stored_blocks(bytes(packed))
    damaged = blocks[len(blocks) * 3 // 4]
    packed[damaged + 3] ^= 0x55  # NLEN no longer the complement of LEN
    items = read(write(tmp_path, bytes(packed), "d.json.gz"), chunk_bytes=1 << 16)
    problem = items[-1]
    assert isinstance(problem, FileProblem)
    assert (problem.kind, problem.fatal) == ("bad-gzip", True)
    got = [item for item in items if isinstance(item, RawRecord)]
    assert 1000 < len(got) < 3000
    assert problem.record_index == len(got)
    assert [json.loads(item.raw or b"") for item in got] == records[: len(got)]
    assert problem.message.startswith(
        "the gzip stream is corrupt (Error -3 while decompressing data: invalid stored block"
        " lengths)"
    )
    assert problem.message.endswith(f"records from index {len(got)} on were not read")
    readable = json.dumps(records, indent=2).encode()[: problem.offset]
    assert (problem.line, problem.column) == (
        readable.count(b"\n") + 1,
        len(readable.rsplit(b"\n", 1)[-1]) + 1,
    )


def test_truncated_gzip(tmp_path: Path) -> None:
    packed = gzip.compress(records_text(200).encode())
    items = read(write(tmp_path, packed[: len(packed) // 2], "d.json.gz"))
    problem = items[-1]
    assert isinstance(problem, FileProblem)
    assert problem.kind == "bad-gzip"
    assert problem.message.startswith("the gzip stream ends early (the file is truncated)")


def test_plain_file_named_gz(tmp_path: Path) -> None:
    (problem,) = read(write(tmp_path, "[1]", "d.json.gz"))
    assert isinstance(problem, FileProblem)
    assert (problem.kind, problem.message) == (
        "bad-gzip",
        "is named .gz but is not gzip-compressed",
    )


# -- files that cannot be read ------------------------------------------------------------------


def only_problem(path: Path) -> FileProblem:
    (problem,) = read(path)
    assert isinstance(problem, FileProblem)
    assert (problem.kind, problem.fatal) == ("unreadable", True)
    return problem


def test_missing_file(tmp_path: Path) -> None:
    assert only_problem(tmp_path / "nope.json").message == "no such file"


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "d.json").mkdir()
    assert only_problem(tmp_path / "d.json").message == "is a directory, not a file"


def test_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "a.json").symlink_to(tmp_path / "b.json")
    (tmp_path / "b.json").symlink_to(tmp_path / "a.json")
    assert only_problem(tmp_path / "a.json").message.startswith("cannot access the file:")


@pytest.fixture
def alarm() -> Iterator[None]:
    def hung(signum: int, frame: object) -> None:
        raise TimeoutError("reading blocked")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(5)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.usefixtures("alarm")
def test_fifo_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "d.jsonl")
    assert only_problem(tmp_path / "d.jsonl").message == "is not a regular file (a FIFO)"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_permissions(tmp_path: Path) -> None:
    path = write(tmp_path, "[]", "d.json")
    path.chmod(0)
    assert only_problem(path).message == "cannot open the file: Permission denied"
