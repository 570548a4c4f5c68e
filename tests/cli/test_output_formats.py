"""``datakit validate --output-format``: every format points at the value's own line and column
(real subprocesses), SARIF validates against the SARIF 2.1.0 schema, GitHub output is capped
with a job summary, and --statistics, --exit-zero, --extend-select and the old --format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from jsonschema import Draft4Validator

SARIF_SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif" / "sarif-schema-2.1.0.json"

# Pretty-printed: the bad role is on line 6 and the box on line 11, both far below the "{".
PRETTY = """[
  {
    "id": "a",
    "conversations": [
      {
        "from": "human",
        "value": "Where is the cat?"
      },
      {
        "from": "assistant",
        "value": "<ref>cat</ref><box>(10,20),(30,1000)</box>"
      }
    ]
  }
]
"""
ROLE = "\"from\" is 'human'; the trainer knows only \"user\" and \"assistant\" (use \"user\")"
BOX = "<box>(10,20),(30,1000)</box>: 1000 is off the 0..999 grid"


def _run(cwd: Path, *args: str, env: dict[str, str] | None = None,
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "datakit", "validate", "--no-cache", "--images", "none",
         "--ignore", "K", *args],
        cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})},
    )


def _pretty(folder: Path) -> None:
    (folder / "p.json").write_text(PRETTY, encoding="utf-8")


def test_full_lists_line_and_column_under_the_file_name_once(tmp_path: Path) -> None:
    _pretty(tmp_path)
    out = _run(tmp_path, "p.json")
    assert out.returncode == 1, out.stderr
    lines = out.stdout.splitlines()
    assert lines[:4] == [
        "",
        "p.json",
        f"  6:17: S005 error unknown-role: {ROLE} (id 'a', $[0].conversations[0].from)",
        f"  11:33: B002 error box-out-of-grid: {BOX} (id 'a', $[0].conversations[1].value @14)",
    ]
    assert any("p.json:6:17" in x for x in lines)  # first at, in the table
    fixes = [x for x in lines if x.startswith("  B002 ") or x.startswith("  S005 ")]
    assert len(fixes) == 2 and all("(datakit rule " in x for x in fixes)  # once per rule fired
    assert not any(x.startswith("  B001 ") for x in lines)
    assert max(len(x) for x in lines) > 120  # a pipe is not wrapped at 80 columns


def test_concise_json_and_github_name_the_same_place(tmp_path: Path) -> None:
    _pretty(tmp_path)
    concise = _run(tmp_path, "p.json", "--output-format", "concise")
    assert concise.stdout.splitlines()[:2] == [
        f"p.json:6:17: S005 {ROLE}",
        f"p.json:11:33: B002 {BOX}",
    ]
    report = json.loads(_run(tmp_path, "p.json", "--output-format", "json").stdout)
    places = [{k: f["location"][k] for k in ("line", "column", "end_line", "end_column")}
              for f in report["findings"]]
    assert places == [{"line": 6, "column": 17, "end_line": 6, "end_column": 24},
                      {"line": 11, "column": 33, "end_line": None, "end_column": None}]
    github = _run(tmp_path, "p.json", "--output-format", "github")
    assert github.stdout.splitlines()[:2] == [
        "::error file=p.json,line=6,col=17,endLine=6,endColumn=24,title=S005 unknown-role::"
        f"{ROLE} (id 'a', $[0].conversations[0].from)",
        "::error file=p.json,line=11,col=33,title=B002 box-out-of-grid::"
        f"{BOX} (id 'a', $[0].conversations[1].value @14)",
    ]


def test_sarif_validates_and_has_regions_and_rule_docs(tmp_path: Path) -> None:
    _pretty(tmp_path)
    out = _run(tmp_path, "p.json", "--output-format", "sarif", "-o", "report.sarif")
    assert out.returncode == 1 and out.stdout == ""
    log = json.loads((tmp_path / "report.sarif").read_text(encoding="utf-8"))
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    errors = sorted(Draft4Validator(schema).iter_errors(log), key=str)
    assert errors == []
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["S005", "B002"]
    assert results[0]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "p.json"},
        "region": {"startLine": 6, "startColumn": 17, "endLine": 6, "endColumn": 24},
    }
    assert results[1]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 11, "startColumn": 33}
    s005 = rules[results[0]["ruleIndex"]]
    assert s005["id"] == "S005" and s005["name"] == "unknown-role"
    assert s005["help"]["text"].startswith('Use "user" for human/question turns')
    assert run["columnKind"] == "unicodeCodePoints"


def _many(folder: Path, count: int) -> None:
    (folder / "e.jsonl").write_text("{}\n" * count, encoding="utf-8")  # S002 and S007 each


def test_github_caps_annotations_and_writes_the_job_summary(tmp_path: Path) -> None:
    _many(tmp_path, 15)
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    out = _run(tmp_path, "e.jsonl", "--output-format", "github",
               env={"GITHUB_STEP_SUMMARY": str(summary)})
    lines = out.stdout.splitlines()
    assert sum(x.startswith("::error ") for x in lines) == 10
    assert sum(x.startswith("::warning ") for x in lines) == 10
    assert lines[20] == ("::notice title=datakit::10 more finding(s) not annotated (GitHub shows "
                         "10 of each level per step); they are listed in the log")
    assert lines[21] == 'datakit: e.jsonl:11:1: S002 record has no "conversations"'
    assert lines[0] == ("::error file=e.jsonl,line=1,col=1,endLine=1,endColumn=3,"
                        "title=S002 conversations-missing::record has no \"conversations\" ($[0])")
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n## datakit validate\n")  # appended, as GitHub wants
    assert "| S002 | conversations-missing | error | 15 | e.jsonl:1:1 |" in text.splitlines()
    assert text.count("- **S002**") == 1 and text.count("- **S007**") == 1


def test_statistics_exit_zero_and_extend_select(tmp_path: Path) -> None:
    _many(tmp_path, 3)
    stats = _run(tmp_path, "e.jsonl", "--statistics")
    assert stats.returncode == 1
    assert stats.stdout.splitlines()[:2] == [
        "3  S002  error    conversations-missing",
        "3  S007  warning  id-missing",
    ]
    as_json = json.loads(_run(tmp_path, "e.jsonl", "--statistics", "--output-format",
                              "json").stdout)
    assert as_json == [
        {"code": "S002", "name": "conversations-missing", "severity": "error", "count": 3},
        {"code": "S007", "name": "id-missing", "severity": "warning", "count": 3},
    ]
    zero = _run(tmp_path, "e.jsonl", "--exit-zero", "--output-format", "concise")
    assert zero.returncode == 0 and "e.jsonl:1:1: S002 " in zero.stdout
    only = _run(tmp_path, "e.jsonl", "--select", "S007", "--output-format", "concise")
    assert {x.split(": ")[1].split()[0] for x in only.stdout.splitlines()[:-1]} == {"S007"}
    both = _run(tmp_path, "e.jsonl", "--select", "S007", "--extend-select", "S002",
                "--output-format", "concise")
    assert {x.split(": ")[1].split()[0] for x in both.stdout.splitlines()[:-1]} == {
        "S002", "S007"}


def test_the_old_format_option_still_works_and_says_so(tmp_path: Path) -> None:
    _pretty(tmp_path)
    old = _run(tmp_path, "p.json", "--format", "github")
    new = _run(tmp_path, "p.json", "--output-format", "github")
    assert old.stdout == new.stdout and old.returncode == new.returncode == 1
    assert old.stderr == "datakit: note: --format is deprecated; use --output-format github\n"
    assert new.stderr == ""
    clash = _run(tmp_path, "p.json", "--format", "json", "--output-format", "sarif")
    assert clash.returncode == 2 and "disagree" in clash.stderr
