"""This repository's own .pre-commit-config.yaml passes on samples/, run by the real pre-commit
on a copy (the shared working tree and the user's pre-commit cache stay untouched)."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest
from precommit_repo import PROJECT, Repo

STATUS = [
    "datakit validate samples (JSON arrays)...................................{}",
    "datakit validate samples (JSON Lines)....................................{}",
]


def _copy(make_repo: Callable[[], Repo]) -> Repo:
    repo = make_repo()
    shutil.copy(PROJECT / ".pre-commit-config.yaml", repo.root)
    shutil.copytree(PROJECT / "samples", repo.root / "samples")
    return repo


def _status_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("datakit validate samples")]


@pytest.mark.slow
def test_the_samples_pass_the_repository_hooks(make_repo: Callable[[], Repo]) -> None:
    repo = _copy(make_repo)
    repo.git("add", ".")
    done = repo.pre_commit("run", "--all-files")
    output = done.stdout + done.stderr
    assert (done.returncode, _status_lines(output)) == (0, [s.format("Passed") for s in STATUS])


@pytest.mark.slow
def test_a_broken_sample_outside_broken_fails_them(make_repo: Callable[[], Repo]) -> None:
    # The hooks do check the samples: the same broken file, moved out of samples/broken/.
    repo = _copy(make_repo)
    shutil.copy(repo.root / "samples" / "broken" / "B003-box-corners-swapped.json",
                repo.root / "samples" / "extra.json")
    repo.git("add", ".")
    done = repo.pre_commit("run", "datakit-samples-json", "--all-files")
    output = done.stdout + done.stderr
    assert (done.returncode, _status_lines(output)) == (1, [STATUS[0].format("Failed")])
    assert "samples/extra.json:" in output and " B003 error box-corners-swapped: " in output
    assert "samples/broken/" not in output
