"""What a fixer is, and what it is given.

A fixer is a pure function ``(record, context) -> Outcome``: the repaired record (a new value;
the input is never mutated), ``REMOVE`` to drop the record, or ``None`` when it cannot repair
this record; ``note`` says what it did or why not. A fixer runs only on the records that
validation found its rule codes in, and must leave a record it cannot repair alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from datakit.findings import Finding

REMOVE: Any = object()  # a record's new value when a fix removes it


@dataclass(frozen=True, slots=True)
class Outcome:
    record: Any  # the new record, REMOVE, or None (not repaired)
    note: str


@dataclass(frozen=True, slots=True)
class FixContext:
    """``findings``: this record's findings of the fixer's codes; ``verdicts``: the file's
    dataset-scope findings by code (B005, B006); ``image_size``: (width, height) of a picture
    path as the trainer resolves it, or None when it cannot be read."""

    findings: Sequence[Finding]
    verdicts: Mapping[str, Sequence[Finding]] = field(default_factory=dict)
    image_size: Callable[[str], tuple[int, int] | None] = lambda _path: None


FixFunction = Callable[[Any, FixContext], Outcome]


@dataclass(frozen=True, slots=True)
class Fixer:
    """``codes``: the rules it repairs; ``safe``: the meaning is unchanged (otherwise it runs
    only with --unsafe-fixes, and ``why`` says what judgement it makes); ``dataset``: it acts
    on every record of a file once a dataset-scope verdict names the file."""

    name: str
    codes: tuple[str, ...]
    safe: bool
    summary: str
    apply: FixFunction
    why: str = ""
    dataset: bool = False


def messages(record: Any) -> list[dict[str, Any]] | None:
    """A copy of a v1 record's turns, or None when the record has no list of objects."""
    turns = record.get("conversations") if isinstance(record, dict) else None
    if not isinstance(turns, list) or not all(isinstance(m, dict) for m in turns):
        return None
    return [dict(m) for m in turns]


def with_turns(record: dict[str, Any], turns: list[dict[str, Any]]) -> dict[str, Any]:
    """``record`` with its conversations replaced, key order kept."""
    return {k: (turns if k == "conversations" else v) for k, v in record.items()}


def map_values(record: Any, change: Callable[[str], str]) -> dict[str, Any] | None:
    """The record with ``change`` applied to every turn's value; None when nothing changed."""
    turns = messages(record)
    if turns is None:
        return None
    changed = False
    for m in turns:
        value = m.get("value")
        if isinstance(value, str):
            new = change(value)
            if new != value:
                m["value"] = new
                changed = True
    return with_turns(record, turns) if changed else None
