"""The last step of a run: fold systematic faults into one diagnosis, drop per-file ignores.

Works on what ``FindingCap`` kept and counted: a fold removes a rule's kept findings and its
count of findings not kept alike, so totals stay exact.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from datakit.findings import Finding, Location, Severity
from datakit.validation import registry
from datakit.validation.dataset_pass import DatasetPass
from datakit.validation.finding_cap import FindingCap, Where, position_key
from datakit.validation.report import FileSummary
from datakit.validation.rules import images
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
    ignored = {s.path: registry.ignored_for_file(s.path, settings.per_file_ignores)
               for s in files}
    findings = _fold_boxes(findings, omitted, dataset)
    findings = _fold_missing_images(findings, omitted, files, severities, settings, ignored)
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


_NOT_LOOKED_UP = frozenset(
    {images.PATH_TOO_LONG.code, images.OUTSIDE_ROOT.code, images.URL.code})


def _fold_missing_images(
    findings: list[Finding],
    omitted: dict[Where, int],
    files: Sequence[FileSummary],
    severities: dict[str, Severity],
    settings: Settings,
    ignored: dict[str, set[str]],
) -> list[Finding]:
    """One I011 per file whose image paths nearly all resolve to nothing, instead of its I003s
    (not for a file whose I003s are ignored: there is nothing to fold)."""
    rule, missing_rule = images.ROOT_WRONG, images.MISSING
    if rule.code not in severities or missing_rule.code not in severities:
        return findings
    # References to files, per file: the paths that are never looked up on disk (too long,
    # outside the root, URLs) are neither found nor missing.
    references: Counter[str] = Counter()
    for summary in files:  # a file named twice is one file here, as its findings are
        references[summary.path] += summary.image_refs
    totals: Counter[Where] = Counter(omitted)
    totals.update((f.location.file, f.code) for f in findings)
    for (file, code), count in totals.items():
        if code in _NOT_LOOKED_UP:
            references[file] -= count
    first: dict[str, Finding] = {}
    for f in findings:
        if f.code == missing_rule.code and missing_rule.code not in ignored.get(
                f.location.file, ()):
            file = f.location.file
            if file not in first or position_key(f) < position_key(first[file]):
                first[file] = f
    wrong = set()
    for file, found in first.items():
        count = totals[(file, missing_rule.code)]
        if images.root_wrong(references[file], count, settings):
            wrong.add(file)
            omitted.pop((file, missing_rule.code), None)
            index = found.location.record_index
            example = (f"record {index}: " if index is not None else "") + found.message
            message = images.root_wrong_message(references[file], count,
                                                images.image_root(settings), example)
            findings.append(Finding(rule.code, rule.name, severities[rule.code], message,
                                    Location(file=file), fix=rule.fix,
                                    data={"folded": count, "references": references[file]}))
    if not wrong:
        return findings
    return [f for f in findings if not (f.code == missing_rule.code and f.location.file in wrong)]
