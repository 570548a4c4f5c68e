"""``stats`` on a Ray cluster gives the statistics of a local run, duplicates across shards and
the findings per sample included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from datakit.validation.settings import Settings

FILES = ["shard-0.jsonl", "shard-1.jsonl", "shard-3.json"]


def test_stats_and_its_findings_match(ray_cluster: str, shards: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from datakit.distributed.stats import collect_on_ray
    from datakit.statistics.collect import collect_stats
    from datakit.statistics.findings import find_by_sample

    monkeypatch.chdir(shards)
    settings = Settings(images="none", cache=False)

    def run(engine: str, collect: Any) -> dict[str, Any]:
        codes = find_by_sample(FILES, settings, engine=engine).codes()
        stats = collect(FILES, max_len=settings.max_len, tokenizer=None, jobs=2,
                        codes_by_sample=codes, settings=settings)
        return dict(stats.result(top_refs=20))

    local = run("local", collect_stats)
    remote = run("ray", collect_on_ray)
    assert remote == local
    assert local["duplicates"] and local["findings"]
