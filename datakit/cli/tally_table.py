"""A converter's tally as a rich table on stderr: every input item used or skipped, and why."""

from __future__ import annotations

from collections.abc import Collection

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from datakit.convert.tally import Tally
from datakit.report.safe import printable

_EXAMPLES_SHOWN = 3


def print_tally(
    tally: Tally, problem_reasons: Collection[str], *, title: str, console: Console
) -> None:
    """Counts per item kind, skip reasons (input problems in red), notes, and a few examples
    of each problem so that the user can find the records."""
    # A title is read as markup; the output path in it is text.
    table = Table(title=escape(printable(title)), title_justify="left", show_edge=False,
                  pad_edge=False)
    table.add_column("item")
    table.add_column("seen", justify="right")
    table.add_column("used", justify="right")
    table.add_column("skipped", justify="right")
    table.add_column("why skipped")
    summary = tally.as_dict()
    for kind, counts in summary["items"].items():
        reasons = Text()
        for reason, count in counts["skipped"].items():
            if reasons:
                reasons.append(", ")
            style = "bold red" if reason in problem_reasons else ""
            reasons.append(f"{reason} {count:,}", style=style)
        table.add_row(
            kind,
            f"{counts['seen']:,}",
            f"{counts['used']:,}",
            f"{sum(counts['skipped'].values()):,}",
            reasons,
        )
    console.print(table)
    if summary["notes"]:
        notes = ", ".join(f"{what} {count:,}" for what, count in summary["notes"].items())
        console.print(Text(f"notes: {printable(notes)}"), soft_wrap=True)
    for key, examples in summary["examples"].items():
        reason = key.split(": ", 1)[-1]
        if reason not in problem_reasons:
            continue
        console.print(Text(f"{printable(key)}:", style="bold"), soft_wrap=True)
        for example in examples[:_EXAMPLES_SHOWN]:
            console.print(Text(f"  {printable(example)}"), soft_wrap=True)
