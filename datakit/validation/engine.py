"""The validation run: files in, a ``Report`` out.

Phase one streams every file through the record pass (``worker.check_batch``), in parallel
when there are several jobs, with results consumed in input order so that the output never
depends on ``--jobs``. Phase two judges the dataset as a whole (duplicates, box conventions)
from what phase one collected, then findings are put in a stable order.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from datakit.errors import InputError
from datakit.findings import Finding, Location, Severity
from datakit.io.jobs import jobs_for_file
from datakit.io.records import FileProblem, RawRecord
from datakit.validation import registry
from datakit.validation.dataset_pass import DatasetPass
from datakit.validation.holdout import load_holdout
from datakit.validation.report import FileSummary, Report
from datakit.validation.rules import file as file_rules
from datakit.validation.settings import Settings
from datakit.validation.worker import (
    BatchResult,
    Job,
    PackedRecord,
    check_batch,
    check_packed,
    close_context,
    pack,
)

if TYPE_CHECKING:
    from datakit.io.parallel import WorkerPool
    from datakit.validation.image_prefill import ImagePrefill
    from datakit.validation.images import StatusFields

BATCH_RECORDS = 512

Progress = Callable[[str, int], None]  # (file, records done so far in it)


def validate_files(
    paths: Sequence[str | Path],
    settings: Settings,
    progress: Progress | None = None,
    display_names: Mapping[str, str] | None = None,
) -> Report:
    """Check ``paths``; ``display_names`` maps a path to the name its findings carry (standard
    input is read from a temporary copy but reported as ``<stdin>``)."""
    started = time.perf_counter()
    severities = registry.severities(settings.select, settings.ignore, settings.severity)
    holdout = load_holdout(settings.holdout, Path(settings.base_dir))
    job = Job(settings, tuple(sorted(severities.items())), holdout)
    dataset = DatasetPass(severities, settings)
    findings: list[Finding] = []
    summaries: list[FileSummary] = []
    token_lengths: array[int] = array("I")
    image_refs = 0
    pool = _Pool()  # one set of workers for every large file of the run
    try:
        for position, path in enumerate(paths):
            display = (display_names or {}).get(str(path), str(path))
            summary = FileSummary(display, position)
            summaries.append(summary)
            image_refs += _check_file(str(path), display, summary, job, pool, findings,
                                      dataset, token_lengths, progress)
    finally:
        pool.close()
    close_context()
    findings.extend(dataset.findings())
    findings = dataset.fold_conventions(findings)
    ignored = {s.path: registry.ignored_for_file(s.path, settings.per_file_ignores)
               for s in summaries}
    findings = [f for f in findings if f.code not in ignored.get(f.location.file, ())]
    file_order = {s.path: s.order for s in summaries}
    findings.sort(key=lambda f: _sort_key(f, file_order))
    return Report(
        findings=findings,
        files=summaries,
        severities=severities,
        settings=settings,
        elapsed_s=time.perf_counter() - started,
        token_lengths=token_lengths,
        image_refs=image_refs,
    )


def _check_file(
    path: str,
    display: str,
    summary: FileSummary,
    job: Job,
    pool: _Pool,
    findings: list[Finding],
    dataset: DatasetPass,
    token_lengths: array[int],
    progress: Progress | None,
) -> int:
    """The record pass over one file; returns its image references."""
    from datakit.io.reader import records_only

    severities = dict(job.severities)
    problems: list[FileProblem] = []
    records = records_only(path, problems, display_name=display)
    jobs = jobs_for_file(path, job.settings.jobs)
    results = pool.map(records, job, jobs) if jobs > 1 else map(check_batch, _tasks(job, records))
    image_refs = 0
    for result in results:
        _absorb(result, summary, findings, dataset, display)
        token_lengths.extend(result.token_lengths)
        image_refs += result.image_refs
        pool.learn(result)
        if progress is not None:
            progress(display, summary.records)
    for problem in problems:
        findings.append(_file_finding(problem, severities))
    if summary.records == 0 and not problems and file_rules.EMPTY_FILE.code in severities:
        findings.append(_empty_file(display, severities))
    return image_refs


class _Pool:
    """Worker processes for the large files of a run, started with the first of them, and
    the image statuses they report (see ``image_prefill``), shared across files."""

    def __init__(self) -> None:
        self._workers: WorkerPool | None = None
        self._prefill: ImagePrefill | None = None

    def map(self, records: Iterable[RawRecord], job: Job, jobs: int) -> Iterator[BatchResult]:
        from datakit.io.parallel import WorkerPool
        from datakit.validation.image_prefill import ImagePrefill

        if self._workers is None or self._workers.jobs != jobs:
            self.close()
            self._workers = WorkerPool(jobs)
            self._prefill = ImagePrefill()
        assert self._prefill is not None
        return self._workers.map(check_packed, _packed(_tasks(job, records), self._prefill))

    def learn(self, result: BatchResult) -> None:
        if self._prefill is not None and result.image_statuses:
            self._prefill.learn(result.image_statuses)

    def close(self) -> None:
        if self._workers is not None:
            self._workers.close()
            self._workers = None


def _packed(
    tasks: Iterable[tuple[Job, list[RawRecord]]], prefill: ImagePrefill
) -> Iterator[tuple[Job, list[PackedRecord], dict[str, StatusFields]]]:
    for job, batch in tasks:
        rows = pack(batch)
        yield job, rows, prefill.statuses(rows)


def _tasks(job: Job, records: Iterable[RawRecord]) -> Iterator[tuple[Job, list[RawRecord]]]:
    batch: list[RawRecord] = []
    for record in records:
        batch.append(record)
        if len(batch) >= BATCH_RECORDS:
            yield job, batch
            batch = []
    if batch:
        yield job, batch


def _absorb(
    result: BatchResult,
    summary: FileSummary,
    findings: list[Finding],
    dataset: DatasetPass,
    display: str,
) -> None:
    summary.records += result.records
    findings.extend(result.findings)
    dataset.add(display, result)


def _file_finding(problem: FileProblem, severities: dict[str, Severity]) -> Finding:
    rule = file_rules.BY_KIND.get(problem.kind, file_rules.INVALID_JSON)
    return Finding(
        code=rule.code,
        name=rule.name,
        severity=severities.get(rule.code, rule.severity),
        message=problem.message,
        location=Location(
            file=problem.file,
            line=problem.line,
            column=problem.column,
            record_index=problem.record_index,
        ),
        fix=problem.fix or rule.fix,
    )


def _empty_file(display: str, severities: dict[str, Severity]) -> Finding:
    rule = file_rules.EMPTY_FILE
    return Finding(rule.code, rule.name, severities[rule.code], "the file holds no records",
                   Location(file=display), fix=rule.fix)


def _sort_key(f: Finding, order: dict[str, int]) -> tuple[int, int, int, int, str, int, str]:
    loc = f.location
    index = loc.record_index if loc.record_index is not None else -1
    if loc.record_index is None and (loc.line or 1) > 1:
        index = 1 << 60  # a break in the middle of a file sits after the records before it
    return (
        order.get(loc.file, 1 << 30),
        index,
        loc.line or 0,
        loc.column or 0,
        loc.json_path or "",
        loc.char_offset if loc.char_offset is not None else -1,
        f.code,
    )


def check_inputs(paths: Sequence[str | Path]) -> None:
    if not paths:
        raise InputError("no dataset files given", fix="datakit validate FILE [FILE ...]")
