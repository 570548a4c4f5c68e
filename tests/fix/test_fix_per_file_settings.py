"""``per_file_ignores`` globs match the file as the user names it, not the temporary copy
each fix round validates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from datakit.fix import FixOptions, fix_file
from datakit.validation.settings import Settings

RECORD = {"id": "a", "conversations": [
    {"from": "human", "value": "Hello"}, {"from": "gpt", "value": "Hi"}]}


@pytest.mark.parametrize(("name", "renamed"), [("legacy/train.json", False),
                                               ("current/train.json", True)])
def test_per_file_ignores_match_the_real_path(name: str, renamed: bool, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path(name).parent.mkdir()
    Path(name).write_text(json.dumps([RECORD]), encoding="utf-8")
    settings = Settings(jobs=1, cache=False, base_dir=str(tmp_path),
                        per_file_ignores=(("legacy/*.json", ("S005",)),))
    result = fix_file(name, settings, FixOptions())
    assert result.changed is renamed
    assert [n.fixer for n in result.fixed()] == (["role-aliases"] if renamed else [])
    assert all(f.location.file == name for f in result.left)
    assert "S005" not in [f.code for f in result.left]
