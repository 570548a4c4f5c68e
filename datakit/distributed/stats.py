"""``collect_stats`` on a Ray cluster: each file analysed by one task, added up in file order.

A task runs the local ``collect_stats`` over its file with one process and returns each
sample's facts; the driver adds them to one accumulator in the order of the files, so that
figures that span files (duplicates, percentiles) are those of a local run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from datakit.distributed.cluster import TaskLost, connect, ordered_map
from datakit.statistics.collect import (
    OnSample,
    Progress,
    SampleKey,
    add_sample,
    collect_stats,
)
from datakit.statistics.sample import SampleFacts
from datakit.statistics.summary import FileStats, StatsAccumulator


def collect_on_ray(
    paths: Sequence[str | Path],
    *,
    max_len: int,
    tokenizer: str | None = None,
    codes_by_sample: Mapping[SampleKey, Sequence[str]] | None = None,
    on_sample: OnSample | None = None,
    progress: Progress | None = None,
    address: str | None = None,
    **options: Any,
) -> StatsAccumulator:
    """``collect_stats`` with the same arguments (``jobs`` is the cluster's), on the cluster
    at ``address``."""
    from datakit.qwenvl.tokens import QwenTokenCounter

    QwenTokenCounter.load(tokenizer)  # a missing vocabulary fails here, once, with its fix
    ray = connect(address)
    options = {**options, "max_len": max_len, "tokenizer": tokenizer, "jobs": 1}
    options_ref = ray.put(options)
    stats = StatsAccumulator(max_len)
    stats.findings_checked = codes_by_sample is not None
    tasks = [(options_ref, os.getcwd(), str(path)) for path in paths]
    for path, outcome in zip(paths, ordered_map(file_facts, tasks), strict=True):
        display = str(path)
        if isinstance(outcome, TaskLost):
            raise RuntimeError(f"{display}: the task analysing it lost its worker every time "
                               f"it ran ({outcome.message})")
        facts, file_stats, file_max_len = outcome
        if stats.samples == 0 and file_max_len != max_len:  # a family file's cut length
            stats.max_len = file_max_len
        mine = stats.start_file(display)
        mine.target = file_stats.target
        for sample in facts:
            add_sample(stats, sample, display, codes_by_sample, on_sample)
        mine.problems.extend(file_stats.problems)
        if progress is not None:
            progress(display, mine.records)
    return stats


def file_facts(options: dict[str, Any], folder: str,
               path: str) -> tuple[list[SampleFacts], FileStats, int]:
    """Every sample's facts of one file, its file figures and the cut length it was counted
    with."""
    from datakit.distributed.cluster import in_folder

    facts: list[SampleFacts] = []
    with in_folder(folder):
        stats = collect_stats([path], on_sample=lambda sample, _: facts.append(sample),
                              **options)
    return facts, stats.files[0], stats.max_len
