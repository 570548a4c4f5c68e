"""``datakit rules`` and ``datakit rule CODE``: the rule catalogue and one rule's docs."""

from __future__ import annotations

import io
from pathlib import Path

import click

from datakit.cli.grammar import GrammarCommand

_FILE_WIDTH = 10_000  # wide enough that no summary is folded: a row per rule


@click.command(cls=GrammarCommand, renamed={"--format": "--output-format"})
@click.option("--output-format", "output_format", type=click.Choice(["text", "json"]),
              default="text", show_default=True, help="A table, or a JSON array.")
@click.option("--output", "-o", type=click.Path(path_type=Path),
              help="Write the list to this file (atomically) instead of stdout.")
def rules(output_format: str, output: Path | None) -> int:
    """List every validation rule with its code, name, severity and summary."""
    from datakit.validation.registry import RULES

    if output_format == "json":
        import json

        rows = [
            {"code": r.code, "name": r.name, "severity": r.severity.value, "scope": r.scope,
             "summary": r.summary}
            for r in RULES.values()
        ]
        text = json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
        if output is None:
            click.echo(text, nl=False)
            return 0
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(show_lines=False)
        for column in ("code", "name", "severity", "summary"):
            table.add_column(column, overflow="fold")
        for r in RULES.values():
            table.add_row(r.code, r.name, r.severity.value, r.summary)
        if output is None:
            Console().print(table)
            return 0
        # A file gets the table as a wide terminal shows it, without colour codes.
        buffer = io.StringIO()
        Console(file=buffer, width=_FILE_WIDTH, color_system=None,
                force_terminal=False).print(table)
        text = buffer.getvalue()
    from datakit.io.atomic import atomic_writer

    with atomic_writer(output) as handle:
        handle.write(text.encode("utf-8"))
    return 0


@click.command()
@click.argument("code")
def rule(code: str) -> int:
    """Explain one rule: what it checks, why it matters, how to fix it, with examples."""
    from datakit.validation.registry import lookup

    found = lookup(code)
    if found is None:
        raise click.UsageError(f"no rule {code!r}; see `datakit rules`")
    lines = [
        f"{found.code} {found.name} ({found.severity.value}, {found.scope})",
        "",
        found.summary,
        "",
        "Why it matters:",
        f"  {found.why}",
        "",
        "How to fix:",
        f"  {found.fix}",
    ]
    for option in found.options:
        lines.append(f"Option {option.key} ({option.type.__name__}, default {option.default}): "
                     f"{option.help}")
    lines += ["", "Fails:", f"  {found.bad}", "", "Passes:", f"  {found.good}"]
    click.echo("\n".join(lines))
    return 0
