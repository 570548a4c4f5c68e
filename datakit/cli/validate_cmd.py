"""``datakit validate``: a thin adapter from options to ``validate_files`` and a reporter."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from datakit.cli.engine_options import check_engine, engine_options
from datakit.cli.fix_cmd import fix_before_validate, fix_options
from datakit.cli.options import (
    family_options,
    family_overrides,
    report_format,
    report_options,
    split_codes,
)
from datakit.errors import InputError
from datakit.report.safe import printable
from datakit.validation.finding_cap import DEFAULT_LIMIT
from datakit.validation.settings import MAX_JOBS

# Findings listed per rule and file when a person reads the report on a terminal.
TERMINAL_LIMIT = 20


@click.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@report_options
@click.option("--output", "-o", type=click.Path(path_type=Path),
              help="Write the report to this file (atomically) instead of stdout.")
@click.option("--config", type=click.Path(path_type=Path),
              help="A pyproject.toml (or TOML file) with [tool.datakit]; default: the nearest "
              "pyproject.toml with that table.")
@click.option("--select", multiple=True, help="Only these rule codes/prefixes (comma lists).")
@click.option("--extend-select", multiple=True,
              help="Check these too, on top of --select or the configured select list.")
@click.option("--ignore", multiple=True, help="Skip these rule codes/prefixes (comma lists).")
@click.option("--extend-ignore", multiple=True,
              help="Skip these too, on top of --ignore or the configured ignore list.")
@click.option("--max-len", "--cutoff-len", "max_len", type=click.IntRange(min=1),
              help="The trainer's cut length: model_max_length, LLaMA-Factory cutoff_len, "
              "ms-swift max_length (default: config, else 2048 for Qwen-VL, else the "
              "framework's).")
@family_options
@click.option("--image-root", type=click.Path(path_type=Path),
              help="Resolve image paths against this folder (default: the working directory, "
              "as the trainer does).")
@click.option("--images", type=click.Choice(["none", "exists", "header", "decode"]),
              help="How deeply image files are checked (default: header).")
@click.option("--tokenizer", help="A Qwen-VL model directory or a qwen.tiktoken file.")
@click.option("--holdout", multiple=True, type=click.Path(path_type=Path),
              help="Images that must not appear in training (file list, COCO/RefCOCO "
              "instances, Qwen-VL file, or --emit-holdout output).")
@click.option("--jobs", "-j", type=click.IntRange(min=0, max=MAX_JOBS),
              help="Worker processes (0 = all cores).")
@click.option("--strict", is_flag=True, default=None, help="Warnings fail too (exit 1).")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Image-check cache folder.")
@click.option("--no-cache", is_flag=True, help="Do not use the image-check cache.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar (default: when stderr is a terminal).")
@click.option("--max-findings-per-rule", type=click.IntRange(min=0),
              help="List at most N findings of each rule per file; the rest are counted "
              f"(0 = all; default: {TERMINAL_LIMIT} on a terminal, else {DEFAULT_LIMIT}).")
@click.option("--skip-non-datasets", is_flag=True,
              help="The files are a list from a tool (pre-commit sets this by itself): skip "
              "those that include/exclude rule out or that plainly hold no dataset, instead "
              "of reporting them.")
@engine_options
@fix_options
def validate(
    files: tuple[Path, ...],
    output_format: str | None,
    old_format: str | None,
    statistics: bool,
    exit_zero: bool,
    output: Path | None,
    config: Path | None,
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_ignore: tuple[str, ...],
    max_len: int | None,
    image_root: Path | None,
    images: str | None,
    tokenizer: str | None,
    holdout: tuple[Path, ...],
    jobs: int | None,
    strict: bool | None,
    cache_dir: Path | None,
    no_cache: bool,
    progress: bool | None,
    skip_non_datasets: bool,
    max_findings_per_rule: int | None,
    target: str | None,
    framework: str | None,
    min_pixels: int | None,
    max_pixels: int | None,
    truncation_strategy: str | None,
    engine: str,
    ray_address: str | None,
) -> int:
    """Check Qwen-VL datasets (.json, .jsonl, .parquet, .json.gz) before training.

    Every file named is checked; '-' reads standard input. Folders are searched for dataset
    files (include/exclude in [tool.datakit]).

    \b
    Exit codes: 0 clean or warnings only, 1 errors (or warnings with --strict;
    never with --exit-zero), 2 usage or configuration error, 3 internal error.
    """
    from datakit.cli.inputs import refuse_empty_folders
    from datakit.cli.progress import progress_callback
    from datakit.validation.files import select_dataset_files
    from datakit.validation.settings import load_settings

    output_format = report_format(output_format, old_format)
    settings = load_settings(config)
    settings = settings.with_overrides(
        select=split_codes(select) or None,
        ignore=split_codes(ignore) or None,
        max_len=max_len,
        image_root=str(image_root.resolve()) if image_root else None,
        images=images,
        tokenizer=str(Path(tokenizer).resolve()) if tokenizer else None,
        holdout=tuple(str(p.resolve()) for p in holdout) or None,
        jobs=jobs,
        strict=strict,
        cache_dir=str(cache_dir.resolve()) if cache_dir else None,
        cache=False if no_cache else None,
        max_findings_per_rule=max_findings_per_rule,
        **family_overrides(target, framework, min_pixels, max_pixels, truncation_strategy,
                           settings.target),
    )
    if settings.max_findings_per_rule is None and output_format in ("full", "concise") \
            and output is None and sys.stdout.isatty():
        settings = settings.with_overrides(max_findings_per_rule=TERMINAL_LIMIT)
    if extend_select and settings.select:  # an empty select already checks every rule
        settings = settings.with_overrides(select=settings.select + split_codes(extend_select))
    if extend_ignore:
        # Hooks fix some codes (the fast hook skips K) without dropping the project's own list.
        settings = settings.with_overrides(ignore=settings.ignore + split_codes(extend_ignore))
    if not files:
        raise InputError("no dataset files given", fix="datakit validate FILE [FILE ...]")
    if sum(1 for f in files if str(f) == "-") > 1:
        raise InputError("'-' (standard input) is named more than once", fix="name it once")
    check_engine(engine, ray_address, stdin=any(str(f) == "-" for f in files))
    # pre-commit hands every staged file that its pattern matches to a hook, and says so.
    file_list = skip_non_datasets or os.environ.get("PRE_COMMIT") == "1"
    named = [f for f in files if str(f) != "-"]
    selection = select_dataset_files(named, settings, skip_non_datasets=file_list)
    for path, why in selection.not_datasets:
        click.echo(f"datakit: skipped {printable(str(path))}: {printable(why)} (list it in "
                   "[tool.datakit] include to check it anyway)", err=True)
    refuse_empty_folders(selection.empty_folders)
    paths = selection.files
    from datakit.cli.outputs import dataset_inputs, guard_outputs, settings_inputs

    guard_outputs([("--output", output)], [
        *dataset_inputs(paths), *settings_inputs(config, settings.tokenizer),
        *(("--holdout file", Path(h)) for h in holdout)])
    if not paths and len(named) == len(files):
        click.echo("datakit: no dataset files to check (see [tool.datakit] include/exclude)",
                   err=True)
        return 0
    fix_before_validate(paths, settings, stdin=len(named) < len(files))
    from contextlib import ExitStack

    from datakit.cli.stdin_input import STDIN_NAME, stdin_copy
    from datakit.validation.engine import validate_files

    with ExitStack() as stack:
        display: dict[str, str] = {}
        if len(named) < len(files):
            copy = stack.enter_context(stdin_copy(sys.stdin.buffer))
            display[copy] = STDIN_NAME
            at = [str(f) for f in files].index("-")
            before = sum(1 for f in selection.files if _named_before(f, files[:at]))
            paths = [*paths[:before], copy, *paths[before:]]
        with progress_callback(progress) as callback:
            report = validate_files(paths, settings, callback, display, engine=engine,
                                    ray_address=ray_address)
    from datakit.cli.report_out import emit_report

    emit_report(report, output_format, output, statistics)
    return 0 if exit_zero else report.exit_code()


def _named_before(selected: str, earlier: tuple[Path, ...]) -> bool:
    """Whether a selected file came from one of the ``earlier`` arguments (the file itself, or
    a folder it lies in), so that ``-`` keeps its place among the files."""
    for arg in earlier:
        text = str(arg)
        if selected == text or selected.startswith(os.path.join(os.path.normpath(text), "")):
            return True
    return False
