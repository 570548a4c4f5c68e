"""Atomic writes: all or nothing, never over an input, nothing left behind on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from datakit.errors import InputError
from datakit.io.atomic import TEMP_MARKER, atomic_writer, write_json_array, write_jsonl

ROOT = Path(__file__).resolve().parents[2]
RECORDS: list[dict[str, Any]] = [
    {"id": "a", "conversations": [{"from": "user", "value": '你好 "q" \\'}], "e": [], "o": {}},
    {"id": "b", "conversations": [], "n": None, "x": 1.5},
]


def leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir() if TEMP_MARKER in path.name)


def test_json_array_is_what_json_dump_writes(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    assert write_json_array(out, iter(RECORDS)) == 2
    assert out.read_text(encoding="utf-8") == (
        json.dumps(RECORDS, ensure_ascii=False, indent=2) + "\n"
    )
    assert write_json_array(out, []) == 0
    assert out.read_bytes() == b"[]\n"
    assert leftovers(tmp_path) == []


def test_jsonl(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert write_jsonl(out, RECORDS) == 2
    assert out.read_text(encoding="utf-8").splitlines() == [
        json.dumps(record, ensure_ascii=False, separators=(",", ":")) for record in RECORDS
    ]


def test_values_orjson_cannot_write_exactly(tmp_path: Path) -> None:
    records = [{"big": 2**70, "nan": float("nan"), "inf": float("-inf"), "none": None}]
    out = tmp_path / "out.json"
    write_json_array(out, records)
    assert out.read_text() == json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    write_jsonl(out, records)
    assert (
        out.read_text() == '{"big":1180591620717411303424,"nan":NaN,"inf":-Infinity,"none":null}\n'
    )


def test_new_files_get_the_usual_permissions_and_old_ones_keep_theirs(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        out = tmp_path / "out.json"
        write_json_array(out, RECORDS)
        assert out.stat().st_mode & 0o777 == 0o644
        out.chmod(0o600)
        write_json_array(out, RECORDS)
        assert out.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(umask)


def test_an_error_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    out.write_text("old")

    def records() -> Iterator[dict[str, int]]:
        yield {"a": 1}
        raise RuntimeError("converter failed")

    with pytest.raises(RuntimeError, match="converter failed"):
        write_json_array(out, records())
    assert out.read_text() == "old"
    assert leftovers(tmp_path) == []


def test_keyboard_interrupt_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    out.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_writer(out) as handle:
        handle.write(b"partial")
        raise KeyboardInterrupt
    assert out.read_text() == "old"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("how", ["same", "relative", "symlink", "hardlink"])
def test_refuses_to_write_over_an_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    source = tmp_path / "in.json"
    source.write_text("[]")
    monkeypatch.chdir(tmp_path)
    out: Path = {"same": source, "relative": Path("sub/../in.json")}.get(how, tmp_path / "o.json")
    (tmp_path / "sub").mkdir()
    if how == "symlink":
        out.symlink_to(source)
    elif how == "hardlink":
        os.link(source, out)
    with pytest.raises(InputError) as raised:
        write_json_array(out, RECORDS, inputs=[Path("in.json")])
    assert str(raised.value).startswith(f"refusing to write {out}: it is the input file in.json")
    assert raised.value.fix == "choose a different output path; datakit never overwrites its input"
    assert source.read_text() == "[]"


def test_directory_problems_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="it is a directory"):
        write_jsonl(tmp_path, RECORDS)
    with pytest.raises(InputError, match="does not exist") as raised:
        write_jsonl(tmp_path / "missing" / "o.jsonl", RECORDS)
    assert raised.value.fix == f"create it first (mkdir -p {tmp_path / 'missing'})"


_SLOW_WRITER = textwrap.dedent(
    """
    import sys, time
    from datakit.io.atomic import write_json_array

    def records():
        for i in range(100_000):
            if i == 10:
                print("writing", flush=True)
            time.sleep(0.01)
            yield {"id": i}

    if __name__ == "__main__":
        try:
            write_json_array(sys.argv[1], records())
        except KeyboardInterrupt:
            sys.exit(130)
    """
)


def start_writer(tmp_path: Path, out: Path) -> subprocess.Popen[str]:
    script = tmp_path / "writer.py"
    script.write_text(_SLOW_WRITER)
    process = subprocess.Popen(
        [sys.executable, str(script), str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "writing\n"
    time.sleep(0.05)
    return process


def test_ctrl_c_mid_write_leaves_the_old_output_and_no_temp_file(tmp_path: Path) -> None:
    out = tmp_path / "data" / "out.json"
    out.parent.mkdir()
    out.write_text("old")
    process = start_writer(tmp_path, out)
    assert len(leftovers(out.parent)) == 1
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert (process.returncode, stderr) == (130, "")
    assert out.read_text() == "old"
    assert leftovers(out.parent) == []


def test_killed_mid_write_leaves_the_old_output_and_a_recognisable_temp_file(
    tmp_path: Path,
) -> None:
    # SIGKILL allows no cleanup: the destination must still be intact, and the one file left
    # behind must be recognisable as a datakit temporary file.
    out = tmp_path / "data" / "out.json"
    out.parent.mkdir()
    out.write_text("old")
    process = start_writer(tmp_path, out)
    process.kill()
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert out.read_text() == "old"
    (left,) = leftovers(out.parent)
    assert left.startswith(".out.json.datakit-tmp-")
    assert sorted(path.name for path in out.parent.iterdir()) == sorted([left, "out.json"])
