"""``datakit rules`` and ``datakit rule CODE``: the rule catalogue and one rule's docs."""

from __future__ import annotations

import click

from datakit.cli.grammar import GrammarCommand


@click.command(cls=GrammarCommand, renamed={"--format": "--output-format"})
@click.option("--output-format", "output_format", type=click.Choice(["text", "json"]),
              default="text", show_default=True, help="A table, or a JSON array.")
def rules(output_format: str) -> int:
    """List every validation rule with its code, name, severity and summary."""
    from datakit.validation.registry import RULES

    if output_format == "json":
        import json

        rows = [
            {"code": r.code, "name": r.name, "severity": r.severity.value, "scope": r.scope,
             "summary": r.summary}
            for r in RULES.values()
        ]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False)
    for column in ("code", "name", "severity", "summary"):
        table.add_column(column, overflow="fold")
    for r in RULES.values():
        table.add_row(r.code, r.name, r.severity.value, r.summary)
    Console().print(table)
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
