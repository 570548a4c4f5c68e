"""Stream dataset files into per-sample facts and the dataset summary.

Each file is read once. Large files are analysed by worker processes in batches; results come
back in file order, so the summary and the rows never depend on ``jobs``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from datakit.io.jobs import jobs_for_file
from datakit.io.records import FileProblem, RawRecord
from datakit.statistics.sample import SampleFacts, analyse_raw
from datakit.statistics.summary import FileStats, StatsAccumulator

if TYPE_CHECKING:
    from datakit.io.parallel import WorkerPool
    from datakit.validation.settings import Settings

BATCH_RECORDS = 512

SampleKey = tuple[str, int]  # (file as displayed, 0-based record index)
OnSample = Callable[[SampleFacts, "Sequence[str] | None"], None]
Progress = Callable[[str, int], None]


def collect_stats(
    paths: Sequence[str | Path],
    *,
    max_len: int,
    tokenizer: str | None = None,
    jobs: int = 1,
    codes_by_sample: Mapping[SampleKey, Sequence[str]] | None = None,
    on_sample: OnSample | None = None,
    progress: Progress | None = None,
    settings: Settings | None = None,
    display_names: Mapping[str, str] | None = None,
) -> StatsAccumulator:
    """Analyse every record of ``paths`` (shown as ``display_names`` says, e.g. ``<stdin>``).

    With ``settings`` whose target is not Qwen-VL (``auto`` included), each file's target is
    resolved from its first records as ``datakit validate`` resolves it, and a file in a
    Qwen-family layout is counted with its framework's template and cut length.
    ``codes_by_sample`` holds the finding codes of each sample from a validation run (samples
    without findings may be absent); ``None`` means findings were not checked. ``on_sample``
    is called for every record in file order, e.g. to write a row.
    """
    from datakit.io.parallel import WorkerPool, default_jobs
    from datakit.qwenvl.tokens import QwenTokenCounter

    QwenTokenCounter.load(tokenizer)  # a missing vocabulary fails here, once, with its fix
    stats = StatsAccumulator(max_len)
    stats.findings_checked = codes_by_sample is not None
    with WorkerPool(jobs or default_jobs()) as pool:  # one for every large file
        for path in paths:
            display = (display_names or {}).get(str(path), str(path))
            if settings is not None and _collect_family(str(path), display, settings, stats,
                                                        codes_by_sample, on_sample, progress):
                continue
            big = jobs_for_file(str(path), jobs) > 1
            _collect_file(str(path), display, pool if big else None, max_len, tokenizer,
                          stats, codes_by_sample, on_sample, progress)
    return stats


def _collect_file(
    path: str,
    display: str,
    pool: WorkerPool | None,
    max_len: int,
    tokenizer: str | None,
    stats: StatsAccumulator,
    codes_by_sample: Mapping[SampleKey, Sequence[str]] | None,
    on_sample: OnSample | None,
    progress: Progress | None,
) -> None:
    """One file's records into ``stats`` (in the pool's workers when there is one)."""
    from datakit.io.reader import records_only

    file_stats = stats.start_file(display)
    problems: list[FileProblem] = []
    tasks = _tasks(max_len, tokenizer, records_only(path, problems, display_name=display))
    batches = pool.map(analyse_batch, tasks) if pool is not None else map(analyse_batch, tasks)
    for batch in batches:
        for facts in batch:
            add_sample(stats, facts, display, codes_by_sample, on_sample)
        if progress is not None:
            progress(display, file_stats.records)
    _add_problems(file_stats, problems)


def add_sample(stats: StatsAccumulator, facts: SampleFacts, display: str,
               codes_by_sample: Mapping[SampleKey, Sequence[str]] | None,
               on_sample: OnSample | None) -> None:
    """One sample into ``stats`` with its finding codes (when validation ran), and to
    ``on_sample``."""
    codes: Sequence[str] | None = None
    if codes_by_sample is not None:
        codes = codes_by_sample.get((display, facts.index), ())
    stats.add(facts, codes)
    if on_sample is not None:
        on_sample(facts, codes)


def _collect_family(
    path: str,
    display: str,
    settings: Settings,
    stats: StatsAccumulator,
    codes_by_sample: Mapping[SampleKey, Sequence[str]] | None,
    on_sample: OnSample | None,
    progress: Progress | None,
) -> bool:
    """One file in a Qwen-family layout into ``stats``, in this process; False (nothing
    read) when the file gets the Qwen-VL v1 counts."""
    from datakit.io.reader import records_only
    from datakit.statistics.family import family_facts, require_model
    from datakit.validation.family_target import peek_target, wants_resolution

    if not wants_resolution(settings):
        return False
    problems: list[FileProblem] = []
    records, target = peek_target(records_only(path, problems, display_name=display), settings)
    if target is None:
        return False
    require_model(target, display)
    if stats.samples == 0 and not settings.max_len_configured:
        stats.max_len = target.max_len  # the framework's cut length, as validate uses it
    file_stats = stats.start_file(display)
    file_stats.target = {"model": target.model, "framework": target.framework,
                         "layout": target.layout, "max_len": target.max_len}
    for facts in family_facts(records, target, settings):
        add_sample(stats, facts, display, codes_by_sample, on_sample)
        if progress is not None and file_stats.records % BATCH_RECORDS == 0:
            progress(display, file_stats.records)
    if progress is not None:
        progress(display, file_stats.records)
    _add_problems(file_stats, problems)
    return True


def analyse_batch(task: tuple[int, str | None, list[RawRecord]]) -> list[SampleFacts]:
    """The unit of work for worker processes: one batch of raw records."""
    from datakit.qwenvl.tokens import QwenTokenCounter

    max_len, tokenizer, batch = task
    counter = QwenTokenCounter.load(tokenizer)
    return [analyse_raw(raw, counter, max_len) for raw in batch]


def _tasks(
    max_len: int, tokenizer: str | None, records: Iterator[RawRecord]
) -> Iterator[tuple[int, str | None, list[RawRecord]]]:
    from datakit.io.parallel import batched

    for batch in batched(records, BATCH_RECORDS):
        yield max_len, tokenizer, batch


def _add_problems(file_stats: FileStats, problems: list[FileProblem]) -> None:
    for problem in problems:
        file_stats.problems.append(
            {
                "kind": problem.kind,
                "message": problem.message,
                "line": problem.line,
                "record_index": problem.record_index,
                "fatal": problem.fatal,
            }
        )
