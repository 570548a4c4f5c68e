"""``datakit validate --fix`` through the real CLI: the fixes, then the usual report; refused
(exit 2, file untouched) when the target is not Qwen-VL v1, since the fixes write v1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

BROKEN = [{"id": "a", "conversations": [
    {"from": "human", "value": "<img>img/cat.png</img>\nWhere is the cat?"},
    {"from": "gpt", "value": "<ref>the cat</ref><box>(600,120),(100,1000)</box>"},
]}]
FIXED = [{"id": "a", "conversations": [
    {"from": "user", "value": "Picture 1: <img>img/cat.png</img>\nWhere is the cat?"},
    {"from": "assistant", "value": "<ref>the cat</ref><box>(100,120),(600,999)</box>"},
]}]
SHAREGPT = [{"messages": [
    {"role": "user", "content": "<image>Where is the cat?"},
    {"role": "assistant", "content": "On the mat."}], "images": ["img/cat.png"]}]


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "img").mkdir()
    Image.new("RGB", (320, 240), (200, 100, 50)).save(tmp_path / "img" / "cat.png")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _validate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "datakit", "validate", "--no-cache", *args],
                          capture_output=True, text=True, check=False)


def _write(path: Path, records: list[dict[str, object]]) -> bytes:
    path.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    return path.read_bytes()


def test_fix_then_validate(root: Path) -> None:
    _write(root / "train.json", BROKEN)
    run = _validate("--fix", "train.json")
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads((root / "train.json").read_text(encoding="utf-8")) == FIXED
    assert "train.json: fixed corners-swapped (B003) x1; grid-edge (B002) x1; " \
        "picture-labels (P001) x1; role-aliases (S005) x1\n" in run.stderr
    assert "0 error(s), 0 warning(s)" in run.stdout
    again = _validate("--fix", "train.json")
    assert again.returncode == 0 and "fixed" not in again.stderr


def test_unsafe_fixes_only_with_fix(root: Path) -> None:
    before = _write(root / "train.json", [*BROKEN, *BROKEN])  # D002: an unsafe fix
    run = _validate("--unsafe-fixes", "train.json")
    assert run.returncode == 2, run.stdout + run.stderr
    assert "--unsafe-fixes only widens --fix" in run.stderr and "add --fix" in run.stderr
    assert (root / "train.json").read_bytes() == before
    safe = _validate("--fix", "train.json")
    assert safe.returncode == 1 and "D002" in safe.stdout  # the copy is still there
    unsafe = _validate("--fix", "--unsafe-fixes", "train.json")
    assert unsafe.returncode == 0, unsafe.stdout + unsafe.stderr
    assert json.loads((root / "train.json").read_text(encoding="utf-8")) == FIXED


def test_a_family_target_is_refused(root: Path) -> None:
    before = _write(root / "train.json", BROKEN)
    run = _validate("--fix", "--target", "qwen2-vl", "train.json")
    assert run.returncode == 2, run.stdout + run.stderr
    assert "--fix writes Qwen-VL v1 records, and the target is qwen2-vl" in run.stderr
    assert "fix:" in run.stderr and "Traceback" not in run.stderr
    assert (root / "train.json").read_bytes() == before


def test_a_family_file_under_auto_is_refused_unless_v1_is_asked_for(root: Path) -> None:
    before = _write(root / "chat.json", SHAREGPT)
    run = _validate("--fix", "chat.json")
    assert run.returncode == 2, run.stdout + run.stderr
    assert "chat.json: --fix writes Qwen-VL v1 records, and this file is" in run.stderr
    assert "--target qwen-vl" in run.stderr
    assert (root / "chat.json").read_bytes() == before
    converted = _validate("--fix", "--target", "qwen-vl", "chat.json")
    assert converted.returncode == 0, converted.stdout + converted.stderr
    assert json.loads((root / "chat.json").read_text(encoding="utf-8")) == [{"conversations": [
        {"from": "user", "value": "Picture 1: <img>img/cat.png</img>\nWhere is the cat?"},
        {"from": "assistant", "value": "On the mat."}]}]


def test_standard_input_is_refused(root: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "datakit", "validate", "--fix", "-"],
                         input=json.dumps(BROKEN), capture_output=True, text=True, check=False)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "standard input ('-') cannot be rewritten" in run.stderr
