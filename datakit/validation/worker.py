"""The record pass: parse a batch of raw records and run every record rule on each.

Runs in worker processes for large inputs (or in-process with one job); everything it takes
and returns is picklable. Besides findings it returns what the dataset rules need: ids,
sample fingerprints and box statistics.
"""

from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import orjson

from datakit.findings import Finding, Location, Severity
from datakit.io.records import ParsedRecord, RawRecord
from datakit.validation.box_scale import ScaleTally
from datakit.validation.context import RunContext
from datakit.validation.finding_cap import FindingCap
from datakit.validation.record_keys import FINGERPRINT_BYTES, KeyRow
from datakit.validation.rule import Rule
from datakit.validation.rules import file as file_rules
from datakit.validation.rules.dataset import DUPLICATE_SAMPLE
from datakit.validation.settings import Settings
from datakit.validation.view import Collector, make_view


@dataclass(frozen=True)
class Job:
    """Settings for a run, shipped with every batch (workers build their context once)."""

    settings: Settings
    severities: tuple[tuple[str, Severity], ...]
    holdout: frozenset[str]
    # findings kept per file and rule (0 = every one; see ``finding_cap``)
    max_findings: int = 0
    # The file's family target (validation/family_target.py), None for the v1 checks. Not part
    # of the identity: a worker keeps its context (image checker, tokenizer) across files.
    target: FamilyTarget | None = field(default=None, compare=False)

    def for_file(self, target: FamilyTarget | None) -> Job:
        return self if target is None and self.target is None else replace(self, target=target)


@dataclass
class BatchResult:
    # per (file, code) the first findings in report order; ``omitted`` counts the rest
    findings: list[Finding] = field(default_factory=list)
    omitted: dict[tuple[str, str], int] = field(default_factory=dict)
    # (record index, line, column, byte offset, id, fingerprint of the conversations) per
    # record that has an id or whose conversations are a list
    keys: list[KeyRow] = field(default_factory=list)
    # boxes, >= 1000, swapped, all coordinates <= 1
    box_stats: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    # how far boxes reach on pictures of known size (B006)
    box_scale: ScaleTally = field(default_factory=ScaleTally)
    records: int = 0
    image_refs: int = 0
    # exact token length of every record that was accounted (for the summary's percentiles)
    token_lengths: array[int] = field(default_factory=lambda: array("I"))
    # statuses of the image files this worker checked for the batch (see ``image_prefill``)
    image_statuses: dict[str, StatusFields] = field(default_factory=dict)
    # family targets: boxes on pictures of known size, how many stay within the resized
    # picture, and an example (see rules/family_box_scale.py)
    family_scale: list[Any] = field(default_factory=list)


if TYPE_CHECKING:
    from datakit.validation.family_target_type import FamilyTarget
    from datakit.validation.images import StatusFields

_CONTEXT: tuple[Job, RunContext] | None = None


def _context(job: Job) -> RunContext:
    global _CONTEXT
    if _CONTEXT is None or _CONTEXT[0] != job:
        if _CONTEXT is not None:
            _CONTEXT[1].close()
        _CONTEXT = (job, RunContext(job.settings, dict(job.severities), job.holdout))
    return _CONTEXT[1]


def close_context() -> None:
    global _CONTEXT
    if _CONTEXT is not None:
        _CONTEXT[1].close()
        _CONTEXT = None


# A record as a plain tuple of RawRecord's fields: pickles about ten times faster than the
# frozen dataclass, which matters on the way to worker processes (the main process pickles
# every record).
PackedRecord = tuple[str, int, "int | None", "int | None", "int | None", "bytes | None", Any,
                     "int | None"]


def pack(batch: list[RawRecord]) -> list[PackedRecord]:
    return [(r.file, r.index, r.line, r.column, r.offset, r.raw, r.value, r.row_group)
            for r in batch]


