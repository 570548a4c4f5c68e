"""What is named on the command line is judged: never a silent exit 0 for a wrong input."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

RECORD = {"id": "r1", "conversations": [
    {"from": "user", "value": "What is 2 + 2?"}, {"from": "assistant", "value": "4"},
]}
SWAPPED = {"id": "r2", "conversations": [
    {"from": "user", "value": "Where is the dog?"},
    {"from": "assistant", "value": "<ref>dog</ref><box>(500,20),(10,600)</box>"},
]}
COCO = {"images": [{"id": 1, "file_name": "a.jpg", "width": 64, "height": 48}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]}],
        "categories": [{"id": 1, "name": "dog"}]}


def _datakit(cwd: Path, *args: str, stdin: bytes | None = None,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    environment = {k: v for k, v in os.environ.items() if k != "PRE_COMMIT"}
    environment.update(env or {})
    done = subprocess.run([sys.executable, "-m", "datakit", "validate", "--images", "none",
                           "--output-format", "github", *args], cwd=cwd, input=stdin,
                          capture_output=True, timeout=120, env=environment)
    return subprocess.CompletedProcess(done.args, done.returncode,
                                       done.stdout.decode(), done.stderr.decode())


def test_a_named_coco_file_is_an_error_that_says_what_it_is(tmp_path: Path) -> None:
    (tmp_path / "instances_train.json").write_text(json.dumps(COCO), encoding="utf-8")
    done = _datakit(tmp_path, "instances_train.json")
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == (
        "::error file=instances_train.json,line=1,col=1,title=F002 wrong-top-level::the top "
        "level is an object, not an array of records: it looks like a COCO-style annotation "
        "file (images, annotations)")


@pytest.mark.parametrize("how", ["flag", "pre-commit"])
def test_a_file_list_from_a_tool_skips_what_is_not_a_dataset(tmp_path: Path, how: str) -> None:
    (tmp_path / "instances_train.json").write_text(json.dumps(COCO), encoding="utf-8")
    (tmp_path / "train.json").write_text(json.dumps([RECORD]), encoding="utf-8")
    args = ["--skip-non-datasets"] if how == "flag" else []
    env = {"PRE_COMMIT": "1"} if how == "pre-commit" else {}
    done = _datakit(tmp_path, *args, "--ignore", "K", "instances_train.json", "train.json",
                    env=env)
    assert (done.returncode, done.stdout) == (0, "datakit: 0 error(s), 0 warning(s) in 1 record(s)\n")
    assert done.stderr.startswith("datakit: skipped instances_train.json: a JSON object")


def test_an_empty_folder_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    done = _datakit(tmp_path, "data")
    assert done.returncode == 2
    assert done.stderr.startswith("datakit: error: no dataset files in 'data'\n  fix: ")


def test_a_folder_with_no_dataset_says_what_it_skipped(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "package.json").write_text('{"name": "x"}', encoding="utf-8")
    (tmp_path / "data" / "notes.txt").write_text("hello", encoding="utf-8")
    done = _datakit(tmp_path, "data")
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert lines[0].startswith("datakit: skipped data/package.json: ")
    assert lines[1] == "datakit: error: no dataset files in 'data'"


def test_a_mistyped_name_is_no_such_file(tmp_path: Path) -> None:
    done = _datakit(tmp_path, "grounding.jsn")
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == (
        "::error file=grounding.jsn,title=F007 unreadable-file::no such file")


def test_another_extension_is_named_with_the_way_to_read_stdin(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("[]", encoding="utf-8")
    done = _datakit(tmp_path, "notes.txt")
    assert done.returncode == 1
    assert "has an extension datakit does not read ('notes.txt')" in done.stdout


def test_dev_stdin_on_a_pipe_is_refused_and_points_at_dash(tmp_path: Path) -> None:
    done = _datakit(tmp_path, "/dev/stdin", stdin=json.dumps([SWAPPED]).encode())
    assert done.returncode == 1
    assert "F007" in done.stdout and "not a regular file (a FIFO)" in done.stdout


@pytest.mark.parametrize("encode", [
    pytest.param(lambda rs: json.dumps(rs, indent=1).encode(), id="array"),
    pytest.param(lambda rs: "".join(json.dumps(r) + "\n" for r in rs).encode(), id="lines"),
    pytest.param(lambda rs: gzip.compress(json.dumps(rs).encode()), id="gzip-array"),
])
def test_dash_reads_standard_input(tmp_path: Path, encode: object) -> None:
    assert callable(encode)
    done = _datakit(tmp_path, "--ignore", "K", "-", stdin=encode([RECORD, SWAPPED]))
    assert done.returncode == 1, done.stdout + done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("::error file=<stdin>,")
    assert "title=B003 box-corners-swapped::" in first


def test_dash_keeps_its_place_among_the_files(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps([SWAPPED]), encoding="utf-8")
    (tmp_path / "z.json").write_text(json.dumps([SWAPPED]), encoding="utf-8")
    swapped = dict(SWAPPED, id="other")
    done = _datakit(tmp_path, "--ignore", "K,D", "z.json", "-", "a.json",
                    stdin=json.dumps([swapped]).encode())
    files = [line.split(",", 1)[0] for line in done.stdout.splitlines()[:-1]]
    assert files == ["::error file=z.json", "::error file=<stdin>", "::error file=a.json"]


def test_dash_twice_is_a_usage_error(tmp_path: Path) -> None:
    done = _datakit(tmp_path, "-", "-", stdin=b"[]")
    assert done.returncode == 2
    assert "named more than once" in done.stderr


@pytest.mark.parametrize("path", ["/proc/self/status", "/proc/kmsg", "/sys/kernel/uevent_seqnum"])
def test_a_dataset_under_a_system_folder_is_never_opened(tmp_path: Path, path: str) -> None:
    if not Path(path).exists():
        pytest.skip(f"{path} does not exist here")
    done = _datakit(tmp_path, path)
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == (
        f"::error file={path},title=F007 unreadable-file::is a system file under "
        f"/{path.split('/')[1]} (never opened: reading one can block or change things)")
