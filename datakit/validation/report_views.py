"""A validation report as a notebook shows it: a one-line ``repr``, a small HTML table, and a
pandas DataFrame with one row per finding."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datakit.validation.report import Report

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
