"""``stats`` on a Ray cluster writes the statistics a local run writes (duplicates across
shards included)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FILES = ["shard-0.jsonl", "shard-1.jsonl", "shard-3.json"]


def _datakit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "datakit", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=180)


def test_stats_and_its_findings_match(ray_cluster: str, shards: Path) -> None:
    def run(*extra: str) -> dict[str, object]:
        done = _datakit(shards, "stats", "--no-progress", "--images", "none", *extra,
                        *FILES, "-o", str(out))
        assert done.returncode == 0, done.stderr
        return dict(json.loads(out.read_text()))

    out = shards / "stats.json"
    try:
        local = run()
        remote = run("--engine", "ray", "--ray-address", ray_cluster)
    finally:
        out.unlink(missing_ok=True)
    assert remote == local
    assert local["duplicates"] and local["findings"]


def test_ray_address_needs_engine_ray(shards: Path) -> None:
    done = _datakit(shards, "stats", "--ray-address", "auto", "shard-0.jsonl")
    assert done.returncode == 2
    assert "--ray-address needs --engine ray" in done.stderr
