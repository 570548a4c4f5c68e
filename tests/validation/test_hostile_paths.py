"""Paths that are not regular files, or far too large, wherever a path reaches datakit: a FIFO
or a device as a dataset (named, in a folder, .json or .json.gz), as the holdout list (option
or configuration) or as the configuration itself. Each ends in a finding (exit 1) or a clear
error (exit 2) at once; before, a FIFO blocked for ever and /dev/zero grew without bound.

Every command runs in a child with a timeout, so a hang fails the test instead of the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from datakit.errors import ConfigError
from datakit.validation import holdout
from datakit.validation.files import not_a_dataset
from datakit.validation.holdout import load_holdout

RECORD = {"id": "a", "conversations": [{"from": "user", "value": "hi"},
                                       {"from": "assistant", "value": "yo"}]}
HOLDOUT_FIX = ("  fix: check the --holdout path: it names a regular file (image names, an "
               "instances file or a Qwen-VL dataset)")


def _datakit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "datakit", *args], cwd=cwd, capture_output=True,
                          text=True, check=False, timeout=60)


def _validate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return _datakit("validate", "--images", "none", "--no-cache", *args, cwd=cwd)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "good.json").write_text(json.dumps([RECORD]))
    os.mkfifo(tmp_path / "fifo.txt")
    return tmp_path


@pytest.mark.parametrize(
    ("target", "kind"), [("fifo.txt", "a FIFO"), ("/dev/zero", "a device")], ids=["fifo", "zero"])
def test_holdout_that_is_not_a_regular_file(root: Path, target: str, kind: str) -> None:
    done = _validate("good.json", "--holdout", target, cwd=root)
    shown = str(root / target) if target == "fifo.txt" else target
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        f"datakit: error: holdout file {shown}: is not a regular file ({kind})", HOLDOUT_FIX]


def test_holdout_from_the_configuration_too(root: Path) -> None:
    (root / "pyproject.toml").write_text('[tool.datakit]\nholdout = ["/dev/zero"]\n')
    done = _validate("good.json", cwd=root)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == (
        "datakit: error: holdout file /dev/zero: is not a regular file (a device)")


def test_a_holdout_file_over_the_limit_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "names.txt"
    with big.open("wb") as handle:  # sparse: no disk space, and never read
        handle.truncate(holdout.HOLDOUT_MAX_BYTES + 1)
    with pytest.raises(ConfigError) as raised:
        load_holdout(("names.txt",), tmp_path)
    assert raised.value.message == (
        "holdout file names.txt: larger than 1 GiB, the most a holdout file is read")


def test_holdout_names_still_load(tmp_path: Path) -> None:
    (tmp_path / "names.txt").write_bytes(b"\xef\xbb\xbfval2014/a.jpg\r\nb.jpg\n\n")
    (tmp_path / "coco.json").write_text(json.dumps({"images": [{"file_name": "x/c.jpg"}]}))
    assert load_holdout(("names.txt", "coco.json"), tmp_path) == {"a.jpg", "b.jpg", "c.jpg"}


def test_datasets_that_are_not_regular_files_are_f007(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "good.json").write_text(json.dumps([RECORD]))
    os.mkfifo(tmp_path / "data" / "pipe.json")  # found in a folder
    names = ["fifo.json", "fifo.json.gz", "fifo.jsonl", "fifo.parquet"]
    for name in names:
        os.mkfifo(tmp_path / name)
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    done = _validate(*names, "zero.json", "data", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    fifo = "  F007 error unreadable-file: is not a regular file (a FIFO)"
    for name in [*names, "data/pipe.json"]:
        assert lines[lines.index(name) + 1] == fifo  # under the file's heading
    zero = "  F007 error unreadable-file: is not a regular file (a device)"
    assert lines[lines.index("zero.json") + 1] == zero


def test_sniffing_never_opens_what_is_not_a_regular_file(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.json")
    (tmp_path / "zero.json.gz").symlink_to("/dev/zero")
    # None: the reader judges it (F007); before, the FIFO blocked here.
    assert not_a_dataset(str(tmp_path / "pipe.json")) is None
    assert not_a_dataset(str(tmp_path / "zero.json.gz")) is None


def test_sniffing_still_reads_gzip(tmp_path: Path) -> None:
    import gzip

    (tmp_path / "package.json.gz").write_bytes(gzip.compress(b'{"name": "x"}'))
    assert not_a_dataset(str(tmp_path / "package.json.gz")) == (
        "a JSON object with no Qwen-VL records, not a dataset (an array of records)")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("fifo.txt", "datakit: error: fifo.txt: not a regular file, so not read as configuration"),
        ("/dev/zero", "datakit: error: /dev/zero: not a regular file, so not read as configuration"),
    ],
    ids=["fifo", "zero"],
)
def test_config_that_is_not_a_regular_file(root: Path, config: str, message: str) -> None:
    done = _validate("good.json", "--config", config, cwd=root)
    assert (done.returncode, done.stderr.splitlines()[0]) == (2, message)


def test_a_pyproject_that_is_a_fifo_is_passed_over(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_text(json.dumps([RECORD]))
    os.mkfifo(tmp_path / "pyproject.toml")
    done = _validate("good.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[tool.datakit]\nmax-len = " + "9" * 5000 + "\n",
         "an integer longer than Python reads (over 4,300 digits)"),
        ("[tool.datakit]\nselect = " + "[" * 5000 + "]" * 5000 + "\n",
         "arrays or tables nested too deeply"),
    ],
    ids=["integer-5000-digits", "nested-5000-deep"],
)
def test_config_values_the_toml_parser_cannot_hold(tmp_path: Path, text: str, reason: str) -> None:
    (tmp_path / "good.json").write_text(json.dumps([RECORD]))
    (tmp_path / "pyproject.toml").write_text(text)
    done = _validate("good.json", cwd=tmp_path)
    assert (done.returncode, done.stderr.splitlines()) == (2, [
        f"datakit: error: {tmp_path / 'pyproject.toml'}: invalid TOML: {reason}",
        "  fix: fix the TOML syntax"])


@pytest.mark.parametrize("command", ["stats", "tokens"])
def test_stats_and_tokens_do_not_block_on_a_fifo(tmp_path: Path, command: str) -> None:
    os.mkfifo(tmp_path / "pipe.jsonl")
    done = _datakit(command, "pipe.jsonl", cwd=tmp_path)
    assert done.returncode == 1
    assert "pipe.jsonl: is not a regular file (a FIFO)" in done.stdout + done.stderr
