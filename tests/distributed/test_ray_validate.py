"""``validate`` on a Ray cluster gives the report of a local run over the same shards: the
same findings in the same order, counts, omitted counts and token summary, with duplicates
across shards, a shard that cannot be read, a file named twice, and a worker killed mid-run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import datakit

FILES = ["shard-0.jsonl", "shard-1.jsonl", "missing.jsonl", "shard-2.jsonl", "binary.jsonl",
         "shard-3.json", "shard-1.jsonl"]


def _both(shards: Path, monkeypatch: pytest.MonkeyPatch, **options: Any) -> tuple[Any, Any]:
    monkeypatch.chdir(shards)  # relative shard and image paths, as a user gives them
    local = datakit.validate(FILES, cache=False, **options).as_dict()
    remote = datakit.validate(FILES, cache=False, engine="ray", **options).as_dict()
    return local, remote


def test_same_report_as_a_local_run(ray_cluster: str, shards: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    local, remote = _both(shards, monkeypatch, holdout=(str(shards / "holdout.txt"),))
    assert remote == local
    by_rule = {row["code"]: row["count"] for row in local["summary"]["by_rule"]}
    # what the comparison covers: duplicates across shards, holdout, unreadable shards
    assert by_rule["D001"] > 20 and by_rule["D002"] > 20
    assert by_rule["F007"] == 1 and by_rule["F001"] > 1 and by_rule["D003"] > 10
    cross = [f for f in local["findings"] if f["code"] == "D002"
             and f["location"]["file"] == "shard-2.jsonl" and "shard-0.jsonl" in f["message"]]
    assert cross
    assert local["summary"]["records"] == 5 * 700


def test_same_capped_report(ray_cluster: str, shards: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    """With few findings kept per rule, the kept ones and the counts of the rest agree."""
    local, remote = _both(shards, monkeypatch, max_findings_per_rule=3, select=("D", "S", "F"))
    assert remote == local
    assert any(row["omitted"] for row in local["summary"]["by_rule"])


def test_a_killed_worker_is_retried_and_the_report_is_exact(
        ray_cluster: str, shards: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from datakit.distributed.validate import validate_on_ray
    from datakit.validation.engine import validate_files
    from datakit.validation.settings import Settings

    marker = tmp_path / "killed"

    def die_once(path: str) -> None:  # sent to the worker by value
        if path == "shard-1.jsonl" and not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(1)

    monkeypatch.chdir(shards)
    settings = Settings(cache=False)
    local = validate_files(FILES, settings).as_dict()
    remote = validate_on_ray(FILES, settings, before_shard=die_once).as_dict()
    assert marker.exists()
    assert remote == local


def test_a_task_that_always_dies_is_a_finding(ray_cluster: str, shards: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from datakit.distributed import cluster
    from datakit.distributed.validate import validate_on_ray
    from datakit.validation.settings import Settings

    # One retry instead of three: each death costs a worker start, and one retry already
    # shows that the second death is reported, not the first.
    monkeypatch.setattr(cluster, "MAX_RETRIES", 1)

    def die(path: str) -> None:
        if path == "shard-2.jsonl":
            os._exit(1)

    monkeypatch.chdir(shards)
    report = validate_on_ray(["shard-0.jsonl", "shard-2.jsonl"], Settings(cache=False),
                             before_shard=die)
    lost = [f for f in report.findings if f.location.file == "shard-2.jsonl"]
    assert [(f.code, f.location.record_index) for f in lost] == [("F007", None)]
    assert lost[0].message.startswith("could not be checked: its task lost its worker")
    assert [s.records for s in report.files] == [700, 0]


def test_cli_joins_the_cluster_by_address(ray_cluster: str, shards: Path) -> None:
    """The one test of the command line: a second process joins the running cluster."""
    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "datakit", "validate", "--output-format", "json",
             "--no-cache", "--no-progress", *extra, *FILES],
            cwd=shards, capture_output=True, text=True, timeout=90)

    local, remote = run(), run("--engine", "ray", "--ray-address", ray_cluster)
    assert (remote.returncode, local.returncode) == (1, 1), remote.stderr
    assert "Traceback" not in remote.stderr
    drop = lambda d: {k: v for k, v in d.items() if k != "elapsed_s"}  # noqa: E731
    assert drop(json.loads(remote.stdout)) == drop(json.loads(local.stdout))
    assert json.loads(local.stdout)["summary"]["records"] == 5 * 700
