"""The full report: findings grouped under their file's name, a table of counts per rule, and
how to fix each rule that fired, once."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from datakit.findings import Finding
from datakit.report.lines import STYLE, Piece, finding_pieces, more_line, where
from datakit.report.safe import printable
from datakit.validation.report import Report
from datakit.validation.rule import Rule

_CHUNK_LINES = 1000


def render_text(report: Report, console: Console, rules: dict[str, Rule]) -> None:
    _render_findings(report, console)
    if report.findings:
        console.print()
        console.print(_table(report))
        console.print("[bold]How to fix[/]")
        for code, name, _, _ in report.counts_by_rule():
            fix = rules[code].fix if code in rules else ""
            console.print(f"  [bold]{code}[/] {name}: {escape(fix)}  [dim](datakit rule {code})[/]",
                          soft_wrap=True, highlight=False)
        console.print()
    console.print(_summary(report), highlight=False)


def _render_findings(report: Report, console: Console) -> None:
    """One line per finding under a heading per file, then one line per rule for the findings
    of the file that are not listed. Without colour (a pipe, a pre-commit hook, a CI log) the
    lines are written as they are: rich costs ~0.3 ms a line."""
    styled = console.color_system is not None
    lines: list[list[Piece]] = []
    current: str | None = None
    for finding in report.findings:
        if finding.location.file != current:
            if current is not None:
                lines += _more(report, current)
            current = finding.location.file
            lines.append([("\n", ""), (printable(current), "bold underline")])
        lines.append(finding_pieces(finding))
        if len(lines) >= _CHUNK_LINES:
            _write(lines, console, styled)
            lines = []
    if current is not None:
        lines += _more(report, current)
    _write(lines, console, styled)


def _more(report: Report, file: str) -> list[list[Piece]]:
    return [[(f"  {more_line(code, count)}", "dim")] for code, count in report.omitted_in(file)]


def _write(lines: list[list[Piece]], console: Console, styled: bool) -> None:
    if not lines:
        return
    if not styled:
        console.file.write("".join("".join(text for text, _ in line) + "\n" for line in lines))
        return
    text = Text("\n").join(Text.assemble(*line) for line in lines)
    console.print(text, soft_wrap=True, highlight=False)


def _table(report: Report) -> Table:
    table = Table(title="Findings by rule", title_justify="left", show_lines=False)
    table.add_column("code")
    table.add_column("rule")
    table.add_column("severity")
    table.add_column("count", justify="right")
    table.add_column("first at", overflow="fold")
    first: dict[str, Finding] = {}
    for finding in report.findings:
        first.setdefault(finding.code, finding)
    for code, name, severity, count in report.counts_by_rule():
        at = escape(where(first[code])) if code in first else ""
        table.add_row(code, name, f"[{STYLE[severity]}]{severity}[/]", f"{count:,}", at)
    return table


def _summary(report: Report) -> str:
    counts = report.counts()
    style = "bold red" if counts["error"] else ("yellow" if counts["warning"] else "green")
    return f"[{style}]{escape(report.summary())}[/] [dim]in {report.elapsed_s:.2f} s[/]"
