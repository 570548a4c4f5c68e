"""Every fixable rule's failing example, fixed, passes validation; a second run changes
nothing; the --diff output applied with the real ``patch`` gives the same file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from datakit.fix import FixOptions, fix_file, write_fixed
from datakit.fix.diff import unified_diff
from datakit.fix.registry import FIXABLE_CODES
from datakit.validation.engine import validate_files
from datakit.validation.registry import RULES
from datakit.validation.settings import Settings

# Failing examples no fix can repair without inventing data, with the reason.
NOT_REPAIRABLE = {
    "B001": "its example is a box with three numbers; only 0..1 fraction boxes are repaired",
    "B005": "its example is 0..1 fractions truncated to integers: the boxes are lost",
    "X001": "its example has <image> but no image list: the path is unknown",
}
UNSAFE = {"B005", "B006", "C001", "D002", "T004", "B001"}
FIXABLE = [c for c in FIXABLE_CODES if c not in NOT_REPAIRABLE]


def _settings(root: Path) -> Settings:
    return Settings(jobs=1, cache=False, base_dir=str(root))


def _codes(path: Path, root: Path) -> list[str]:
    return [f.code for f in validate_files([str(path)], _settings(root)).findings]


@pytest.mark.parametrize("code", FIXABLE)
def test_bad_example_fixed_passes_and_rerun_changes_nothing(code: str, example_root: Path) -> None:
    path = example_root / "example.json"
    path.write_text(RULES[code].bad, encoding="utf-8")
    assert code in _codes(path, example_root)
    result = fix_file(path, _settings(example_root), FixOptions(unsafe=code in UNSAFE))
    assert result.changed and result.error is None
    write_fixed(result)
    assert code not in _codes(path, example_root)
    again = fix_file(path, _settings(example_root), FixOptions(unsafe=True))
    assert not again.changed


@pytest.mark.parametrize("code", sorted(UNSAFE - set(NOT_REPAIRABLE)))
def test_unsafe_fixes_wait_for_the_flag(code: str, example_root: Path) -> None:
    path = example_root / "example.json"
    path.write_text(RULES[code].bad, encoding="utf-8")
    assert not fix_file(path, _settings(example_root), FixOptions()).changed


@pytest.mark.parametrize("code", sorted(NOT_REPAIRABLE))
def test_a_record_that_cannot_be_repaired_is_left_as_it_was(code: str,
                                                            example_root: Path) -> None:
    path = example_root / "example.json"
    path.write_text(RULES[code].bad, encoding="utf-8")
    result = fix_file(path, _settings(example_root), FixOptions(unsafe=True))
    assert not result.changed
    assert code in [f.code for f in result.left]


@pytest.mark.skipif(shutil.which("patch") is None, reason="needs the patch program")
def test_diff_applies_with_patch(example_root: Path) -> None:
    text = (
        '[\n  {\n    "id": "a",\n    "conversations": [\n'
        '      {"from": "human", "value": "<img>img/ok.jpg</img>\\nWhere?"},\n'
        '      {"from": "gpt", "value": "<ref>dog</ref><box>(500,20),(10,1000)</box>"}\n'
        '    ]\n  },\n  {"id": "b", "conversations": [{"from": "user", "value": "hi"}, '
        '{"from": "assistant", "value": "x"}]}\n]'  # no newline at the end
    )
    path = example_root / "data.json"
    path.write_text(text, encoding="utf-8")
    diff = subprocess.run([sys.executable, "-m", "datakit", "fix", "--diff", "data.json"],
                          capture_output=True, text=True, check=False)
    assert diff.returncode == 1, diff.stderr
    assert path.read_text(encoding="utf-8") == text  # --diff writes nothing
    shutil.copy(path, example_root / "patched.json")
    subprocess.run(["patch", "-s", "patched.json"], input=diff.stdout, text=True, check=True)
    done = subprocess.run([sys.executable, "-m", "datakit", "fix", "data.json"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "role-aliases (S005) x1" in done.stdout
    assert (example_root / "patched.json").read_bytes() == path.read_bytes()
    # the untouched record keeps its bytes, and the tail keeps its missing newline
    assert path.read_text(encoding="utf-8").endswith(
        '{"id": "b", "conversations": [{"from": "user", "value": "hi"}, '
        '{"from": "assistant", "value": "x"}]}\n]')
    assert unified_diff("data.json", path.read_bytes(), path.read_bytes()) == ""