def check_packed(
    task: tuple[Job, list[PackedRecord], dict[str, StatusFields], frozenset[str]],
) -> BatchResult:
    """``check_batch`` for a batch sent to a worker process as ``pack`` made it, with the
    statuses of image files the main process already checked (see ``image_prefill``) and
    the codes it already holds enough findings of."""
    job, rows, statuses, saturated = task
    images = _context(job).images
    if images is not None and statuses:
        images.learn(statuses)
    result = check_batch((job, [RawRecord(*row) for row in rows]), saturated)
    if images is not None:
        result.image_statuses = images.news()
    return result


def check_batch(
    task: tuple[Job, list[RawRecord]], saturated: frozenset[str] = frozenset()
) -> BatchResult:
    """Every record rule on every record of one batch (of one file). Findings of a code in
    ``saturated`` are only counted: the main process already has enough earlier ones."""
    from datakit.io.parse import parse_records
    from datakit.validation.registry import FAMILY_CHECKS, RECORD_CHECKS

    job, batch = task
    ctx = _context(job)
    # One test per batch: a v1 file runs exactly the checks it always ran.
    ctx.target = job.target
    checks = RECORD_CHECKS if job.target is None else FAMILY_CHECKS
    severities = ctx.severities
    fingerprints = DUPLICATE_SAMPLE.code in severities
    result = BatchResult()
    cap = FindingCap(job.max_findings, saturated)
    refs_before = ctx.image_refs
    for parsed in parse_records(batch):
        result.records += 1
        raw = parsed.record
        if parsed.error is not None:
            if file_rules.INVALID_JSON.code in saturated:
                cap.omit(raw.file, file_rules.INVALID_JSON.code)
            else:
                cap.add(_parse_error(parsed, severities))
            continue
        view = make_view(raw.file, raw.index, raw.line, parsed.value)
        emit = Collector(view, severities, cap, raw)
        for note in parsed.notes:
            rule = file_rules.BY_KIND.get(note.kind)
            if rule is not None:
                emit(rule, note.message, note.json_path or view.path())
        for check in checks:
            check(view, emit, ctx)
        fingerprint = _fingerprint(view.record["conversations"]) if (
            view.shape_ok and fingerprints) else None
        if view.record_id is not None or fingerprint is not None:
            result.keys.append((raw.index, raw.line, raw.column, raw.offset, view.record_id,
                                fingerprint))
        stats = view.extras.get("boxes")
        if stats is not None:
            totals = result.box_stats
            totals[0] += stats[0]
            totals[1] += stats[1]
            totals[2] += stats[2]
            totals[3] += stats[3]
            pictures = view.extras.get("box_scale")
            if pictures is not None:
                result.box_scale.add(view, pictures)
        elif job.target is not None:
            scale = view.extras.get("family_scale")
            if scale is not None:
                result.family_scale.append(scale)
        sample = view.extras.get("tokens")
        if sample is not None:
            result.token_lengths.append(sample.tokens)
    result.image_refs = ctx.image_refs - refs_before
    result.findings = cap.findings()
    result.omitted = cap.omitted
    return result


def _fingerprint(conversations: Any) -> bytes:
    try:
        blob = orjson.dumps(conversations, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        blob = repr(conversations).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(blob, digest_size=FINGERPRINT_BYTES).digest()


def _parse_error(parsed: ParsedRecord, severities: dict[str, Severity]) -> Finding:
    raw = parsed.record
    rule: Rule = file_rules.INVALID_JSON
    return Finding(
        code=rule.code,
        name=rule.name,
        severity=severities.get(rule.code, rule.severity),
        message=parsed.error or "invalid JSON",
        location=Location(
            file=raw.file,
            line=parsed.error_line if parsed.error_line is not None else raw.line,
            column=parsed.error_column if parsed.error_column is not None else raw.column,
            record_index=raw.index,
            json_path=f"$[{raw.index}]",
        ),
        fix=rule.fix,
    )
