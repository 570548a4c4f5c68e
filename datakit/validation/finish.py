"""The end of every validation run, here or on a cluster: folds, report order, places."""

from __future__ import annotations

import time
from array import array

from datakit.findings import Severity
from datakit.validation.dataset_pass import DatasetPass
from datakit.validation.finding_cap import FindingCap, position_key
from datakit.validation.folds import fold_all
from datakit.validation.report import FileSummary, Report
from datakit.validation.settings import Settings


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
