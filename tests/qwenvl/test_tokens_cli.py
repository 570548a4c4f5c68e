"""``datakit tokens`` end to end, in a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "qwen_vl_readme.json"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "datakit", "tokens", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
    )


def _rows(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def _write(path: Path, records: list[Any]) -> Path:
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def test_jsonl_rows_for_the_readme_samples(tmp_path: Path) -> None:
    data = _write(tmp_path / "train.json", json.loads(VECTORS.read_text("utf-8")))
    result = _run(str(data.name), cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    rows = _rows(result.stdout)
    assert rows[0] == {
        "file": "train.json",
        "index": 0,
        "line": 1,
        "id": "identity_0",
        "tokens": 35,
        "supervised_tokens": 22,
        "images": 0,
        "max_len": 2048,
        "truncated": False,
        "cut_at": None,
        "cut_in_image": False,
        "supervised_after_cut": 22,
        "answer_cut": False,
        "error": None,
        "problems": [],
    }
    assert [(r["tokens"], r["supervised_tokens"], r["images"]) for r in rows] == [
        (35, 22, 0),
        (341, 48, 1),
        (573, 29, 2),
    ]


def test_cuts_and_failures_exit_1(tmp_path: Path) -> None:
    records = [
        *json.loads(VECTORS.read_text("utf-8")),
        {"id": "h", "conversations": [{"from": "human", "value": "hi"}]},
    ]
    data = _write(tmp_path / "train.json", records)
    result = _run("--max-len", "300", "--format", "jsonl", str(data), cwd=tmp_path)
    assert result.returncode == 1
    rows = _rows(result.stdout)
    assert [
        (r["truncated"], r["cut_at"], r["cut_in_image"], r["answer_cut"], r["error"]) for r in rows
    ] == [
        (False, None, False, False, None),
        (True, 300, False, True, None),
        (True, 300, True, True, None),
        (False, None, False, False, "KeyError: 'human'"),
    ]
    assert rows[3]["problems"][0]["kind"] == "unknown-role"


def test_text_summary(tmp_path: Path) -> None:
    data = _write(tmp_path / "t.json", json.loads(VECTORS.read_text("utf-8")))
    result = _run("--format", "text", "--max-len", "400", data.name, cwd=tmp_path)
    assert result.returncode == 1  # identity_2 is cut inside its second image
    assert result.stdout.splitlines() == [
        "3 samples, max_len 400 (3 that the trainer accepts)",
        "tokens      p50   p90   p99   max",
        "count       341   573   573   573",
        "of max_len  85%  143%  143%  143%",
        "training fails: 1   over max_len: 1   cut inside an image: 1   answer cut: 1",
        "  t.json:1 id=identity_2: cut inside an image, answer cut, 573 tokens > 400",
    ]


def test_output_file_and_config(tmp_path: Path) -> None:
    _write(tmp_path / "train.json", json.loads(VECTORS.read_text("utf-8"))[:1])
    config = tmp_path / "pyproject.toml"
    config.write_text("[tool.datakit]\nmax-len = 30\n", encoding="utf-8")
    result = _run("-o", "out.jsonl", "train.json", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    (row,) = _rows((tmp_path / "out.jsonl").read_text("utf-8"))
    assert (row["max_len"], row["truncated"], row["supervised_after_cut"]) == (30, True, 17)


def test_invalid_json_line_is_a_failing_row(tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    good = {"conversations": [{"from": "user", "value": "hi"}]}
    data.write_text(json.dumps(good) + "\n{not json}\n", encoding="utf-8")
    result = _run("--format", "jsonl", data.name, cwd=tmp_path)
    assert result.returncode == 1
    rows = _rows(result.stdout)
    assert [(r["line"], r["tokens"]) for r in rows] == [(1, 17), (2, 0)]
    assert rows[1]["error"].startswith("invalid JSON: ")


def test_missing_vocabulary_is_a_usage_error(tmp_path: Path) -> None:
    data = _write(tmp_path / "train.json", [])
    result = _run("--tokenizer", "nowhere", data.name, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("datakit: error: tokenizer path nowhere does not exist or is not a regular file\n")
    assert "fix:" in result.stderr
    assert "Traceback" not in result.stderr


def test_jobs_do_not_change_the_output(tmp_path: Path) -> None:
    # Large enough (> 8 MiB) to be split across worker processes; "meta" only adds bytes.
    records = [
        {
            "id": i,
            "meta": "x" * 4000,
            "conversations": [
                {"from": "user", "value": f"Picture 1: <img>img/{i}.jpg</img>\n描述 {i}"},
                {"from": "human" if i == 1500 else "assistant", "value": f"第{i}张"},
            ],
        }
        for i in range(2200)
    ]
    data = tmp_path / "big.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert data.stat().st_size > 8 << 20
    one = _run("-j", "1", "--format", "jsonl", data.name, cwd=tmp_path)
    two = _run("-j", "2", "--format", "jsonl", data.name, cwd=tmp_path)
    assert one.returncode == two.returncode == 1  # record 1500 has an unknown role
    assert one.stdout == two.stdout
    assert len(one.stdout.splitlines()) == 2200
