"""Findings are bounded per rule and file: the first N are listed, the rest counted, and the
counts, the summary and the exit code stay exact (through the real CLI where it matters)."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from datakit.schema import load_schema
from datakit.statistics.findings import find_by_sample
from datakit.validation import file_pass
from datakit.validation.engine import validate_files
from datakit.validation.settings import Settings
from datakit.validation.worker import BatchResult


def _empty_records(folder: Path, count: int, name: str = "e.jsonl") -> Path:
    path = folder / name
    path.write_text("{}\n" * count, encoding="utf-8")  # each: S002 error and S007 warning
    return path


def _validate(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "datakit", "validate", "--images", "none", "--no-cache", *args],
        cwd=folder, capture_output=True, text=True, env={**os.environ, **env},
    )


def test_text_lists_n_per_rule_and_counts_the_rest(tmp_path: Path) -> None:
    _empty_records(tmp_path, 5)
    out = _validate(tmp_path, "e.jsonl", "--max-findings-per-rule", "2")
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert lines[:9] == [
        "",
        "e.jsonl",
        '  1:1: S002 error conversations-missing: record has no "conversations" ($[0])',
        '  1:1: S007 warning id-missing: record has no "id" ($[0])',
        '  2:1: S002 error conversations-missing: record has no "conversations" ($[1])',
        '  2:1: S007 warning id-missing: record has no "id" ($[1])',
        "  3 more S002 findings not listed (--max-findings-per-rule 0 lists all)",
        "  3 more S007 findings not listed (--max-findings-per-rule 0 lists all)",
        "",
    ]
    assert any("│ S002 │" in x and "│     5 │" in x for x in lines)  # the table counts all
    assert lines[-1].startswith("5 error(s), 5 warning(s), 0 info in 5 record(s) of 1 file(s)")


def test_without_a_terminal_a_thousand_are_listed(tmp_path: Path) -> None:
    _empty_records(tmp_path, 1003)
    out = _validate(tmp_path, "e.jsonl")
    lines = out.stdout.splitlines()
    assert sum(" S002 error " in x for x in lines) == 1000
    assert "  3 more S007 findings not listed (--max-findings-per-rule 0 lists all)" in lines
    every = _validate(tmp_path, "e.jsonl", "--max-findings-per-rule", "0")
    assert sum(" S002 error " in x for x in every.stdout.splitlines()) == 1003
    assert "more S002" not in every.stdout


def test_on_a_terminal_twenty_are_listed(tmp_path: Path) -> None:
    _empty_records(tmp_path, 30)
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "datakit", "validate", "e.jsonl", "--images", "none",
         "--no-progress"],
        cwd=tmp_path, stdout=follower, stderr=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "200"},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait() == 1
    text = re.sub(r"\x1b\[[0-9;]*m", "", b"".join(chunks).decode("utf-8"))
    assert text.count(" S002 error ") == 20
    assert "10 more S002 findings not listed" in text
    assert "30 error(s), 30 warning(s)" in text


def test_json_counts_every_finding_and_says_how_many_are_listed(tmp_path: Path) -> None:
    _empty_records(tmp_path, 7)
    out = _validate(tmp_path, "e.jsonl", "--format", "json", "--max-findings-per-rule", "3")
    report = json.loads(out.stdout)
    Draft202012Validator(load_schema("validate-report.schema.json")).validate(report)
    summary = report["summary"]
    assert summary["findings"] == {"error": 7, "warning": 7, "info": 0}
    assert summary["by_rule"] == [
        {"code": "S002", "name": "conversations-missing", "severity": "error", "count": 7,
         "omitted": 4},
        {"code": "S007", "name": "id-missing", "severity": "warning", "count": 7, "omitted": 4},
    ]
    assert summary["max_findings_per_rule"] == 3
    assert summary["exit_code"] == out.returncode == 1
    assert [(f["code"], f["location"]["record_index"]) for f in report["findings"]] == [
        ("S002", 0), ("S007", 0), ("S002", 1), ("S007", 1), ("S002", 2), ("S007", 2)]


def test_github_annotates_ten_of_each_level_then_writes_log_lines(tmp_path: Path) -> None:
    _empty_records(tmp_path, 13)
    out = _validate(tmp_path, "e.jsonl", "--output-format", "github",
                    "--max-findings-per-rule", "12")
    lines = out.stdout.splitlines()
    assert sum(x.startswith("::error ") for x in lines) == 10
    assert sum(x.startswith("::warning ") for x in lines) == 10
    plain = lines[20:]
    assert plain[0] == ("::notice title=datakit::4 more finding(s) not annotated (GitHub shows "
                        "10 of each level per step); they are listed in the log")
    assert plain[1] == 'datakit: e.jsonl:11:1: S002 record has no "conversations"'
    assert plain[5:] == [
        "datakit: e.jsonl: 1 more S002 finding not listed (--max-findings-per-rule 0 lists all)",
        "datakit: e.jsonl: 1 more S007 finding not listed (--max-findings-per-rule 0 lists all)",
        "datakit: 13 error(s), 13 warning(s) in 13 record(s)",
    ]
    assert all(x.startswith(("::", "datakit: ")) for x in lines)


def test_the_configuration_key_and_its_errors(tmp_path: Path) -> None:
    _empty_records(tmp_path, 4)
    (tmp_path / "pyproject.toml").write_text("[tool.datakit]\nmax-findings-per-rule = 1\n")
    out = _validate(tmp_path, "e.jsonl", "--format", "json")
    assert json.loads(out.stdout)["summary"]["max_findings_per_rule"] == 1
    flag = _validate(tmp_path, "e.jsonl", "--format", "json", "--max-findings-per-rule", "2")
    assert json.loads(flag.stdout)["summary"]["max_findings_per_rule"] == 2
    (tmp_path / "pyproject.toml").write_text("[tool.datakit]\nmax-findings-per-rule = -1\n")
    bad = _validate(tmp_path, "e.jsonl")
    assert bad.returncode == 2
    assert "max-findings-per-rule must be a non-negative integer" in bad.stderr


def test_once_a_rule_is_full_later_batches_build_no_findings_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _empty_records(tmp_path, 5 * file_pass.BATCH_RECORDS)
    results: list[BatchResult] = []
    real = file_pass.check_batch

    def spy(task: object, saturated: frozenset[str] = frozenset()) -> BatchResult:
        result = real(task, saturated)  # type: ignore[arg-type]
        results.append(result)
        return result

    monkeypatch.setattr(file_pass, "check_batch", spy)
    report = validate_files([str(path)], Settings(jobs=1, images="none", cache=False,
                                                  max_findings_per_rule=600))
    # two batches fill S002 and S007 (512 each, then 600 kept of 1024); the rest only count
    assert [len(r.findings) for r in results] == [1024, 1024, 0, 0, 0]
    assert report.counts() == {"error": 2560, "warning": 2560, "info": 0}
    assert len(report.findings) == 1200
    assert report.omitted == {(str(path), "S002"): 1960, (str(path), "S007"): 1960}


def test_the_worker_pool_lists_the_same_findings(tmp_path: Path) -> None:
    lines = []
    for i in range(1600):
        if i % 3 == 0:
            lines.append("{}")
        elif i % 3 == 1:
            lines.append(json.dumps({"id": f"s{i % 400}", "conversations": [
                {"from": "human", "value": f"hi {i}"}, {"from": "assistant", "value": "x"}]}))
        else:
            lines.append('{"id": 1, "conversations": [}')
    (tmp_path / "m.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ("m.jsonl", "--format", "json", "--max-findings-per-rule", "7", "--ignore", "K")
    one = _validate(tmp_path, *args, "--jobs", "1")
    two = _validate(tmp_path, *args, "--jobs", "2", DATAKIT_PARALLEL_MIN_BYTES="1")
    first, second = json.loads(one.stdout), json.loads(two.stdout)
    assert first["findings"] == second["findings"]
    assert first["summary"]["by_rule"] == second["summary"]["by_rule"]
    assert Counter(f["code"] for f in first["findings"]) == {
        code: 7 for code in ("F001", "S002", "S005", "S007", "D001")}
    assert {r["code"]: r["count"] for r in first["summary"]["by_rule"]} == {
        "F001": 533, "S002": 534, "S005": 533, "S007": 534, "D001": 133}


def test_stats_and_preview_still_see_every_sample(tmp_path: Path) -> None:
    path = _empty_records(tmp_path, 1500)
    found = find_by_sample([path], Settings(jobs=1, images="none", cache=False))
    assert len(found.by_sample) == 1500


def test_a_convention_fold_takes_the_findings_that_were_not_kept_too(tmp_path: Path) -> None:
    records = [{"id": str(i), "conversations": [
        {"from": "user", "value": "Where is the dog?"},
        {"from": "assistant", "value": f"<ref>dog</ref><box>({i},20),(1200,900)</box>"}]}
        for i in range(30)]
    path = tmp_path / "pixels.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    report = validate_files([str(path)], Settings(jobs=1, images="none", cache=False,
                                                  select=("B",), max_findings_per_rule=4))
    assert [f.code for f in report.findings] == ["B005"]
    assert report.omitted == {}
    assert report.counts_by_rule() == [("B005", "box-convention", "error", 1)]


def test_duplicates_listed_are_the_first_in_the_file_whatever_group_they_are_in(
    tmp_path: Path,
) -> None:
    records = [{"id": f"id{i % 5}", "conversations": [
        {"from": "user", "value": f"question {i}"}, {"from": "assistant", "value": "answer"}]}
        for i in range(50)]
    path = tmp_path / "dup.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    report = validate_files([str(path)], Settings(jobs=1, images="none", cache=False,
                                                  select=("D001",), max_findings_per_rule=3))
    # groups come id0 (records 5, 10, ...), then id1 (6, 11, ...): the report order wins
    assert [f.location.record_index for f in report.findings] == [5, 6, 7]
    assert report.omitted == {(str(path), "D001"): 42}
    assert report.counts()["error"] == 45
