"""The record pass over one file: what a local run does per file, and a Ray shard task too.

Records go to ``worker.check_batch`` in batches, in worker processes when the file is large
(``FilePool``), with results consumed in file order so that the output never depends on
``--jobs``. Findings go to a ``FindingCap``; what the dataset pass needs goes to ``DatasetPass``.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from datakit.findings import Finding, Location, Severity
from datakit.io.jobs import jobs_for_file
from datakit.io.records import FileProblem, RawRecord
from datakit.validation.dataset_pass import DatasetPass
from datakit.validation.family_target import peek_target, wants_resolution
from datakit.validation.finding_cap import FindingCap
from datakit.validation.report import FileSummary
from datakit.validation.rules import file as file_rules
from datakit.validation.rules.family_choice import target_findings
from datakit.validation.rules.family_scale import FamilyScale
from datakit.validation.worker import (
    BatchResult,
    Job,
    PackedRecord,
    check_batch,
    check_packed,
    pack,
)

if TYPE_CHECKING:
    from datakit.io.parallel import WorkerPool
    from datakit.validation.image_prefill import ImagePrefill
    from datakit.validation.images import StatusFields

BATCH_RECORDS = 512

Progress = Callable[[str, int], None]  # (file, records done so far in it)


def check_file(
    path: str,
    display: str,
    summary: FileSummary,
    job: Job,
    pool: FilePool,
    cap: FindingCap,
    dataset: DatasetPass,
    token_lengths: array[int],
    progress: Progress | None,
    hints: bool,
) -> None:
    """The record pass over one file. With ``hints``, each batch is told which codes ``cap``
    already holds enough of, so workers only count those (the order of the file is the order
    of the report, so later batches' findings of a full code would never be listed)."""
    from datakit.io.reader import records_only

    severities = dict(job.severities)
    problems: list[FileProblem] = []
    records: Iterable[RawRecord] = records_only(path, problems, display_name=display)
    jobs = jobs_for_file(path, job.settings.jobs)
    target = None
    if wants_resolution(job.settings):  # --target other than qwen-vl, or auto
        records, target = peek_target(records, job.settings)
        if target is not None:
            for finding in target_findings(target, display, severities):
                cap.add(finding)
    job = job.for_file(target)
    scale = FamilyScale() if target is not None else None

    def saturated() -> frozenset[str]:
        return cap.full(display) if hints else frozenset()

    results = pool.map(records, job, jobs, saturated) if jobs > 1 else (
        check_batch(task, saturated()) for task in _tasks(job, records))
    for result in results:
        summary.records += result.records
        summary.image_refs += result.image_refs
        cap.absorb(result.findings, result.omitted)
        dataset.add(display, result)
        token_lengths.extend(result.token_lengths)
        if scale is not None:
            scale.extend(result.family_scale)
        pool.learn(result)
        if progress is not None:
            progress(display, summary.records)
    if scale is not None and target is not None:
        for finding in scale.findings(target, display, severities, job.settings):
            cap.add(finding)
    for problem in problems:
        cap.add(file_finding(problem, severities))
    if summary.records == 0 and not problems and file_rules.EMPTY_FILE.code in severities:
        cap.add(_empty_file(display, severities))


class FilePool:
    """Worker processes for the large files of a run, started with the first of them, and
    the image statuses they report (see ``image_prefill``), shared across files."""

    def __init__(self) -> None:
        self._workers: WorkerPool | None = None
        self._prefill: ImagePrefill | None = None

    def map(self, records: Iterable[RawRecord], job: Job, jobs: int,
            saturated: Callable[[], frozenset[str]]) -> Iterator[BatchResult]:
        from datakit.io.parallel import WorkerPool
        from datakit.validation.image_prefill import ImagePrefill

        if self._workers is None or self._workers.jobs != jobs:
            self.close()
            self._workers = WorkerPool(jobs)
            self._prefill = ImagePrefill()
        assert self._prefill is not None
        tasks = _packed(_tasks(job, records), self._prefill, saturated)
        return self._workers.map(check_packed, tasks)

    def learn(self, result: BatchResult) -> None:
        if self._prefill is not None and result.image_statuses:
            self._prefill.learn(result.image_statuses)

    def close(self) -> None:
        if self._workers is not None:
            self._workers.close()
            self._workers = None


def _packed(
    tasks: Iterable[tuple[Job, list[RawRecord]]],
    prefill: ImagePrefill,
    saturated: Callable[[], frozenset[str]],
) -> Iterator[tuple[Job, list[PackedRecord], dict[str, StatusFields], frozenset[str]]]:
    for job, batch in tasks:
        rows = pack(batch)
        yield job, rows, prefill.statuses(rows), saturated()


def _tasks(job: Job, records: Iterable[RawRecord]) -> Iterator[tuple[Job, list[RawRecord]]]:
    batch: list[RawRecord] = []
    for record in records:
        batch.append(record)
        if len(batch) >= BATCH_RECORDS:
            yield job, batch
            batch = []
    if batch:
        yield job, batch


def file_finding(problem: FileProblem, severities: dict[str, Severity]) -> Finding:
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
