"""GitHub Actions: workflow-command annotations, capped at what GitHub shows, and a job summary.

GitHub shows at most 10 error, 10 warning and 10 notice annotations per step and drops the
rest silently; past them, findings are written as plain log lines (still read in the log) and
a notice says how many. The Markdown summary goes to ``$GITHUB_STEP_SUMMARY``.
"""

from __future__ import annotations

from datakit.findings import Finding
from datakit.report.lines import concise_line, details, more_line, where
from datakit.report.safe import printable
from datakit.validation.report import Report
from datakit.validation.rule import Rule

GITHUB_ANNOTATIONS = 10

_LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def render_github(report: Report) -> str:
    """An ``::error``/``::warning``/``::notice`` for each of the first findings of each level,
    a notice for the rest, the rest as log lines, the findings not listed, and the summary."""
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
        lines.append(f"::notice title=datakit::{len(plain):,} more finding(s) not annotated "
                     f"(GitHub shows {GITHUB_ANNOTATIONS} of each level per step); they are "
                     "listed in the log")
        # The runner reads any line that starts with "::" (after spaces) as a command: a
        # plain line never starts with text from the input.
        lines += [f"datakit: {concise_line(f)}" for f in plain]
    for (file, code), count in sorted(report.omitted.items()):
        lines.append(f"datakit: {printable(file)}: {more_line(code, count)}")
    counts = report.counts()
    lines.append(
        f"datakit: {counts['error']} error(s), {counts['warning']} warning(s) in "
        f"{report.records} record(s)"
    )
    return "\n".join(lines) + "\n"


def step_summary(report: Report, rules: dict[str, Rule]) -> str:
    """The job summary in Markdown: the counts, a table per rule with its first location,
    and how to fix each rule that fired."""
    out = ["## datakit validate", "", f"**{_md(report.summary())}**", ""]
    by_rule = report.counts_by_rule()
    if not by_rule:
        return "\n".join(out) + "\n"
    first: dict[str, Finding] = {}
    for finding in report.findings:
        first.setdefault(finding.code, finding)
    out += ["| code | rule | severity | count | first at |", "|---|---|---|--:|---|"]
    for code, name, severity, count in by_rule:
        at = _md(where(first[code])) if code in first else ""
        out.append(f"| {code} | {name} | {severity} | {count:,} | {at} |")
    out += ["", "<details><summary>How to fix</summary>", ""]
    for code, name, _, _ in by_rule:
        fix = rules[code].fix if code in rules else ""
        out.append(f"- **{code}** {name}: {_md(fix)} (`datakit rule {code}`)")
    out += ["", "</details>", ""]
    return "\n".join(out) + "\n"


def _annotation(f: Finding) -> str:
    loc = f.location
    props = [f"file={_prop(printable(loc.file))}"]
    if loc.line is not None:
        props.append(f"line={loc.line}")
        if loc.column is not None:
            props.append(f"col={loc.column}")
        if loc.end_line is not None and loc.end_column is not None:
            props += [f"endLine={loc.end_line}", f"endColumn={loc.end_column}"]
    props.append(f"title={_prop(f'{f.code} {f.name}')}")
    where_in = details(f, index=False)
    text = printable(f.message) + (f" ({', '.join(where_in)})" if where_in else "")
    return f"::{_LEVELS[f.severity.value]} {','.join(props)}::{_data(text)}"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_{}[]<>|~"})


def _md(text: str) -> str:
    """Input text as literal Markdown (a file name may hold ``|`` or ``<script>``)."""
    return printable(text).translate(_MARKDOWN)
