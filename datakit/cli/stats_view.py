"""Render the ``datakit stats`` summary as rich tables and a terminal histogram."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from datakit.report.safe import printable

BAR_WIDTH = 40
_FIGURES = ("min", "p50", "p90", "p95", "p99", "max", "mean")


def render_stats(result: dict[str, Any], console: Console) -> None:
    samples = result["samples"]
    files = len(result["files"])
    console.print(
        f"[bold]{samples:,} sample(s)[/] in {files} file(s); max_len {result['max_len']:,}"
    )
    _problems(result, console)
    _distributions(
        console,
        "Tokens per sample (samples that reach training)",
        {"tokens": result["tokens"], "supervised": result["supervised_tokens"]},
    )
    _histogram(result, console)
    _over_limit(result, console)
    _distributions(console, "Per sample", result["per_sample"])
    _boxes(result, console)
    _refs(result, console)
    _text_and_duplicates(result, console)
    _findings(result, console)


def _problems(result: dict[str, Any], console: Console) -> None:
    for file in result["files"]:
        for problem in file["problems"]:
            where = f":{problem['line']}" if problem["line"] else ""
            stop = " (reading stopped here)" if problem["fatal"] else ""
            text = printable(f"{file['path']}{where}: {problem['message']}{stop}")
            console.print(Text(text, style="red"), soft_wrap=True)
    if result["unparseable"]:
        console.print(f"[red]{result['unparseable']:,} record(s) are not valid JSON[/]")
    for error, count in result["rejected_by_trainer"].items():
        console.print(Text(f"{count:,} sample(s) rejected by the trainer: {printable(error)}",
                           style="red"), soft_wrap=True)


def _distributions(console: Console, title: str, rows: dict[str, dict[str, Any]]) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("")
    for name in _FIGURES:
        table.add_column(name, justify="right")
    for label, dist in rows.items():
        if not dist.get("count"):
            table.add_row(label, *["-"] * len(_FIGURES))
            continue
        table.add_row(label, *[_number(dist[name]) for name in _FIGURES])
    console.print(table)


def _histogram(result: dict[str, Any], console: Console) -> None:
    bins = result["histogram"]
    if not result["tokens"].get("count"):
        return
    limit = result["max_len"]
    peak = max(b["count"] for b in bins) or 1
    width = len(f"{bins[-1]['to'] - 1:,}")
    console.print(Text("Token length histogram", style="italic"))
    for b in bins:
        if b["from"] == limit:
            console.print(Text(f"{'':>{2 * width + 3}} ── max_len {limit:,} ──", style="red"))
        bar = "█" * round(b["count"] / peak * BAR_WIDTH)
        if b["count"] and not bar:
            bar = "▏"
        style = "red" if b["from"] >= limit else "green"
        line = Text(f"{b['from']:>{width},} – {b['to'] - 1:>{width},} ")
        line.append(bar.ljust(BAR_WIDTH), style=style)
        line.append(f" {b['count']:,}")
        console.print(line)


def _over_limit(result: dict[str, Any], console: Console) -> None:
    over = result["over_limit"]
    total = result["tokens"].get("count", 0)
    share = f" ({over['samples'] / total:.1%})" if total else ""
    style = "red" if over["samples"] else "green"
    console.print(
        f"[{style}]over max_len: {over['samples']:,}{share}[/]; cut inside an image "
        f"(training crashes): {over['cut_in_image']:,}; answer cut: {over['answer_cut']:,}; "
        f"nothing supervised left: {over['nothing_supervised_left']:,}"
    )


def _boxes(result: dict[str, Any], console: Console) -> None:
    boxes = result["boxes"]
    console.print(
        f"\n[bold]{boxes['count']:,} box(es)[/]; malformed {boxes['malformed']:,}; "
        f"x2<=x1 or y2<=y1 {boxes['inverted']:,}; images {result['images']['references']:,} "
        f"references to {result['images']['distinct']:,} distinct paths"
    )
    _distributions(
        console,
        "Box size on the 0..999 grid",
        {"width": boxes["width_norm1000"], "height": boxes["height_norm1000"]},
    )
    shares = Table(title="Box area as a share of the image", title_justify="left")
    for label in boxes["area_share"]:
        shares.add_column(label, justify="right")
    shares.add_row(*[f"{n:,}" for n in boxes["area_share"].values()])
    console.print(shares)


def _refs(result: dict[str, Any], console: Console) -> None:
    refs = result["refs"]
    if not refs["top"]:
        return
    table = Table(
        title=f"Most frequent refs ({refs['distinct']:,} distinct of {refs['count']:,})",
        title_justify="left",
    )
    table.add_column("ref")
    table.add_column("count", justify="right")
    for item in refs["top"]:
        table.add_row(Text(printable(item["text"])), f"{item['count']:,}")
    console.print(table)


def _text_and_duplicates(result: dict[str, Any], console: Console) -> None:
    text = result["text"]
    if text["han_share"] is None:
        console.print("text: no Chinese characters or Latin letters")
    else:
        by = text["samples"]
        console.print(
            f"text: Chinese characters {text['han_share']:.1%}, Latin letters "
            f"{text['latin_share']:.1%}; samples: Chinese {by['chinese']:,}, Latin "
            f"{by['latin']:,}, mixed {by['mixed']:,}, neither {by['none']:,}"
        )
    dup = result["duplicates"]
    style = "yellow" if dup["ids"] or dup["samples"] else "green"
    console.print(
        f"[{style}]duplicates: {dup['ids']:,} repeated id(s), "
        f"{dup['samples']:,} repeated conversation(s)[/]"
    )


def _findings(result: dict[str, Any], console: Console) -> None:
    findings = result["findings"]
    if not findings["checked"]:
        console.print("findings: not checked (--no-findings)")
        return
    codes = ", ".join(f"{code} {n:,}" for code, n in findings["by_code"].items())
    console.print(
        f"findings: {findings['samples_with_findings']:,} sample(s) with findings"
        + (f" ({codes})" if codes else "")
        + "; `datakit validate` explains them"
    )


def _number(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"
