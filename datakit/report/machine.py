"""Machine-readable reports: JSON (schemas/validate-report.schema.json) and GitHub annotations."""

from __future__ import annotations

import json

from datakit.findings import Finding
from datakit.report.lines import details, finding_line, more_line
from datakit.report.safe import printable
from datakit.validation.report import Report

# GitHub shows at most 10 annotations of each level per step; the findings past them are
# written as plain log lines, where they are still read.
GITHUB_ANNOTATIONS = 10

_LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def render_json(report: Report) -> str:
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n"


def render_github(report: Report) -> str:
    """GitHub Actions workflow commands: an ``::error``/``::warning``/``::notice`` for each of
    the first findings of each level, then the other listed findings as log lines, one line
    per rule and file for those not listed, and the summary."""
    lines: list[str] = []
    annotated = dict.fromkeys(_LEVELS, 0)
    plain: list[Finding] = []
    for f in report.findings:
        if annotated[f.severity.value] < GITHUB_ANNOTATIONS:
            annotated[f.severity.value] += 1
            lines.append(_annotation(f))
        else:
            plain.append(f)
    if plain:
        lines.append(f"datakit: {len(plain):,} more finding(s), not annotated (GitHub shows "
                     f"{GITHUB_ANNOTATIONS} of each level):")
        # The runner reads any line that starts with "::" (after spaces) as a command: a
        # plain line never starts with text from the input.
        lines += [f"datakit: {finding_line(f).lstrip()}" for f in plain]
    for (file, code), count in sorted(report.omitted.items()):
        lines.append(f"datakit: {printable(file)}: {more_line(code, count)}")
    counts = report.counts()
    lines.append(
        f"datakit: {counts['error']} error(s), {counts['warning']} warning(s) in "
        f"{report.records} record(s)"
    )
    return "\n".join(lines) + "\n"


def _annotation(f: Finding) -> str:
    loc = f.location
    props = [f"file={_prop(printable(loc.file))}"]
    if loc.line is not None:
        props.append(f"line={loc.line}")
    if loc.column is not None:
        props.append(f"col={loc.column}")
    props.append(f"title={_prop(f'{f.code} {f.name}')}")
    where = details(f, index=False)
    text = printable(f.message) + (f" ({', '.join(where)})" if where else "")
    return f"::{_LEVELS[f.severity.value]} {','.join(props)}::{_data(text)}"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
