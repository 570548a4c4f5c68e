"""The published datakit-fix hook, run by the real pre-commit: it rewrites a broken staged
file and fails the commit; staged again, the file passes."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from PIL import Image
from precommit_repo import Repo, as_local_hook, local_config, published_hooks

BROKEN = [{"id": "a", "conversations": [
    {"from": "human", "value": "<img>images/cat.png</img>\nWhere is the cat?"},
    {"from": "gpt", "value": "<ref>the cat</ref><box>(600,120),(100,1000)</box>"},
]}]
FIXED = [{"id": "a", "conversations": [
    {"from": "user", "value": "Picture 1: <img>images/cat.png</img>\nWhere is the cat?"},
    {"from": "assistant", "value": "<ref>the cat</ref><box>(100,120),(600,999)</box>"},
]}]


@pytest.mark.slow
def test_the_fix_hook_rewrites_a_staged_file_and_fails_then_passes(
    make_repo: Callable[[], Repo],
) -> None:
    repo = make_repo()
    hook = next(h for h in published_hooks() if h["id"] == "datakit-fix")
    repo.write(".pre-commit-config.yaml", local_config([as_local_hook(hook)]))
    (repo.root / "images").mkdir()
    Image.new("RGB", (320, 240), (200, 100, 50)).save(repo.root / "images" / "cat.png")
    repo.write("train.json", json.dumps(BROKEN))
    assert repo.pre_commit("install").returncode == 0
    repo.git("add", ".")
    first = repo.run("git", "commit", "-q", "-m", "data")
    output = first.stdout + first.stderr
    assert first.returncode == 1, output
    assert "datakit fix" in output and "Failed" in output
    assert "files were modified by this hook" in output
    assert json.loads((repo.root / "train.json").read_text(encoding="utf-8")) == FIXED
    repo.git("add", "train.json")
    second = repo.run("git", "commit", "-q", "-m", "data")
    assert second.returncode == 0, second.stdout + second.stderr
