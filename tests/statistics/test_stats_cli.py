"""`datakit stats` as a user runs it: exact figures, exit codes, the Parquet file."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "qwen_vl_readme.json"


def _datakit(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "datakit", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def readme(tmp_path: Path) -> Path:
    shutil.copyfile(VECTORS, tmp_path / "r.json")
    return tmp_path


def test_json_figures_and_parquet_rows(readme: Path) -> None:
    result = _datakit(["stats", "r.json", "--output-format", "json", "--parquet", "rows.parquet"],
                      cwd=readme)
    assert (result.returncode, result.stderr) == (0, "")
    doc = json.loads(result.stdout)
    assert doc["samples"] == 3 and doc["max_len"] == 2048
    assert doc["tokens"] == {"count": 3, "min": 35, "p50": 341, "p90": 573, "p95": 573,
                             "p99": 573, "max": 573, "mean": 316.33}
    assert doc["supervised_tokens"]["p50"] == 29
    assert [b["count"] for b in doc["histogram"]] == [1, 1, 1, 0, 0, 0, 0, 0]
    assert doc["over_limit"] == {"samples": 0, "cut_in_image": 0, "answer_cut": 0,
                                 "nothing_supervised_left": 0}
    assert doc["refs"]["top"] == [{"text": "格子衬衫", "count": 1}]
    assert doc["text"]["samples"] == {"chinese": 2, "latin": 0, "mixed": 1, "none": 0}
    # identity_1's image is a URL (I010), identity_2's images are not on this machine (I003)
    assert doc["findings"] == {"checked": True, "samples_with_findings": 2,
                               "by_code": {"I003": 1, "I010": 1}}
    rows = pd.read_parquet(readme / "rows.parquet")
    assert rows["id"].tolist() == ["identity_0", "identity_1", "identity_2"]
    assert rows["tokens"].tolist() == [35, 341, 573]
    assert rows["supervised_tokens"].tolist() == [22, 48, 29]
    assert rows["images"].tolist() == [0, 1, 2]
    assert [list(c) for c in rows["finding_codes"]] == [[], ["I010"], ["I003"]]


def test_terminal_report_has_the_histogram(readme: Path) -> None:
    result = _datakit(["stats", "r.json", "--no-findings", "--max-len", "400"], cwd=readme)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "3 sample(s) in 1 file(s); max_len 400"
    start = lines.index("Token length histogram")
    bar = "█" * 40
    assert lines[start + 1 : start + 12] == [
        "  0 –  49 " + bar + " 1",
        " 50 –  99 " + " " * 40 + " 0",
        "100 – 149 " + " " * 40 + " 0",
        "150 – 199 " + " " * 40 + " 0",
        "200 – 249 " + " " * 40 + " 0",
        "250 – 299 " + " " * 40 + " 0",
        "300 – 349 " + bar + " 1",
        "350 – 399 " + " " * 40 + " 0",
        "          ── max_len 400 ──",
        "400 – 449 " + " " * 40 + " 0",
        "450 – 499 " + " " * 40 + " 0",
    ]
    assert lines[start + 13] == "550 – 599 " + bar + " 1"
    assert lines[start + 14] == (
        "over max_len: 1 (33.3%); cut inside an image (training crashes): 1; answer cut: 1; "
        "nothing supervised left: 0")
    assert "findings: not checked (--no-findings)" in lines


def test_a_file_that_stops_early_exits_1(tmp_path: Path) -> None:
    (tmp_path / "cut.json").write_text(
        '[{"id": "a", "conversations": [{"from": "user", "value": "hi"}]}, {"id": ',
        encoding="utf-8")
    result = _datakit(["stats", "cut.json", "--output-format", "json", "--no-findings"], cwd=tmp_path)
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert doc["samples"] == 1
    assert [p["kind"] for p in doc["files"][0]["problems"]] == ["invalid-json"]


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (["stats", "missing.json"], "datakit: error: missing.json: no such file\n"
                                    "  fix: check the path\n"),
        (["stats"], "datakit: error: no dataset files given\n"
                    "  fix: datakit stats FILE [FILE ...]\n"),
        (["stats", "r.json", "--output-format", "yaml"],
         "Usage: datakit stats [OPTIONS] [FILES]...\nTry 'datakit stats --help' for help.\n\n"
         "Error: Invalid value for '--output-format': 'yaml' is not one of 'text', 'json'.\n"),
    ],
    ids=["missing-file", "no-files", "unknown-format"],
)
def test_usage_errors_exit_2(readme: Path, args: list[str], stderr: str) -> None:
    result = _datakit(args, cwd=readme)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", stderr)
    assert not (readme / "o.json").exists()
