"""``datakit stats``: a thin adapter from options to ``collect_stats`` and a renderer."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from datakit.cli.engine_options import check_engine, engine_options
from datakit.cli.grammar import GrammarCommand, progress_option
from datakit.cli.options import family_options, family_overrides
from datakit.validation.settings import MAX_JOBS


@click.command(cls=GrammarCommand, renamed={"--format": "--output-format"})
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--output-format", "output_format", type=click.Choice(["text", "json"]),
              help="Tables, or one JSON document (default: json with --output, else text).")
@click.option("--output", "-o", type=click.Path(path_type=Path),
              help="Write the statistics to this file (atomically) instead of stdout.")
@click.option("--parquet", "parquet_path", type=click.Path(path_type=Path),
              help="Also write one row per sample to this Parquet file (atomically).")
@click.option("--no-findings", is_flag=True,
              help="Do not run validation (faster; finding_codes is then null).")
@click.option("--max-len", type=click.IntRange(min=1),
              help="The trainer's model_max_length (default: config, else 2048 for Qwen-VL, "
              "else the framework's).")
@family_options
@click.option("--tokenizer", help="A Qwen-VL model directory or a qwen.tiktoken file.")
@click.option("--config", type=click.Path(path_type=Path),
              help="A pyproject.toml (or TOML file) with [tool.datakit] for the validation run.")
@click.option("--image-root", type=click.Path(path_type=Path),
              help="Resolve image paths against this folder (default: the working directory).")
@click.option("--images", type=click.Choice(["none", "exists", "header", "decode"]),
              help="How deeply validation checks image files (default: header).")
@click.option("--top", type=click.IntRange(min=0), default=20, show_default=True,
              help="How many of the most frequent refs to list.")
@click.option("--jobs", "-j", type=click.IntRange(min=0, max=MAX_JOBS),
              help="Worker processes (0 = all cores).")
@progress_option
@engine_options
def stats(
    files: tuple[Path, ...],
    output_format: str | None,
    output: Path | None,
    parquet_path: Path | None,
    no_findings: bool,
    max_len: int | None,
    tokenizer: str | None,
    config: Path | None,
    image_root: Path | None,
    images: str | None,
    top: int,
    jobs: int | None,
    progress: bool | None,
    target: str | None,
    framework: str | None,
    min_pixels: int | None,
    max_pixels: int | None,
    truncation_strategy: str | None,
    engine: str,
    ray_address: str | None,
) -> int:
    """Token, image, box and text statistics of Qwen-VL family datasets.

    Each file is counted for its model and trainer (--target, --framework, or auto from its
    layout and markup, as validate decides); Qwen2-VL, Qwen2.5-VL and Qwen3-VL token counts use
    the framework's template and image sizes from the picture files.

    \b
    Exit codes: 0 done, 1 a file could not be read to its end (figures are
    incomplete), 2 usage or configuration error, 3 internal error.
    """
    from datakit.cli.inputs import paths_with_stdin
    from datakit.statistics.collect import collect_stats
    from datakit.validation.settings import load_settings

    if output_format is None:
        output_format = "json" if output is not None else "text"
    check_engine(engine, ray_address, stdin=any(str(f) == "-" for f in files))
    collect: Any = collect_stats  # the two take the same arguments
    if engine == "ray":
        from datakit.distributed.stats import collect_on_ray as collect
    settings = load_settings(config)
    settings = settings.with_overrides(
        max_len=max_len,
        image_root=str(image_root.resolve()) if image_root else None,
        images=images,
        tokenizer=tokenizer,
        jobs=jobs,
        **family_overrides(target, framework, min_pixels, max_pixels, truncation_strategy,
                           settings.target),
    )
    with paths_with_stdin(files, settings, "stats") as (paths, names):
        accumulator = _collect(collect, paths, names, settings, config, output, parquet_path,
                               no_findings, progress, engine, ray_address)
    result = accumulator.result(top_refs=top)
    _emit(result, output_format, output)
    incomplete = any(p["fatal"] for f in result["files"] for p in f["problems"])
    return 1 if incomplete else 0


def _collect(collect: Any, paths: list[str], names: dict[str, str], settings: Any,
             config: Path | None, output: Path | None, parquet_path: Path | None,
             no_findings: bool, progress: bool | None, engine: str,
             ray_address: str | None) -> Any:
    from datakit.cli.outputs import dataset_inputs, guard_outputs, settings_inputs
    from datakit.cli.progress import progress_callback
    from datakit.cli.signals import terminate_cleanly
    from datakit.io.parallel import default_jobs

    terminate_cleanly()
    guard_outputs([("--output", output), ("--parquet", parquet_path)],
                  [*dataset_inputs(paths), *settings_inputs(config, settings.tokenizer)])
    codes = None
    if not no_findings:
        from datakit.statistics.findings import find_by_sample

        with progress_callback(progress) as callback:
            codes = find_by_sample(paths, settings, callback, engine=engine,
                                   ray_address=ray_address, display_names=names).codes()
    run: dict[str, Any] = {
        "max_len": settings.max_len,
        "tokenizer": settings.tokenizer,
        "jobs": settings.jobs or default_jobs(),
        "codes_by_sample": codes,
        **({"address": ray_address} if engine == "ray" else {}),
        **({"display_names": names} if names else {}),  # standard input: <stdin>
        "settings": settings,
    }
    with progress_callback(progress) as callback:
        if parquet_path is None:
            return collect(paths, progress=callback, **run)
        from datakit.statistics.parquet import SampleTableWriter

        with SampleTableWriter(parquet_path, settings.max_len, inputs=paths) as table:
            return collect(paths, progress=callback, on_sample=table.add, **run)


def _emit(result: dict[str, Any], output_format: str, output: Path | None) -> None:
    from rich.console import Console

    from datakit.cli.stats_view import render_stats

    if output_format == "text" and output is None:
        render_stats(result, Console(highlight=False, soft_wrap=True))
        return
    if output_format == "text":
        import io

        # A file gets the tables as a wide terminal would show them, without colour codes.
        buffer = io.StringIO()
        render_stats(result, Console(file=buffer, highlight=False, soft_wrap=True, width=120,
                                     color_system=None, force_terminal=False))
        text = buffer.getvalue()
    else:
        import json

        text = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    from datakit.io.atomic import atomic_writer

    with atomic_writer(output) as handle:  # inputs checked at the start (guard_outputs)
        handle.write(text.encode("utf-8"))
