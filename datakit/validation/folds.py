"""The last step of a run: fold systematic faults into one diagnosis, drop per-file ignores.

Works on what ``FindingCap`` kept and counted: a fold removes a rule's kept findings and its
count of findings not kept alike, so totals stay exact.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from datakit.findings import Finding, Severity
from datakit.validation import registry
from datakit.validation.dataset_pass import DatasetPass
from datakit.validation.finding_cap import FindingCap, Where
from datakit.validation.report import FileSummary
from datakit.validation.settings import Settings


def fold_all(
    cap: FindingCap,
    dataset: DatasetPass,
    files: Sequence[FileSummary],
    severities: dict[str, Severity],
    settings: Settings,
) -> tuple[list[Finding], dict[Where, int]]:
    """The findings to list and, per (file, code), how many more there are."""
    findings = cap.findings()
    omitted = dict(cap.omitted)
    findings = _fold_boxes(findings, omitted, dataset)
    ignored = {s.path: registry.ignored_for_file(s.path, settings.per_file_ignores)
               for s in files}
    findings = [f for f in findings if f.code not in ignored.get(f.location.file, ())]
    for file, code in [w for w in omitted if w[1] in ignored.get(w[0], ())]:
        del omitted[(file, code)]
    return findings, omitted


def _fold_boxes(findings: list[Finding], omitted: dict[Where, int],
                dataset: DatasetPass) -> list[Finding]:
    """The box-convention fold (``DatasetPass``) removes every kept finding of a rule when the
    dataset uses another convention; the uncounted rest of that rule goes with them."""
    before = Counter((f.location.file, f.code) for f in findings)
    folded = dataset.fold_conventions(findings)
    after = Counter((f.location.file, f.code) for f in folded)
    for where in [w for w in omitted if before[w] and not after[w]]:
        del omitted[where]
    return folded
