"""One option grammar across subcommands: -o/--output, --output-format for reports,
--data-format for data, folders wherever files are read, --progress, old spellings with a note."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from datakit.cli.grammar import renamed_spellings

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _datakit(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "datakit", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    shutil.copy(SAMPLES / "grounding.json", tmp_path / "grounding.json")
    shutil.copytree(SAMPLES / "images", tmp_path / "images")
    return tmp_path


def test_old_spellings_are_rewritten_before_the_separator_only() -> None:
    renamed = {"--format": "--output-format", "--out": "--output"}
    args = ["a.json", "--format=json", "--out", "d", "--format", "text", "--", "--format"]
    assert renamed_spellings(args, renamed) == (
        ["a.json", "--output-format=json", "--output", "d", "--output-format", "text", "--",
         "--format"],
        ["--format", "--out"],
    )
    # a longer option that merely starts like an old one is left alone
    assert renamed_spellings(["--outside"], renamed) == (["--outside"], [])


def test_stats_output_without_a_format_writes_the_json_document(data: Path) -> None:
    result = _datakit(["stats", "grounding.json", "-o", "stats.json", "--no-findings"], data)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    document = json.loads((data / "stats.json").read_text())
    assert [f["path"] for f in document["files"]] == ["grounding.json"]


def test_stats_text_to_a_file_has_no_colour_codes(data: Path) -> None:
    result = _datakit(["stats", "grounding.json", "-o", "stats.txt", "--output-format", "text",
                       "--no-findings"], data)
    assert (result.returncode, result.stdout) == (0, "")
    text = (data / "stats.txt").read_text()
    assert text.startswith("7 sample(s) in 1 file(s)") and "\x1b[" not in text


def test_old_format_spelling_works_with_one_note(data: Path) -> None:
    old = _datakit(["stats", "grounding.json", "--format", "json", "--no-findings"], data)
    new = _datakit(["stats", "grounding.json", "--output-format", "json", "--no-findings"], data)
    assert old.returncode == new.returncode == 0
    assert old.stderr == "datakit: note: --format is deprecated; use --output-format\n"
    assert json.loads(old.stdout)["files"] == json.loads(new.stdout)["files"]


def test_tokens_reads_folders_and_skips_non_datasets(data: Path) -> None:
    folder = data / "set"
    folder.mkdir()
    shutil.copy(data / "grounding.json", folder / "a.json")
    (folder / "package.json").write_text('{"name": "x"}')
    result = _datakit(["tokens", "set", "--no-progress"], data)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert {row["file"] for row in rows} == {"set/a.json"}
    assert "skipped set/package.json" in result.stderr


def test_tokens_default_is_json_lines_and_text_is_asked_for(data: Path) -> None:
    jsonl = _datakit(["tokens", "grounding.json"], data)
    text = _datakit(["tokens", "grounding.json", "--output-format", "text"], data)
    assert jsonl.returncode == text.returncode == 0
    rows = jsonl.stdout.splitlines()
    assert rows and all(line.startswith("{") for line in rows)
    assert "samples, max_len" in text.stdout


def test_stats_refuses_an_empty_folder(data: Path) -> None:
    (data / "empty").mkdir()
    result = _datakit(["stats", "empty"], data)
    assert result.returncode == 2
    assert result.stderr.startswith("datakit: error: no dataset files in 'empty'\n")


def test_convert_old_format_spelling_is_the_data_format(tmp_path: Path) -> None:
    result = _datakit(["convert", "coco", "--help"], tmp_path)
    assert "--data-format [json|jsonl]" in result.stdout
    assert "--format" not in result.stdout.replace("--data-format", "")


def _with_stdin(args: list[str], cwd: Path, data: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "datakit", *args], cwd=cwd, input=data,
                          capture_output=True, timeout=180)


def test_tokens_and_stats_read_standard_input_as_stdin(data: Path) -> None:
    lines = (SAMPLES / "grounding.jsonl").read_bytes()
    tokens = _with_stdin(["tokens", "grounding.json", "-"], data, lines)
    assert tokens.returncode == 0, tokens.stderr
    files = [json.loads(line)["file"] for line in tokens.stdout.splitlines()]
    assert files == ["grounding.json"] * 7 + ["<stdin>"] * 7
    broken = (SAMPLES / "broken" / "B002-box-out-of-grid.json").read_bytes()
    stats = _with_stdin(["stats", "-", "--output-format", "json"], data, broken)
    assert stats.returncode == 0, stats.stderr
    document = json.loads(stats.stdout)
    assert [f["path"] for f in document["files"]] == ["<stdin>"]
    assert document["findings"]["by_code"] == {"B002": 1}


def test_standard_input_is_named_once_at_most(data: Path) -> None:
    result = _with_stdin(["preview", "-", "grounding.json", "-", "-o", "g"], data, b"[]")
    assert (result.returncode, result.stderr.decode()) == (
        2, "datakit: error: '-' (standard input) is named more than once\n  fix: name it once\n")
