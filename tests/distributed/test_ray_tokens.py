"""``tokens`` on a Ray cluster counts what a local run counts: the same JSON lines in the same
order, the same figures and file problems (the command prints and exits by these)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from datakit.validation.settings import Settings

FILES = ["shard-0.jsonl", "shard-1.jsonl", "missing.jsonl", "binary.jsonl", "shard-3.json"]


def _figures(run: Any) -> tuple[Any, ...]:
    return (run.samples, run.failing, run.truncated, run.cut_in_image, run.answer_cut,
            run.token_counts, run.listed, run.file_problems, run.targets)


def test_tokens_lines_and_figures_match(ray_cluster: str, shards: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from datakit.cli.tokens_ray import RayRun
    from datakit.cli.tokens_run import TokenRun

    monkeypatch.chdir(shards)
    settings = Settings()
    local, remote = TokenRun(2048, None, 2, settings), RayRun(2048, None, 2, settings)
    local_out, remote_out = io.BytesIO(), io.BytesIO()
    local.execute(FILES, local_out)
    remote.execute(FILES, remote_out)
    assert remote_out.getvalue() == local_out.getvalue()
    assert _figures(remote) == _figures(local)
    # what the comparison covers: long samples, broken records, unreadable files
    assert local.samples == 3 * 700 and len(local_out.getvalue().splitlines()) == 3 * 700
    assert local.failing > 10 and local.truncated > 10
    assert [(p.file, p.fatal) for p in local.file_problems if p.fatal] == [
        ("missing.jsonl", True), ("binary.jsonl", True)]
