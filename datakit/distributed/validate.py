"""``validate_files`` on a Ray cluster: the same ``Report`` as a local run over the same files.

One task per shard runs the record pass (``shard.check_shard``); the driver merges what the
local engine merges, in file order; then one task per key partition finds the duplicates
(``keys.reduce_part``), and the driver folds and sorts as ``engine.validate_files`` does.
"""

from __future__ import annotations

import contextlib
import os
import time
from array import array
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from datakit.distributed.cluster import TaskLost, cluster_cpus, connect, ordered_map
from datakit.distributed.keys import partitions_for, reduce_part
from datakit.distributed.shard import ShardResult, check_shard
from datakit.findings import Finding
from datakit.io.records import FileProblem
from datakit.validation import registry
from datakit.validation.dataset_pass import DatasetPass
from datakit.validation.file_pass import Progress, file_finding
from datakit.validation.finding_cap import DEFAULT_LIMIT, FindingCap
from datakit.validation.finish import finish_report
from datakit.validation.holdout import load_holdout
from datakit.validation.report import FileSummary, Report
from datakit.validation.settings import Settings
from datakit.validation.worker import Job


def validate_on_ray(
    paths: Sequence[str | Path],
    settings: Settings,
    progress: Progress | None = None,
    display_names: Mapping[str, str] | None = None,
    address: str | None = None,
    before_shard: Callable[[str], None] | None = None,
) -> Report:
    """``engine.validate_files`` with the record and dataset passes as Ray tasks.
    ``before_shard`` runs in each shard's task first (a hook for fault tests)."""
    started = time.perf_counter()
    severities = registry.severities(settings.select, settings.ignore, settings.severity)
    holdout = load_holdout(settings.holdout, Path(settings.base_dir))
    limit = DEFAULT_LIMIT if settings.max_findings_per_rule is None else (
        settings.max_findings_per_rule)
    ray = connect(address)
    # Each task is one process; the cluster's CPUs are the parallelism.
    job = Job(settings.with_overrides(jobs=1), tuple(sorted(severities.items())), holdout, limit)
    job_ref = ray.put(job)  # the holdout list travels once, not once per shard
    names = [(display_names or {}).get(str(path), str(path)) for path in paths]
    once = {name for name, n in Counter(names).items() if n == 1}
    parts = partitions_for(len(paths), _input_bytes(paths), cluster_cpus(ray))
    folder = os.getcwd()
    tasks = [(job_ref, folder, str(path), name, name in once, parts, before_shard)
             for path, name in zip(paths, names, strict=True)]
    dataset = DatasetPass(severities, settings)
    cap = FindingCap(limit)
    summaries: list[FileSummary] = []
    token_lengths: array[int] = array("I")
    key_refs: list[Any] = []
    for position, outcome in enumerate(ordered_map(check_shard, tasks, num_returns=parts + 1)):
        summary = FileSummary(names[position], position)
        summaries.append(summary)
        if isinstance(outcome, TaskLost):
            cap.add(_lost(names[position], outcome.message, severities))
            key_refs.append(None)
            continue
        result, refs = outcome
        assert isinstance(result, ShardResult)
        _merge(result, summary, cap, dataset, token_lengths)
        key_refs.append(refs)
        if progress is not None:
            progress(summary.path, summary.records)
    if dataset.want_ids or dataset.want_samples:
        _dataset_findings(ray, job_ref, names, key_refs, parts, cap)
    return finish_report(cap, dataset, summaries, token_lengths, severities, settings, limit,
                         started, dict(zip(names, map(str, paths), strict=True)))


def _merge(result: ShardResult, summary: FileSummary, cap: FindingCap, dataset: DatasetPass,
           token_lengths: array[int]) -> None:
    """What ``file_pass.check_file`` adds up for a file, from the shard's figures."""
    summary.records = result.records
    summary.image_refs = result.image_refs
    cap.absorb(result.findings, result.omitted)
    for i in range(4):
        dataset.box_stats[i] += result.box_stats[i]
    for tally in result.box_scales:
        from datakit.validation.box_scale import ScaleTally

        dataset.box_scale.setdefault(result.display, ScaleTally()).merge(tally)
    token_lengths.extend(result.token_lengths)


def _dataset_findings(ray: Any, job_ref: Any, names: list[str], key_refs: list[Any],
                      parts: int, cap: FindingCap) -> None:
    """One reduce task per partition over the parts of every shard that finished."""
    shards = [(name, refs) for name, refs in zip(names, key_refs, strict=True)
              if refs is not None]
    displays = [name for name, _ in shards]
    args = [(job_ref, displays, *(refs[p] for _, refs in shards)) for p in range(parts)]
    for outcome in ordered_map(reduce_part, args):
        if isinstance(outcome, TaskLost):
            raise RuntimeError(f"the duplicate check lost its worker: {outcome.message}")
        findings, omitted = outcome
        cap.absorb(findings, omitted)


def _input_bytes(paths: Sequence[str | Path]) -> int:
    total = 0
    for path in paths:
        with contextlib.suppress(OSError):  # the reader reports it
            total += os.path.getsize(path)
    return total


def _lost(display: str, message: str, severities: dict[str, Any]) -> Finding:
    problem = FileProblem(
        display, "unreadable",
        f"could not be checked: its task lost its worker every time it ran ({message})",
        "run again; if it recurs, give the workers more memory or check the node")
    return file_finding(problem, severities)
