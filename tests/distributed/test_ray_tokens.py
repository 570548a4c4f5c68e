"""``tokens`` on a Ray cluster writes what a local run writes: the same JSON lines in the same
order, the same file problems and exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FILES = ["shard-0.jsonl", "shard-1.jsonl", "shard-3.json"]


def _datakit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "datakit", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=180)


def test_tokens_lines_and_exit_code_match(ray_cluster: str, shards: Path) -> None:
    local = _datakit(shards, "tokens", *FILES)
    remote = _datakit(shards, "tokens", "--engine", "ray", "--ray-address", ray_cluster, *FILES)
    assert remote.returncode == local.returncode == 1, remote.stderr
    assert remote.stdout == local.stdout
    assert len(local.stdout.splitlines()) == 3 * 700
    assert remote.stderr == local.stderr  # the file problems, in file order


def test_ray_address_needs_engine_ray(shards: Path) -> None:
    done = _datakit(shards, "tokens", "--ray-address", "auto", "shard-0.jsonl")
    assert done.returncode == 2
    assert "--ray-address needs --engine ray" in done.stderr
