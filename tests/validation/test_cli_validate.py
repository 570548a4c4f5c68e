"""`datakit validate` through a real subprocess: exit codes, formats, configuration."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from jsonschema import Draft202012Validator

from datakit.schema import load_schema

BROKEN = [
    {"id": "a", "conversations": [{"from": "human", "value": "hi"}, {"from": "assistant", "value": "x"}]},
    {"id": "b", "conversations": [{"from": "user", "value": "hi"}, {"from": "assistant", "value": "<box>(1,2),(3,1000)</box>"}]},
]
OK = [{"id": "a", "conversations": [{"from": "user", "value": "hi"}, {"from": "assistant", "value": "x"}]}]


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "datakit", "validate", "--no-cache", *args],
        cwd=cwd, capture_output=True, text=True,
    )


def _write(path: Path, records: object) -> Path:
    path.write_text(json.dumps(records, indent=1), encoding="utf-8")
    return path


def test_github_format_exact_output(tmp_path: Path) -> None:
    _write(tmp_path / "d.json", BROKEN)
    out = _run(tmp_path, "d.json", "--output-format", "github", "--images", "none")
    assert out.returncode == 1
    assert out.stdout.splitlines() == [
        # the value's own line and column (indent=1), not the record's "{"
        "::error file=d.json,line=6,col=13,endLine=6,endColumn=20,title=S005 unknown-role::"
        "\"from\" is 'human'; the trainer "
        "knows only \"user\" and \"assistant\" (use \"user\") (id 'a', $[0].conversations[0].from)",
        "::error file=d.json,line=24,col=15,title=B002 box-out-of-grid::<box>(1,2),(3,1000)</box>: "
        "1000 is off the 0..999 grid (id 'b', $[1].conversations[1].value @0)",
        "datakit: 2 error(s), 0 warning(s) in 2 record(s)",
    ]


def test_json_report_matches_its_schema(tmp_path: Path) -> None:
    _write(tmp_path / "d.json", BROKEN)
    out = _run(tmp_path, "d.json", "--format", "json", "--images", "none")
    report = json.loads(out.stdout)
    Draft202012Validator(load_schema("validate-report.schema.json")).validate(report)
    assert [f["code"] for f in report["findings"]] == ["S005", "B002"]
    assert report["summary"]["findings"] == {"error": 2, "warning": 0, "info": 0}
    assert report["summary"]["exit_code"] == 1


def test_clean_file_exits_0_and_strict_fails_on_warnings(tmp_path: Path) -> None:
    _write(tmp_path / "ok.json", OK)
    assert _run(tmp_path, "ok.json").returncode == 0
    _write(tmp_path / "warn.json", [{"conversations": OK[0]["conversations"]}])  # S007 warning
    assert _run(tmp_path, "warn.json").returncode == 0
    assert _run(tmp_path, "warn.json", "--strict").returncode == 1


def test_missing_file_is_a_finding_not_a_traceback(tmp_path: Path) -> None:
    out = _run(tmp_path, "nope.json", "--format", "json")
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert [f["code"] for f in json.loads(out.stdout)["findings"]] == ["F007"]


def test_unknown_config_key_is_a_usage_error(tmp_path: Path) -> None:
    _write(tmp_path / "ok.json", OK)
    (tmp_path / "pyproject.toml").write_text("[tool.datakit]\nmax-lenght = 4096\n")
    out = _run(tmp_path, "ok.json")
    assert out.returncode == 2
    assert "unknown key 'max-lenght'" in out.stderr
    assert "Traceback" not in out.stderr


def test_config_select_ignore_and_severity(tmp_path: Path) -> None:
    _write(tmp_path / "d.json", BROKEN)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.datakit]\nignore = ["S005"]\nimages = "none"\n[tool.datakit.severity]\nB002 = "warning"\n'
    )
    out = _run(tmp_path, "d.json", "--format", "json")
    report = json.loads(out.stdout)
    assert [(f["code"], f["severity"]) for f in report["findings"]] == [("B002", "warning")]
    assert out.returncode == 0
    # the command line overrides the file
    out = _run(tmp_path, "d.json", "--format", "json", "--select", "S")
    assert [f["code"] for f in json.loads(out.stdout)["findings"]] == []


def test_unknown_rule_in_select_is_a_usage_error(tmp_path: Path) -> None:
    _write(tmp_path / "ok.json", OK)
    out = _run(tmp_path, "ok.json", "--select", "Z999")
    assert out.returncode == 2
    assert "'Z999' matches no rule" in out.stderr


def test_rules_and_rule_commands() -> None:
    listing = subprocess.run([sys.executable, "-m", "datakit", "rules", "--format", "json"],
                             capture_output=True, text=True, check=True)
    codes = [r["code"] for r in json.loads(listing.stdout)]
    assert "K002" in codes and len(codes) == len(set(codes))
    one = subprocess.run([sys.executable, "-m", "datakit", "rule", "unknown-role"],
                         capture_output=True, text=True, check=True)
    assert one.stdout.startswith("S005 unknown-role (error, record)")
    assert "Why it matters:" in one.stdout and "Fails:" in one.stdout


def test_parse_notes_point_at_the_exact_value(tmp_path: Path) -> None:
    (tmp_path / "d.json").write_text(
        '[{"id": "a", "conversations": [{"from": "user", "value": "hi", "value": "again"}, '
        '{"from": "assistant", "value": "bad \\udcff"}]}]'
    )
    out = _run(tmp_path, "d.json", "--format", "json", "--images", "none")
    found = [(f["code"], f["location"]["json_path"]) for f in json.loads(out.stdout)["findings"]]
    assert found == [
        ("F009", "$[0].conversations[0].value"),
        ("F004", "$[0].conversations[1].value"),
    ]
