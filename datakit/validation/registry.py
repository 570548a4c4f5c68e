"""Every rule, in one explicit list: easy to find, easy to add.

Record rule families run in this order on each record; the order is part of the output
contract (findings of one record come out in family order, then by position).
"""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatch

from datakit.findings import Severity
from datakit.validation.code_patterns import check_patterns, matches
from datakit.validation.context import RunContext
from datakit.validation.rule import Rule
from datakit.validation.rules import (
    ambiguity,
    boxes,
    conversation,
    dataset,
    dialect,
    family_boxes,
    family_choice,
    family_dialect,
    family_images,
    family_record,
    family_scale,
    family_tokens,
    file,
    images,
    pictures,
    record,
    tags,
    tokens,
)
from datakit.validation.view import Collector, RecordView

RecordCheck = Callable[[RecordView, Collector, RunContext], None]

FAMILIES = (
    file, record, dialect, conversation, tags, pictures, ambiguity, boxes, images, tokens, dataset,
    family_choice, family_record, family_dialect, family_images, family_boxes, family_scale,
    family_tokens,
)
RECORD_CHECKS: tuple[RecordCheck, ...] = (
    record.check, dialect.check, conversation.check, tags.check, pictures.check, ambiguity.check,
    boxes.check, images.check, tokens.check,
)
# For files checked against a Qwen-family target (validation/family_target.py): the record is
# read once by family_record, which the others build on.
FAMILY_CHECKS: tuple[RecordCheck, ...] = (
    family_record.check, family_dialect.check, family_images.check, family_boxes.check,
    family_tokens.check,
)
RULES: dict[str, Rule] = {rule.code: rule for family in FAMILIES for rule in family.RULES}
BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES.values()}


def lookup(code_or_name: str) -> Rule | None:
    return RULES.get(code_or_name.upper()) or BY_NAME.get(code_or_name.lower())


def severities(
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    overrides: tuple[tuple[str, str], ...],
) -> dict[str, Severity]:
    """code -> severity for every enabled rule."""
    check_patterns(select, "select")
    check_patterns(ignore, "ignore")
    out: dict[str, Severity] = {}
    for code, rule in RULES.items():
        if select and not matches(code, select):
            continue
        if ignore and matches(code, ignore):
            continue
        out[code] = rule.severity
    for pattern, level in overrides:
        check_patterns((pattern,), "severity")
        for code in out:
            if matches(code, (pattern,)):
                out[code] = Severity(level)
    return out


def ignored_for_file(path: str, per_file: tuple[tuple[str, tuple[str, ...]], ...]) -> set[str]:
    codes: set[str] = set()
    for glob, patterns in per_file:
        if fnmatch(path, glob) or fnmatch(path.rsplit("/", 1)[-1], glob):
            codes.update(c for c in RULES if matches(c, patterns))
    return codes
