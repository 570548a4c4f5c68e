"""Phase two: what only the whole dataset shows (duplicates, box conventions).

Ids and sample fingerprints are kept compactly (``RecordKeys``) while the files stream past,
and duplicates are judged once at the end, so memory stays small for millions of records.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from datakit.findings import Finding, Location, Severity
from datakit.shown import shown
from datakit.validation.box_scale import ScaleTally
from datakit.validation.record_keys import RecordKeys
from datakit.validation.rule import Rule
from datakit.validation.rules.boxes import CONVENTION, IN_PIXELS, OUT_OF_GRID, SWAPPED
from datakit.validation.rules.dataset import DUPLICATE_ID, DUPLICATE_SAMPLE
from datakit.validation.settings import Settings
from datakit.validation.worker import BatchResult

_EXAMPLES = 5


class DatasetPass:
    def __init__(self, severities: dict[str, Severity], settings: Settings) -> None:
        self.severities = severities
        self.settings = settings
        self.want_ids = DUPLICATE_ID.code in severities
        self.want_samples = DUPLICATE_SAMPLE.code in severities
        self.keys = RecordKeys()
        self.box_stats = [0, 0, 0, 0]
        self.box_scale: dict[str, ScaleTally] = {}  # per file

    def add(self, file: str, result: BatchResult) -> None:
        for i in range(4):
            self.box_stats[i] += result.box_stats[i]
        if any(result.box_scale.counts):
            tally = self.box_scale.get(file)
            if tally is None:
                tally = self.box_scale[file] = ScaleTally()
            tally.merge(result.box_scale)
        if not (self.want_ids or self.want_samples):
            return
        rows = result.keys
        if not self.want_samples:
            rows = [(*row[:5], None) for row in rows]
        self.keys.extend(file, rows)

    def findings(self) -> Iterator[Finding]:
        """Every record whose id, or whose conversations, an earlier record already has; one
        at a time, so that a run keeps only those it lists (a million copies of one sample
        are a million findings)."""
        keys = self.keys
        for rows in keys.ids.duplicate_groups() if self.want_ids else ():
            first_file, first_index, first_line = keys.where(rows[0])
            where = f"{first_file} record {first_index}" + (
                f" (line {first_line})" if first_line else ""
            )
            for row in rows[1:]:
                file, index, line = keys.where(row)
                if (file, index) == (first_file, first_index):
                    continue  # the same file given twice
                record_id = keys.record_id(row)
                yield self._finding(DUPLICATE_ID, f"id {shown(record_id)} is also used by {where}",
                                    file, index, line, record_id, keys.start(row))
        for rows in keys.fingerprints.duplicate_groups() if self.want_samples else ():
            first_file, first_index, _ = keys.where(rows[0])
            first_id = keys.record_id(rows[0])
            named = f" (id {shown(first_id)})" if first_id is not None else ""
            same = f"record {first_index}{named}"
            for row in rows[1:]:
                file, index, line = keys.where(row)
                if (file, index) == (first_file, first_index):
                    continue
                where = same if first_file == file else f"{first_file} {same}"
                yield self._finding(DUPLICATE_SAMPLE, f"same conversations as {where}",
                                    file, index, line, keys.record_id(row), keys.start(row))

    def _finding(self, rule: Rule, message: str, file: str, index: int, line: int | None,
                 record_id: str | None, start: tuple[int | None, int | None]) -> Finding:
        offset, column = start
        return Finding(rule.code, rule.name, self.severities[rule.code], message,
                       Location(file=file, line=line, record_index=index, record_id=record_id,
                                json_path=f"$[{index}]", record_offset=offset,
                                record_column=column),
                       fix=rule.fix)

    def fold_conventions(self, findings: list[Finding]) -> list[Finding]:
        """Replace per-box findings by one dataset finding when the whole dataset looks like
        another box convention (pixels, xywh, 0..1 fractions); add one finding per file (or
        one for the dataset) whose boxes are pixels below 1000 (B006)."""
        out = self._fold(findings)
        if IN_PIXELS.code in self.severities and not any(
                f.code == CONVENTION.code and f.data.get("convention") == "pixels" for f in out):
            out.extend(self._in_pixels())
        return out

    def _in_pixels(self) -> list[Finding]:
        from datakit.validation.box_spaces import describe, verdicts

        out = []
        for verdict, tally in verdicts(self.box_scale):
            message, examples = describe(verdict, tally)
            file, line, index, record_id, json_path = (examples or tally.examples)[0][:5]
            location = Location(file=file, line=line, record_index=index, record_id=record_id,
                                json_path=json_path)
            out.append(Finding(
                IN_PIXELS.code, IN_PIXELS.name, self.severities[IN_PIXELS.code], message,
                location, fix=IN_PIXELS.fix,
                data={"convention": verdict.space.convention, "space": verdict.space.name,
                      "pictures": verdict.pictures, "beyond": verdict.beyond},
            ))
        return out

    def _fold(self, findings: list[Finding]) -> list[Finding]:
        if CONVENTION.code not in self.severities:
            return findings
        boxes, off_grid, swapped, unit = self.box_stats
        if boxes < self.settings.box_convention_min_boxes:
            return findings
        share = self.settings.box_convention_share
        verdicts: list[tuple[str, str | None, str]] = []
        if off_grid / boxes >= share:
            verdicts.append(("pixels", OUT_OF_GRID.code,
                             f"{off_grid} of {boxes} boxes have coordinates >= 1000: they look "
                             "like pixel coordinates, not the 0..999 grid"))
        if swapped / boxes >= share:
            verdicts.append(("xywh", SWAPPED.code,
                             f"{swapped} of {boxes} boxes have x2 < x1 or y2 < y1: they look "
                             "like [x, y, w, h] written as corners"))
        if unit / boxes >= share:
            verdicts.append(("fractions", None,
                             f"{unit} of {boxes} boxes have every coordinate in 0..1: they "
                             "look like 0..1 fractions truncated to integers"))
        if not verdicts:
            return findings
        out = list(findings)
        for convention, folded_code, text in verdicts:
            examples = [f for f in out if f.code == folded_code
                        and f.data.get("convention") == convention]
            if folded_code is not None:
                out = [f for f in out if not (f.code == folded_code
                                               and f.data.get("convention") == convention)]
            where = "; ".join(_where(f) for f in examples[:_EXAMPLES])
            message = text + (f". Examples: {where}" if where else "")
            first = examples[0].location if examples else Location(file=self._first_file(out))
            out.append(replace(
                Finding(CONVENTION.code, CONVENTION.name, self.severities[CONVENTION.code],
                        message, first, fix=CONVENTION.fix),
                data={"convention": convention, "folded": len(examples)},
            ))
        return out

    def _first_file(self, findings: list[Finding]) -> str:
        return findings[0].location.file if findings else ""


def _where(f: Finding) -> str:
    loc = f.location
    line = f":{loc.line}" if loc.line else ""
    return f"{loc.file}{line} {loc.json_path or ''} {f.message.split(':')[0]}".strip()
