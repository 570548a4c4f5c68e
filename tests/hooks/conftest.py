"""Fixtures for the pre-commit tests (helpers in precommit_repo.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from precommit_repo import Repo, hermetic_env


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[[], Repo]:
    def make() -> Repo:
        root = tmp_path / "repo"
        root.mkdir()
        repo = Repo(root, hermetic_env(tmp_path))
        repo.git("init", "-q", "-b", "main")
        return repo

    return make
