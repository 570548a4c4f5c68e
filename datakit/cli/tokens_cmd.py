"""``datakit tokens``: exact per-sample token counts, as Qwen-VL's trainer computes them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from datakit.cli.engine_options import check_engine, engine_options
from datakit.cli.grammar import GrammarCommand, progress_option
from datakit.cli.options import family_options, family_overrides
from datakit.validation.settings import MAX_JOBS

if TYPE_CHECKING:  # the run's modules (the tokenizer, the readers) load when it runs
    from datakit.cli.tokens_run import TokenRun


@click.command(cls=GrammarCommand, renamed={"--format": "--output-format"})
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--output-format",
    "output_format",
    type=click.Choice(["jsonl", "text"]),
    default="jsonl",
    show_default=True,
    help="One JSON line per sample, or a summary table (wherever the output goes).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="Write the JSON lines to this file (atomically) instead of stdout.",
)
@click.option(
    "--max-len",
    "--cutoff-len",
    "max_len",
    type=click.IntRange(min=1),
    help="The trainer's cut length: model_max_length, LLaMA-Factory cutoff_len, ms-swift "
    "max_length (default: config, else 2048 for Qwen-VL, else the framework's).",
)
@family_options
@click.option("--image-root", type=click.Path(path_type=Path),
              help="Where image paths resolve, for the sizes of Qwen2-VL/2.5-VL/3-VL pictures "
              "(default: the working directory).")
@click.option("--tokenizer", help="A Qwen-VL model directory or a qwen.tiktoken file.")
@click.option(
    "--config",
    type=click.Path(path_type=Path),
    help="A pyproject.toml (or TOML file) with [tool.datakit] (max-len, tokenizer, jobs).",
)
@click.option("--jobs", "-j", type=click.IntRange(min=0, max=MAX_JOBS),
              help="Worker processes (0 = all cores).")
@progress_option
@engine_options
def tokens(
    files: tuple[Path, ...],
    output_format: str,
    output: Path | None,
    max_len: int | None,
    tokenizer: str | None,
    config: Path | None,
    jobs: int | None,
    target: str | None,
    framework: str | None,
    min_pixels: int | None,
    max_pixels: int | None,
    truncation_strategy: str | None,
    image_root: Path | None,
    progress: bool | None,
    engine: str,
    ray_address: str | None,
) -> int:
    """Exact token counts per sample, as Qwen-VL's tokenizer and finetune.py compute them.

    Each JSON line holds the unpadded length (tokens), the supervised label count, the images,
    and what the right cut at max_len does: truncated, cut_at, cut_in_image (an <img> survives
    without its </img>: training crashes), supervised_after_cut, answer_cut (the last answer or
    its <|im_end|> is cut off), and error (the exception the trainer raises on the sample).

    \b
    Exit codes: 0 every sample trains, 1 some sample makes training fail (or a
    file cannot be read to its end), 2 usage or configuration error, 3 internal error.
    """
    from datakit.cli.inputs import paths_with_stdin
    from datakit.cli.outputs import dataset_inputs, guard_outputs, settings_inputs
    from datakit.cli.progress import progress_callback
    from datakit.cli.signals import terminate_cleanly
    from datakit.cli.tokens_run import TokenRun
    from datakit.io.parallel import default_jobs
    from datakit.qwenvl.tokens import QwenTokenCounter
    from datakit.report.safe import printable
    from datakit.validation.settings import load_settings

    settings = load_settings(config)
    settings = settings.with_overrides(
        max_len=max_len, tokenizer=tokenizer, jobs=jobs,
        image_root=str(image_root.resolve()) if image_root else None,
        **family_overrides(target, framework, min_pixels, max_pixels, truncation_strategy,
                           settings.target))
    if output is not None and output_format != "jsonl":
        raise click.UsageError("--output writes JSON lines; the text summary goes to the "
                               "terminal (drop --output-format text, or --output)")
    check_engine(engine, ray_address, stdin=any(str(f) == "-" for f in files))
    with paths_with_stdin(files, settings, "tokens") as (paths, names):
        terminate_cleanly()
        guard_outputs([("--output", output)],
                      [*dataset_inputs(paths), *settings_inputs(config, settings.tokenizer)])
        QwenTokenCounter.load(settings.tokenizer)  # a missing vocabulary fails here
        run = TokenRun(settings.max_len, settings.tokenizer, settings.jobs or default_jobs(),
                       settings, names=names)
        if engine == "ray":
            from datakit.cli.tokens_ray import RayRun

            run = RayRun(run.max_len, run.tokenizer, run.jobs, settings, address=ray_address)
        with progress_callback(progress) as callback:
            run.progress = callback
            _write(run, paths, output_format, output)
    for problem in run.file_problems:
        where = f"{problem.file}:{problem.line}" if problem.line is not None else problem.file
        click.echo(f"datakit: {printable(where)}: {printable(problem.message)}\n"
                   f"  fix: {printable(str(problem.fix))}", err=True)
    incomplete = any(p.fatal for p in run.file_problems)
    return 1 if run.failing or incomplete else 0


def _write(run: TokenRun, paths: list[str], output_format: str, output: Path | None) -> None:
    if output_format == "text":
        run.execute(paths, None)
        _render_summary(run)
    elif output is not None:
        from datakit.io.atomic import atomic_writer

        with atomic_writer(output, inputs=paths) as handle:
            run.execute(paths, handle)
    else:
        run.execute(paths, sys.stdout.buffer)
        sys.stdout.flush()


def _percentile(sorted_values: list[int], share: float) -> int:
    """Nearest-rank percentile."""
    rank = max(1, -(-len(sorted_values) * share // 1))
    return sorted_values[int(rank) - 1]


def _render_summary(run: TokenRun) -> None:
    import orjson
    from rich.console import Console
    from rich.table import Table

    from datakit.report.safe import printable

    console = Console(highlight=False)
    values = sorted(run.token_counts)
    console.print(
        f"[bold]{run.samples:,}[/] samples, max_len [bold]{run.max_len}[/]"
        f" ({len(values):,} that the trainer accepts)"
    )
    for target in dict.fromkeys(run.targets):
        console.print(printable(f"counted as {target}"), markup=False)
    if values:
        table = Table("tokens", box=None, pad_edge=False)
        for name in ("p50", "p90", "p99", "max"):
            table.add_column(name, justify="right")
        points = [_percentile(values, s) for s in (0.5, 0.9, 0.99)] + [values[-1]]
        table.add_row("count", *(f"{v:,}" for v in points), style="bold")
        table.add_row("of max_len", *(f"{v / run.max_len:.0%}" for v in points))
        console.print(table)
    console.print(
        f"training fails: {run.failing:,}   over max_len: {run.truncated:,}   "
        f"cut inside an image: {run.cut_in_image:,}   answer cut: {run.answer_cut:,}"
    )
    for line in run.listed:
        row = orjson.loads(line)
        where = f"{row['file']}:{row['line']}" if row["line"] is not None else row["file"]
        reason = (
            row["error"]
            or ", ".join(
                name
                for name, hit in (
                    ("cut inside an image", row["cut_in_image"]),
                    ("answer cut", row["answer_cut"]),
                    (f"{row['tokens']:,} tokens > {row['max_len']:,}", row["truncated"]),
                )
                if hit
            )
            or "; ".join(p["message"] for p in row["problems"] if p["fatal"])
        )
        ident = f" id={row['id']}" if row["id"] is not None else ""
        console.print(printable(f"  {where}{ident}: {reason}"), markup=False, soft_wrap=True)
