"""Hermetic git repositories driven by the real pre-commit (``python -m pre_commit``).

Installing this project from a git URL would make pre-commit build a virtualenv and download
every dependency, so the published hooks are turned into ``repo: local`` hooks that run this
checkout's datakit with the test's Python; their files patterns, arguments and
``require_serial`` are the published ones.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

PROJECT = Path(__file__).resolve().parent.parent.parent
PUBLISHED = PROJECT / ".pre-commit-hooks.yaml"


def published_hooks() -> list[dict[str, Any]]:
    hooks = yaml.safe_load(PUBLISHED.read_text(encoding="utf-8"))
    assert isinstance(hooks, list)
    return hooks


def as_local_hook(hook: dict[str, Any]) -> dict[str, Any]:
    """A published hook as a ``language: system`` hook running ``sys.executable -m datakit``."""
    command, _, arguments = hook["entry"].partition(" ")
    assert command == "datakit", hook["entry"]
    local = {k: v for k, v in hook.items() if k not in ("language", "entry", "description")}
    local["entry"] = f"{shlex.quote(sys.executable)} -m datakit {arguments}"
    local["language"] = "system"
    return local


def local_config(hooks: list[dict[str, Any]]) -> str:
    text: str = yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}, sort_keys=False)
    return text


class Repo:
    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, cwd=self.root, env=self.env, capture_output=True,
                              text=True, timeout=300)

    def git(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = self.run("git", *args)
        assert done.returncode == 0, done.stderr
        return done

    def pre_commit(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(sys.executable, "-m", "pre_commit", *args)

    def write(self, name: str, text: str | bytes) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path


def hermetic_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIT_", "PRE_COMMIT", "XDG_", "DATAKIT"))}
    for name in ("home", "cache", "pre-commit"):
        (tmp / name).mkdir()
    env.update(
        HOME=str(tmp / "home"),
        XDG_CACHE_HOME=str(tmp / "cache"),
        PRE_COMMIT_HOME=str(tmp / "pre-commit"),
        PRE_COMMIT_COLOR="never",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME="Dataset Maintainer",
        GIT_AUTHOR_EMAIL="maintainer@example.com",
        GIT_COMMITTER_NAME="Dataset Maintainer",
        GIT_COMMITTER_EMAIL="maintainer@example.com",
        # This checkout's datakit, whatever is installed, also as `datakit` on PATH.
        PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT), os.environ.get("PYTHONPATH")])),
        PATH=os.pathsep.join([str(_datakit_shim(tmp / "bin")), os.environ.get("PATH", "")]),
    )
    return env


def _datakit_shim(folder: Path) -> Path:
    folder.mkdir()
    script = folder / "datakit"
    script.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m datakit "$@"\n',
                      encoding="utf-8")
    script.chmod(0o755)
    return folder
