"""Plain-text reports without rich: one line per finding (``concise``) and counts per rule
(``--statistics``), both as ruff writes them."""

from __future__ import annotations

import json

from datakit.report.lines import concise_line, more_line
from datakit.report.safe import printable
from datakit.validation.report import Report


def render_concise(report: Report) -> str:
    """``path:line:col: CODE message`` per listed finding, a line per rule and file for the
    findings not listed, and the summary."""
    lines = [concise_line(f) for f in report.findings]
    lines += [f"{printable(file)}: {more_line(code, count)}"
              for (file, code), count in sorted(report.omitted.items())]
    lines.append(report.summary())
    return "\n".join(lines) + "\n"


def render_statistics(report: Report) -> str:
    """Findings per rule, listed or not, most severe first: ``count  CODE  severity  name``."""
    rows = report.counts_by_rule()
    if not rows:
        return report.summary() + "\n"
    width = max(len(f"{count:,}") for *_, count in rows)
    lines = [f"{count:>{width},}  {code}  {severity:<7}  {name}"
             for code, name, severity, count in rows]
    lines.append(report.summary())
    return "\n".join(lines) + "\n"


def statistics_json(report: Report) -> str:
    rows = [{"code": code, "name": name, "severity": severity, "count": count}
            for code, name, severity, count in report.counts_by_rule()]
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
