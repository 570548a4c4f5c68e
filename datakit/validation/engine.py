"""The validation run: files in, a ``Report`` out.

Phase one streams every file through the record pass (``worker.check_batch``), in parallel
when there are several jobs, with results consumed in input order so that the output never
depends on ``--jobs``. Phase two judges the dataset as a whole (duplicates, box conventions)
from what phase one collected, then findings are put in a stable order. Per file and rule only
the first ``max_findings_per_rule`` findings are kept, the others counted (``finding_cap``).
"""

from __future__ import annotations

import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from datakit.errors import InputError
from datakit.findings import Finding, Location, Severity
from datakit.io.jobs import jobs_for_file
from datakit.io.records import FileProblem, RawRecord
from datakit.validation import registry
from datakit.validation.dataset_pass import DatasetPass
from datakit.validation.family_target import peek_target, wants_resolution
from datakit.validation.finding_cap import DEFAULT_LIMIT, FindingCap, position_key
from datakit.validation.folds import fold_all
from datakit.validation.holdout import load_holdout
from datakit.validation.report import FileSummary, Report
from datakit.validation.rules import file as file_rules
from datakit.validation.rules.family_choice import target_findings
from datakit.validation.rules.family_scale import FamilyScale
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
    *,
    engine: str = "local",
    ray_address: str | None = None,
) -> Report:
    """Check ``paths``; ``display_names`` maps a path to the name its findings carry (standard
    input is read from a temporary copy but reported as ``<stdin>``). ``engine="ray"`` runs
    on the Ray cluster at ``ray_address`` (``datakit.distributed``), with the same report."""
    if engine == "ray":
        from datakit.distributed.validate import validate_on_ray

        return validate_on_ray(paths, settings, progress, display_names, ray_address)
    started = time.perf_counter()
    severities = registry.severities(settings.select, settings.ignore, settings.severity)
    holdout = load_holdout(settings.holdout, Path(settings.base_dir))
    limit = DEFAULT_LIMIT if settings.max_findings_per_rule is None else (
        settings.max_findings_per_rule)
    job = Job(settings, tuple(sorted(severities.items())), holdout, limit)
    dataset = DatasetPass(severities, settings)
    cap = FindingCap(limit)
    summaries: list[FileSummary] = []
    token_lengths: array[int] = array("I")
    pool = _Pool()  # one set of workers for every large file of the run
    names = [(display_names or {}).get(str(path), str(path)) for path in paths]
    # A file named twice shares its (file, code) counts: workers must see every finding then.
    once = {name for name, n in Counter(names).items() if n == 1}
    try:
        for position, (path, display) in enumerate(zip(paths, names, strict=True)):
            summary = FileSummary(display, position)
            summaries.append(summary)
            _check_file(str(path), display, summary, job, pool, cap, dataset, token_lengths,
                        progress, hints=display in once)
    finally:
        pool.close()
    close_context()
    for finding in dataset.findings():
        cap.add(finding)
    return finish_report(cap, dataset, summaries, token_lengths, severities, settings, limit,
                         started, dict(zip(names, map(str, paths), strict=True)))


def finish_report(
    cap: FindingCap,
    dataset: DatasetPass,
    summaries: list[FileSummary],
    token_lengths: array[int],
    severities: dict[str, Severity],
    settings: Settings,
    limit: int,
    started: float,
    sources: dict[str, str],
) -> Report:
    """The end of every run, here or on a cluster (``datakit.distributed``): folds, report
    order, and the places of the reported findings (``sources``: display name -> path)."""
    findings, omitted = fold_all(cap, dataset, summaries, severities, settings)
    file_order = {s.path: s.order for s in summaries}
    findings.sort(key=lambda f: (file_order.get(f.location.file, 1 << 30), position_key(f)))
    from datakit.io.positions import place_findings  # only the findings that are reported

    findings = place_findings(findings, sources)
    return Report(
        findings=findings,
        files=summaries,
        severities=severities,
        settings=settings,
        elapsed_s=time.perf_counter() - started,
        token_lengths=token_lengths,
        image_refs=sum(s.image_refs for s in summaries),
        omitted=omitted,
        max_findings_per_rule=limit,
    )


def _check_file(
    path: str,
    display: str,
    summary: FileSummary,
    job: Job,
    pool: _Pool,
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
        cap.add(_file_finding(problem, severities))
    if summary.records == 0 and not problems and file_rules.EMPTY_FILE.code in severities:
        cap.add(_empty_file(display, severities))


class _Pool:
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


def check_inputs(paths: Sequence[str | Path]) -> None:
    if not paths:
        raise InputError("no dataset files given", fix="datakit validate FILE [FILE ...]")
