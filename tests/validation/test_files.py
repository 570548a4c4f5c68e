"""Which files are datasets: include/exclude patterns, and .json objects that hold no records."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from datakit.validation import files
from datakit.validation.files import select_dataset_files
from datakit.validation.settings import Settings, load_settings

RECORD = {"id": "r1", "conversations": [
    {"from": "user", "value": "What is 2 + 2?"}, {"from": "assistant", "value": "4"},
]}
NOT_RECORDS = "a JSON object with no Qwen-VL records, not a dataset (an array of records)"


def _write(path: Path, content: object | str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content), encoding="utf-8")
    return path


def _select(tmp_path: Path, *names: str, settings: Settings | None = None
            ) -> tuple[list[str], list[str]]:
    chosen = select_dataset_files([tmp_path / n for n in names],
                                  settings or Settings(base_dir=str(tmp_path)),
                                  skip_non_datasets=True)
    rel = [os.path.relpath(f, tmp_path) for f in chosen.files]
    return rel, [os.path.relpath(f, tmp_path) for f, _ in chosen.not_datasets]


# (file name, content, is it a dataset under the default include)
CASES = [
    ("data.json", [RECORD], True),
    ("data.jsonl", json.dumps(RECORD) + "\n", True),
    ("empty.json", "", True),  # F003, reported
    ("broken-array.json", "[{\"id\": ", True),  # F001, reported
    ("one-record.json", RECORD, True),  # F002, reported: brackets missing
    ("wrapped.json", {"version": 2, "data": [RECORD]}, True),  # F002, reported
    ("lines-named-json.json", json.dumps(RECORD) + "\n" + json.dumps(RECORD) + "\n", True),
    ("broken-record.json", '{"id": "a", "conversations": [', True),
    ("scalar.json", "42", True),  # F002, reported: nothing else a .json could be
    ("package.json", {"name": "my-dataset", "version": "1.0.0", "private": True}, False),
    ("tsconfig.json", '{\n  // comments are not JSON\n  "compilerOptions": {}\n}\n', False),
    ("bom-config.json", b"\xef\xbb\xbf{\"seed\": 1}", False),
    # LLaMA-Factory's registry names the column "conversations" as a value, not a key.
    ("dataset_info.json", {"mine": {"file_name": "data.json",
                                    "columns": {"messages": "conversations"}}}, False),
    ("coco/instances_val.json", {"images": [{"id": 1, "file_name": "a.jpg"}],
                                 "annotations": [], "categories": []}, False),
]


@pytest.mark.parametrize(("name", "content", "dataset"), CASES, ids=[c[0] for c in CASES])
def test_default_include_skips_json_objects_without_records(
    tmp_path: Path, name: str, content: object, dataset: bool
) -> None:
    _write(tmp_path / name, content)
    assert _select(tmp_path, name) == (([name], []) if dataset else ([], [name]))


def test_gzipped_objects_are_judged_by_their_content(tmp_path: Path) -> None:
    _write(tmp_path / "config.json.gz", gzip.compress(b'{"seed": 1}'))
    _write(tmp_path / "one.json.gz", gzip.compress(json.dumps(RECORD).encode()))
    _write(tmp_path / "not-gzip.json.gz", b"{ plain text")  # the reader reports it
    names = ("config.json.gz", "one.json.gz", "not-gzip.json.gz")
    assert _select(tmp_path, *names) == (["one.json.gz", "not-gzip.json.gz"], ["config.json.gz"])


def test_large_objects_are_judged_by_their_head(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "PARSE_LIMIT_BYTES", 100)
    monkeypatch.setattr(files, "HEAD_BYTES", 60)
    _write(tmp_path / "instances.json", {"info": {"year": 2014}, "images": list(range(100))})
    _write(tmp_path / "wrapped.json", {"data": [RECORD] * 10})
    assert _select(tmp_path, "instances.json", "wrapped.json") == (
        ["wrapped.json"], ["instances.json"])
    reason = select_dataset_files([tmp_path / "instances.json"], Settings(base_dir=str(tmp_path)),
                                  skip_non_datasets=True).not_datasets[0][1]
    assert reason == ("it starts a JSON object and its first 0 KiB hold no Qwen-VL records: "
                      "not a dataset (an array of records)")


def test_a_configured_include_makes_every_match_a_dataset(tmp_path: Path) -> None:
    _write(tmp_path / "pyproject.toml", '[tool.datakit]\ninclude = ["*.json"]\n')
    _write(tmp_path / "package.json", {"name": "x"})
    settings = load_settings(start=tmp_path)
    assert settings.include_configured
    assert _select(tmp_path, "package.json", settings=settings) == (["package.json"], [])


def test_other_keys_keep_the_default_include(tmp_path: Path) -> None:
    _write(tmp_path / "pyproject.toml", '[tool.datakit]\nexclude = ["configs/*"]\n')
    assert not load_settings(start=tmp_path).include_configured


def test_patterns_are_relative_to_the_configuration_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / "pyproject.toml",
           '[tool.datakit]\ninclude = ["data/*.json", "*.jsonl"]\nexclude = ["data/old/*"]\n')
    for name in ("data/a.json", "data/old/b.json", "c.json", "d.jsonl", "data/e.jsonl"):
        _write(tmp_path / name, [RECORD])
    monkeypatch.chdir(tmp_path / "data")  # patterns do not move with the working directory
    settings = load_settings()
    chosen = select_dataset_files([Path(".")], settings).files
    assert chosen == ["a.json", "e.jsonl"]
    chosen = select_dataset_files([Path(".."), Path("a.json")], settings).files
    assert chosen == ["../d.jsonl", "../data/a.json", "../data/e.jsonl", "a.json"]


def test_a_folder_walk_honours_exclude_and_skips_hidden_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a.json", "configs/x.json", ".git/x.json", "b/c.jsonl", "notes.txt"):
        _write(tmp_path / name, [RECORD])
    monkeypatch.chdir(tmp_path)
    settings = Settings(exclude=("configs/*",))
    assert select_dataset_files([Path(".")], settings).files == ["a.json", "b/c.jsonl"]


def test_a_missing_file_is_kept_to_be_reported(tmp_path: Path) -> None:
    assert _select(tmp_path, "gone.json", "gone.txt") == (["gone.json", "gone.txt"], [])


def _datakit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "datakit", "validate", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_cli_names_what_it_skipped_and_passes(tmp_path: Path) -> None:
    _write(tmp_path / "package.json", {"name": "x"})
    _write(tmp_path / "data.json", [RECORD])
    done = _datakit(tmp_path, "package.json", "data.json", "--images", "none", "--ignore", "K",
                    "--output-format", "github", "--skip-non-datasets")
    assert (done.returncode, done.stdout) == (0, "datakit: 0 error(s), 0 warning(s) in 1 record(s)\n")
    assert done.stderr == (f"datakit: skipped package.json: {NOT_RECORDS} (list it in "
                           "[tool.datakit] include to check it anyway)\n")


def test_cli_checks_a_configured_match_strictly(tmp_path: Path) -> None:
    _write(tmp_path / "pyproject.toml", '[tool.datakit]\ninclude = ["*.json"]\n')
    _write(tmp_path / "package.json", {"name": "x"})
    done = _datakit(tmp_path, "package.json", "--images", "none", "--output-format", "github")
    assert done.returncode == 1
    assert done.stdout.startswith("::error file=package.json,line=1,col=1,title=F002")


def test_extend_ignore_adds_to_the_configured_list(tmp_path: Path) -> None:
    _write(tmp_path / "pyproject.toml", '[tool.datakit]\nignore = ["S007"]\n')
    no_id = {"conversations": RECORD["conversations"]}
    _write(tmp_path / "data.json", [no_id, {**no_id, "conversations": [
        {"from": "user", "value": "Hi"}, {"from": "assistant", "value": "Hello"}]}])

    def codes(*args: str) -> list[str]:
        done = _datakit(tmp_path, "data.json", "--images", "none", "--output-format", "json", *args)
        return sorted({f["code"] for f in json.loads(done.stdout)["findings"]})

    assert codes() == []  # S007 (no id) is ignored by the project
    assert codes("--ignore", "K") == ["S007"]  # --ignore replaces the project's list
    assert codes("--extend-ignore", "K") == []
