"""A staged file's name must never switch a hook off (file names that read as options)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from precommit_repo import Repo, as_local_hook, local_config, published_hooks

BROKEN = [{"id": "a", "conversations": [
    {"from": "user", "value": "Where is the dog?"},
    {"from": "assistant", "value": "<ref>dog</ref><box>(500,20),(10,600)</box>"},
]}]


@pytest.mark.slow
@pytest.mark.parametrize("name", [
    "--config=cfg.json",        # would point datakit at a config that checks nothing
    "--ignore=ALL.json",        # would switch every rule off
    "--help.json",              # would end the run before anything is checked
    "-Vx.json",
])
def test_an_option_like_file_name_fails_every_hook(
    make_repo: Callable[[], Repo], name: str
) -> None:
    repo = make_repo()
    repo.write(".pre-commit-config.yaml",
               local_config([as_local_hook(h) for h in published_hooks()]))
    repo.write("cfg.json", "")
    repo.write("cfg.toml", '[tool.datakit]\ninclude = ["nothing-matches"]\n')
    repo.write(name, json.dumps(BROKEN))
    repo.write("train.json", json.dumps(BROKEN))
    assert repo.pre_commit("install").returncode == 0
    repo.git("add", ".")
    done = repo.run("git", "commit", "-m", "data")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert output.count(f"datakit: error: {name!r} is a file, and on the command line it "
                        "reads as an option") == len(published_hooks()), output
    assert "Passed" not in output


def _datakit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "datakit", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_after_a_double_dash_every_argument_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "--ignore=ALL.json").write_text(json.dumps(BROKEN), encoding="utf-8")
    refused = _datakit(tmp_path, "validate", "--images", "none", "--ignore=ALL.json")
    assert refused.returncode == 2
    assert refused.stderr == (
        "datakit: error: '--ignore=ALL.json' is a file, and on the command line it reads as an "
        "option; datakit will not guess which was meant\n"
        "  fix: rename the file, or name files after '--' (datakit validate -- "
        "'--ignore=ALL.json')\n"
    )
    checked = _datakit(tmp_path, "validate", "--images", "none", "--", "--ignore=ALL.json")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "B003 error box-corners-swapped" in checked.stdout


def test_an_option_that_names_no_file_is_an_option(tmp_path: Path) -> None:
    (tmp_path / "train.json").write_text(json.dumps(BROKEN), encoding="utf-8")
    done = _datakit(tmp_path, "validate", "--images", "none", "--ignore=B003", "train.json")
    assert (done.returncode, done.stderr) == (0, "")
