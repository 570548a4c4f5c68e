"""The result of a validation run; every reporter renders this one object.

A notebook shows it as a one-line ``repr``, a small HTML table, or a pandas DataFrame with one
row per finding (``report_repr``, ``report_html``, ``report_frame``)."""

from __future__ import annotations

import html
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from datakit import __version__
from datakit.findings import Finding, Severity
from datakit.validation.settings import Settings

REPORT_FORMAT_VERSION = 1


@dataclass
class FileSummary:
    path: str
    order: int
    records: int = 0
    image_refs: int = 0


@dataclass
class Report:
    findings: list[Finding]
    files: list[FileSummary]
    severities: dict[str, Severity]
    settings: Settings
    elapsed_s: float
    token_lengths: array[int] = field(default_factory=lambda: array("I"))
    image_refs: int = 0
    # (file, code) -> findings counted but not in ``findings`` (``max_findings_per_rule``)
    omitted: dict[tuple[str, str], int] = field(default_factory=dict)
    max_findings_per_rule: int = 0  # 0 = every finding is listed

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    def counts(self) -> dict[str, int]:
        """Findings per severity, listed or not."""
        by: Counter[str] = Counter()
        for _, _, severity, count in self.counts_by_rule():
            by[severity] += count
        return {level.value: by.get(level.value, 0) for level in Severity}

    def counts_by_rule(self) -> list[tuple[str, str, str, int]]:
        """(code, name, severity, count), most severe first, then by code; counts include
        the findings that are not listed."""
        counter: Counter[tuple[str, str, str]] = Counter(
            (f.code, f.name, f.severity.value) for f in self.findings
        )
        if self.omitted:
            # a (file, code) with findings not listed always has listed ones, which tell
            # the rule's name and severity
            known = {code: (name, severity) for code, name, severity in counter}
            for code, count in self.omitted_by_rule().items():
                name, severity = known.get(code, (code, "error"))
                counter[(code, name, severity)] += count
        rank = {s.value: s.rank for s in Severity}
        return sorted(
            ((code, name, sev, n) for (code, name, sev), n in counter.items()),
            key=lambda row: (-rank[row[2]], row[0]),
        )

    def omitted_by_rule(self) -> dict[str, int]:
        """code -> findings counted but not listed, over every file."""
        out: Counter[str] = Counter()
        for (_, code), count in self.omitted.items():
            out[code] += count
        return dict(out)

    def omitted_in(self, file: str) -> list[tuple[str, int]]:
        """(code, count) of the findings of ``file`` that are not listed, by code."""
        return sorted((code, n) for (name, code), n in self.omitted.items() if name == file)

    def exit_code(self, strict: bool | None = None) -> int:
        strict = self.settings.strict if strict is None else strict
        counts = self.counts()
        if counts["error"] or (strict and counts["warning"]):
            return 1
        return 0

    def token_percentiles(self) -> dict[str, int]:
        lengths = sorted(self.token_lengths)
        if not lengths:
            return {}
        def pick(q: float) -> int:
            return lengths[min(len(lengths) - 1, int(q * (len(lengths) - 1) + 0.5))]
        return {"min": lengths[0], "p50": pick(0.5), "p90": pick(0.9), "p99": pick(0.99),
                "max": lengths[-1]}

    def as_dict(self) -> dict[str, Any]:
        omitted = self.omitted_by_rule()
        return {
            "datakit_version": __version__,
            "format_version": REPORT_FORMAT_VERSION,
            "summary": {
                "files": len(self.files),
                "records": self.records,
                "image_references": self.image_refs,
                "findings": self.counts(),
                "by_rule": [
                    {"code": c, "name": n, "severity": s, "count": k,
                     "omitted": omitted.get(c, 0)}
                    for c, n, s, k in self.counts_by_rule()
                ],
                "max_findings_per_rule": self.max_findings_per_rule,
                "max_len": self.settings.max_len,
                "tokens": self.token_percentiles(),
                "exit_code": self.exit_code(),
            },
            "files": [{"path": f.path, "records": f.records} for f in self.files],
            "findings": [f.as_dict() for f in self.findings],
        }

    def __repr__(self) -> str:
        # The token array and findings would print megabytes for a large run.
        return report_repr(self)

    def _repr_html_(self) -> str:
        return report_html(self)

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` with one row per listed finding and flat columns: code, name,
        severity, message, file, line, column, record_index, record_id, json_path,
        char_offset, fix."""
        return report_frame(self)

    def summary(self) -> str:
        """One line: counts by severity, records, files and token percentiles."""
        counts = self.counts()
        line = (
            f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info "
            f"in {self.records} record(s) of {len(self.files)} file(s)"
        )
        tokens = self.token_percentiles()
        if tokens:
            line += (
                f"; tokens p50 {tokens['p50']}, p99 {tokens['p99']}, max {tokens['max']} "
                f"(max_len {self.settings.max_len})"
            )
        return line


# Findings shown in the HTML table; the DataFrame holds them all.
HTML_ROWS = 50
LOCATION_COLUMNS = ("file", "line", "column", "record_index", "record_id", "json_path",
                    "char_offset")
COLUMNS = ("code", "name", "severity", "message", *LOCATION_COLUMNS, "fix")


def report_repr(report: Report) -> str:
    counts = report.counts()
    return (f"<Report: {counts['error']} error(s), {counts['warning']} warning(s), "
            f"{counts['info']} info in {report.records} record(s) of {len(report.files)} "
            f"file(s); exit code {report.exit_code()}>")


def finding_rows(report: Report) -> list[dict[str, Any]]:
    """One flat dict per listed finding: the rule, then every location field, then the fix."""
    rows = []
    for finding in report.findings:
        location = finding.location.as_dict()
        row: dict[str, Any] = {"code": finding.code, "name": finding.name,
                               "severity": finding.severity.value, "message": finding.message}
        row.update(location)
        row["fix"] = finding.fix
        rows.append(row)
    return rows


def report_frame(report: Report) -> Any:
    """A ``pandas.DataFrame`` of the listed findings (``report.omitted`` counts the rest)."""
    import pandas as pd

    rows = finding_rows(report)
    columns = list(rows[0]) if rows else list(COLUMNS)
    return pd.DataFrame(rows, columns=columns)


def report_html(report: Report) -> str:
    shown = finding_rows(report)[:HTML_ROWS]
    head = "".join(f"<th>{name}</th>" for name in ("code", "severity", "where", "message"))
    body = []
    for row in shown:
        where = row["file"] + (f":{row['line']}" if row["line"] is not None else "")
        if row["column"] is not None:
            where += f":{row['column']}"
        cells = (row["code"], row["severity"], where, row["message"])
        body.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    more = len(report.findings) - len(shown) + sum(report.omitted.values())
    tail = (f"<p>{more:,} more finding(s) not shown (<code>report.to_pandas()</code> lists "
            "every listed one)</p>" if more > 0 else "")
    table = (f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
             if body else "")
    return f"<div><p>{html.escape(report.summary())}</p>{table}{tail}</div>"
