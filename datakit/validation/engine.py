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
from collections.abc import Mapping, Sequence
from pathlib import Path

from datakit.errors import InputError
from datakit.validation import registry
from datakit.validation.dataset_pass import DatasetPass
from datakit.validation.file_pass import FilePool, Progress, check_file
from datakit.validation.finding_cap import DEFAULT_LIMIT, FindingCap
from datakit.validation.finish import finish_report
from datakit.validation.holdout import load_holdout
from datakit.validation.report import FileSummary, Report
from datakit.validation.settings import Settings
from datakit.validation.worker import Job, close_context


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
    pool = FilePool()  # one set of workers for every large file of the run
    names = [(display_names or {}).get(str(path), str(path)) for path in paths]
    # A file named twice shares its (file, code) counts: workers must see every finding then.
    once = {name for name, n in Counter(names).items() if n == 1}
    try:
        for position, (path, display) in enumerate(zip(paths, names, strict=True)):
            summary = FileSummary(display, position)
            summaries.append(summary)
            check_file(str(path), display, summary, job, pool, cap, dataset, token_lengths,
                       progress, hints=display in once)
    finally:
        pool.close()
    close_context()
    for finding in dataset.findings():
        cap.add(finding)
    return finish_report(cap, dataset, summaries, token_lengths, severities, settings, limit,
                         started, dict(zip(names, map(str, paths), strict=True)))


def check_inputs(paths: Sequence[str | Path]) -> None:
    if not paths:
        raise InputError("no dataset files given", fix="datakit validate FILE [FILE ...]")
