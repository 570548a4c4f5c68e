"""The renderers on a real report: concise lines, statistics, and a job summary that keeps a
hostile file name literal."""

from __future__ import annotations

from pathlib import Path

import pytest

from datakit import validate
from datakit.report.concise import render_concise, render_statistics
from datakit.report.github import step_summary
from datakit.validation.registry import RULES
from datakit.validation.report import Report


def _report(folder: Path, name: str) -> Report:
    (folder / name).write_text("{}\n{}\n", encoding="utf-8")  # S002 and S007, twice
    return validate([str(folder / name)], images="none", ignore=("K",))


def test_concise_and_statistics(tmp_path: Path) -> None:
    report = _report(tmp_path, "e.jsonl")
    path = str(tmp_path / "e.jsonl")
    assert render_concise(report).splitlines() == [
        f'{path}:1:1: S002 record has no "conversations"',
        f'{path}:1:1: S007 record has no "id"',
        f'{path}:2:1: S002 record has no "conversations"',
        f'{path}:2:1: S007 record has no "id"',
        "2 error(s), 2 warning(s), 0 info in 2 record(s) of 1 file(s)",
    ]
    assert render_statistics(report).splitlines()[:2] == [
        "2  S002  error    conversations-missing",
        "2  S007  warning  id-missing",
    ]


def test_the_job_summary_escapes_markdown_in_file_names(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a|b<i>*x*_.jsonl").write_text("{}\n{}\n", encoding="utf-8")
    report = validate(["a|b<i>*x*_.jsonl"], images="none", ignore=("K",))
    text = step_summary(report, RULES)
    row = next(x for x in text.splitlines() if x.startswith("| S002 "))
    assert row == "| S002 | conversations-missing | error | 2 | a\\|b\\<i\\>\\*x\\*\\_.jsonl:1:1 |"
    assert "<i>" not in text
    assert text.count("- **S002** conversations-missing: ") == 1
