"""``fix_files``: validate, repair what the fixers can, validate again, until nothing changes.

Each file is fixed on its own (dataset verdicts such as B005 and D002 are per file). A round
validates the file's current bytes with ``datakit.validation`` (a copy in a temporary folder,
so the file itself is written once, at the end, atomically), runs the fixers on the records
their codes were found in, and splices the changed records back. Rounds stop when a round
changes nothing (so a second run on the output changes nothing either), after ``MAX_ROUNDS``.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datakit.findings import Finding
from datakit.fix import document
from datakit.fix.fixer import REMOVE, FixContext, Fixer
from datakit.fix.registry import FILE_LAYOUT_CODE, FIXABLE_CODES, enabled
from datakit.validation.settings import Settings

MAX_ROUNDS = 4


@dataclass(frozen=True, slots=True)
class Note:
    """What a fixer did to one record (``fixed``) or why it left it as it was."""

    file: str
    record_index: int | None  # in the file as it was read in that round
    fixer: str
    codes: tuple[str, ...]
    note: str
    fixed: bool


@dataclass
class FileFix:
    path: str
    before: bytes = b""
    after: bytes = b""
    notes: list[Note] = field(default_factory=list)
    left: list[Finding] = field(default_factory=list)  # findings after fixing
    error: str | None = None  # the file could not be fixed at all

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def fixed(self) -> list[Note]:
        return [n for n in self.notes if n.fixed]

    def unfixed(self) -> list[Note]:
        return [n for n in self.notes if not n.fixed]


@dataclass(frozen=True, slots=True)
class FixOptions:
    unsafe: bool = False
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


def fix_file(path: str | Path, settings: Settings, options: FixOptions) -> FileFix:
    """Fix one file in memory; ``FileFix.after`` holds the bytes to write (decompressed)."""
    from datakit.validation.registry import severities

    result = FileFix(str(path))
    settings = dataclasses.replace(
        settings, target=None, framework=None, max_findings_per_rule=0,
        select=options.select or settings.select, ignore=options.ignore or settings.ignore)
    codes = set(severities(settings.select, settings.ignore, settings.severity))
    fixers = enabled(codes, unsafe=options.unsafe)
    try:
        doc = document.load(Path(path))
    except document.NotFixable as exc:
        result.error = str(exc)
        return result
    result.before = result.after = doc.data
    sizes = _ImageSizes(settings)
    for _ in range(MAX_ROUNDS):
        notes: list[Note] = []
        if doc.wrong_layout and FILE_LAYOUT_CODE in codes:
            notes.append(Note(str(path), None, "file-layout", (FILE_LAYOUT_CODE,),
                              f"rewrote {doc.layout} content as {doc.kind}", True))
        findings = _validate(doc, settings, str(path)) if not doc.wrong_layout else []
        new = _fix_records(doc, findings, fixers, sizes, notes)
        content = document.render(doc, new) if (new or doc.wrong_layout) else doc.data
        result.notes += [n for n in notes if n.fixed]
        unfixed = [n for n in notes if not n.fixed]
        if content == doc.data:
            result.notes += unfixed
            result.left = findings
            break
        doc = document.load(Path(path), content)
        result.after = content
    else:
        result.left = _validate(doc, settings, str(path))
    return result


def _fix_records(doc: document.Document, findings: Sequence[Finding], fixers: Sequence[Fixer],
                 sizes: _ImageSizes, notes: list[Note]) -> dict[int, Any]:
    by_record: dict[int, list[Finding]] = defaultdict(list)
    verdicts: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.code in ("B005", "B006"):
            verdicts[f.code].append(f)
        elif f.location.record_index is not None:
            by_record[f.location.record_index].append(f)
    new: dict[int, Any] = {}
    for index, record in enumerate(doc.records):
        found = by_record.get(index, [])
        if record is None or (not found and not verdicts):
            continue
        value = record
        for fixer in fixers:
            mine = [f for f in found if f.code in fixer.codes]
            if not mine and not (fixer.dataset and any(c in verdicts for c in fixer.codes)):
                continue
            outcome = fixer.apply(value, FixContext(mine, verdicts, sizes.get))
            if outcome.record is None:
                if mine:
                    notes.append(Note(str(doc.path), index, fixer.name, _codes(mine, fixer),
                                      outcome.note, False))
                continue
            notes.append(Note(str(doc.path), index, fixer.name, _codes(mine, fixer),
                              outcome.note, True))
            value = outcome.record
            if value is REMOVE:
                break
        if value is not record:
            new[index] = value
    return new


def _codes(found: Sequence[Finding], fixer: Fixer) -> tuple[str, ...]:
    return tuple(sorted({f.code for f in found})) or fixer.codes


def _validate(doc: document.Document, settings: Settings, display: str) -> list[Finding]:
    """The findings of ``doc``'s current bytes, reported (and matched against
    ``per_file_ignores``) under ``display``, the file as the user names it."""
    from datakit.validation.engine import validate_files

    name = doc.path.name[:-3] if doc.path.name.lower().endswith(".gz") else doc.path.name
    with tempfile.TemporaryDirectory(prefix="datakit-fix-") as folder:
        copy = Path(folder) / name
        copy.write_bytes(doc.data)
        report = validate_files([str(copy)], settings, display_names={str(copy): display})
    return list(report.findings)


class _ImageSizes:
    """(width, height) of picture files as the validator resolves them, read once each."""

    def __init__(self, settings: Settings) -> None:
        self.root = Path(settings.image_root) if settings.image_root else Path.cwd()
        self.known: dict[str, tuple[int, int] | None] = {}

    def get(self, path: str) -> tuple[int, int] | None:
        if path not in self.known:
            self.known[path] = self._read(path)
        return self.known[path]

    def _read(self, path: str) -> tuple[int, int] | None:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(self.root / path) as image:
                width, height = image.size
        except (OSError, UnidentifiedImageError, ValueError):
            return None
        return (int(width), int(height))


def is_left_unfixed(result: FileFix, options: FixOptions, strict: bool = False) -> bool:
    """Whether something is left for the user: an error, a finding a fixer exists for, or
    (with ``strict``) any warning."""
    from datakit.findings import Severity

    return result.error is not None or any(
        f.severity == Severity.ERROR or f.code in FIXABLE_CODES
        or (strict and f.severity == Severity.WARNING)
        for f in result.left
    )


def write_fixed(result: FileFix) -> None:
    if result.changed:
        document.write(Path(result.path), result.after)
