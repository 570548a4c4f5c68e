"""Values nested as deep as json.load accepts, and values megabytes long, give findings of a
bounded size, never an internal error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "datakit", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("depth", [256, 300, 900, 5000])
@pytest.mark.parametrize("where", ["extra-key", "role", "id", "value"])
def test_deep_nesting_anywhere_is_a_finding(tmp_path: Path, depth: int, where: str) -> None:
    deep = "[" * depth + "]" * depth
    record = {"id": "a", "conversations": [{"from": "user", "value": "hi"},
                                           {"from": "assistant", "value": "ok"}]}
    text = json.dumps(record)
    text = {
        "extra-key": text.replace('"value": "hi"', f'"value": "hi", "x": {deep}'),
        "role": text.replace('"from": "assistant"', f'"from": {deep}'),
        "id": text.replace('"id": "a"', f'"id": {deep}'),
        "value": text.replace('"value": "ok"', f'"value": {deep}'),
    }[where]
    path = tmp_path / "deep.jsonl"
    path.write_text(text + "\n" + text + "\n", encoding="utf-8")
    for command in (["validate", "--images", "none"], ["stats"], ["tokens"]):
        done = _run(*command, str(path))
        assert done.returncode in (0, 1), (command, done.stderr)
        assert "internal error" not in done.stderr
        if command[0] == "validate" and depth == 5000:  # beyond what json.load reads
            assert done.returncode == 1 and " F001 " in done.stdout, done.stdout
        assert max(map(len, done.stdout.splitlines() or [""])) < 2000


def test_a_finding_quotes_at_most_a_few_hundred_characters_of_the_input(tmp_path: Path) -> None:
    huge = "9" * 200_000
    record = {"id": "x" * 100_000, "conversations": [
        {"from": "user", "value": "Where?"},
        {"from": "assistant", "value": f"<ref>a</ref><box>(1,2),({huge},5)</box>"}]}
    path = tmp_path / "long.json"
    path.write_text(json.dumps([record, record]), encoding="utf-8")
    done = _run("validate", "--images", "none", "--ignore", "K", "--format", "github",
                str(path))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert any("B001 malformed-box" in line and "more characters)" in line for line in lines)
    assert max(map(len, lines)) < 1000
