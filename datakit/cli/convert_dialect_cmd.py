"""``datakit convert dialect``: data of one Qwen-VL family model or layout rewritten for
another (a thin adapter over ``datakit.convert.migrate``)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from datakit.cli.convert_target import TARGETS, choose_target, given, target_options
from datakit.cli.grammar import progress_option
from datakit.cli.run import EXIT_FINDINGS, EXIT_OK
from datakit.errors import ConfigError

SOURCE_LAYOUTS = ("qwen-vl", "ms-swift", "sharegpt", "qwen-vl-finetune")


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path),
              help="The file to write (atomically).")
@click.option("--data-format", "output_format", type=click.Choice(["json", "jsonl"]),
              help="json: one array; jsonl: one record per line (default: the layout's, JSON "
              "Lines for ms-swift and one array for the others, which they need).")
@target_options("--layout", "--output-layout")
@click.option("--from", "--source-target", "source_target", type=click.Choice(TARGETS),
              help="The model FILE was written for (default: from its markup; Qwen2.5-VL and "
              "Qwen3-VL JSON boxes need it unless a coordinate is above 1000).")
@click.option("--source-layout", type=click.Choice(SOURCE_LAYOUTS),
              help="FILE's layout (default: recognised per record from its keys).")
@click.option("--source-min-pixels", type=int,
              help="A Qwen2.5-VL source: the resize bounds its boxes were made with (default: "
              "its layout's framework's).")
@click.option("--source-max-pixels", type=int,
              help="A Qwen2.5-VL source: the resize bounds its boxes were made with.")
@click.option("--image-root", type=click.Path(path_type=Path),
              help="Resolve image paths against this folder (default: the working directory, "
              "as the trainer does); pictures are read (headers only) where boxes change scale.")
@click.option("--report", type=click.Path(path_type=Path),
              help="Also write the tally and options as JSON to this file.")
@progress_option
@click.option("--quiet", "-q", is_flag=True, help="No tally table on stderr.")
def dialect(file: Path, output: Path, output_format: str | None, target: str,
            output_layout: str | None,
            min_pixels: int | None, max_pixels: int | None, dataset_info: Path | None,
            dataset_name: str | None, source_target: str | None, source_layout: str | None,
            source_min_pixels: int | None, source_max_pixels: int | None,
            image_root: Path | None, report: Path | None, progress: bool | None,
            quiet: bool) -> int:
    """Rewrite Qwen-VL family training data for another model or layout.

    FILE: a JSON array or JSON Lines file (or - for standard input) in any layout (Qwen-VL,
    ms-swift, LLaMA-Factory sharegpt, qwen-vl-finetune). Boxes are rescaled exactly: Qwen-VL,
    Qwen2-VL and Qwen3-VL share the 0..1000 grid; Qwen2.5-VL boxes are pixels of the resized
    picture, so moving to or from it reads each picture's size from its file. A record whose
    picture cannot be read is skipped, never guessed.

    \b
    Exit codes: 0 written, 1 written but records were skipped as faulty
    (unreadable records or pictures), 2 usage or input error (nothing written),
    3 internal error.
    """
    from datakit.cli.outputs import dataset_inputs, guard_outputs
    from datakit.cli.signals import terminate_cleanly

    terminate_cleanly()
    if not given("target"):
        raise ConfigError("convert dialect needs --target",
                          fix=f"name the model to write for: --target {' | '.join(TARGETS)}")
    choice = choose_target(target, output_layout, min_pixels, max_pixels, dataset_info,
                           dataset_name, v1_layout_only=False)
    for flag, value in (("--source-min-pixels", source_min_pixels),
                        ("--source-max-pixels", source_max_pixels)):
        if value is not None and value < 1:
            raise ConfigError(f"{flag} must be at least 1, got {value}")
    stdin = str(file) == "-"
    guard_outputs([("--output", output), ("--report", report), ("--dataset-info", dataset_info)],
                  [] if stdin else dataset_inputs([file]))
    if image_root is not None and not image_root.is_dir():
        raise ConfigError(f"--image-root {image_root} is not a folder", fix="check the path")
    if file.is_dir() and not stdin:
        raise ConfigError(f"{file} is a folder; convert dialect rewrites one file into one",
                          fix="name one dataset file in it, and run once per file")
    if not file.is_file() and not stdin:
        raise ConfigError(f"{file}: no such file" if not file.exists() else
                          f"{file} is not a file", fix="check the path")
    run = _Run(output, output_format or choice.target.output_format, choice, report, quiet,
               progress)
    if not stdin:
        return _run(file, str(file), run, source_target, source_layout, source_min_pixels,
                    source_max_pixels, image_root)
    from datakit.cli.stdin_input import STDIN_NAME, stdin_copy

    with stdin_copy(sys.stdin.buffer) as copy:
        return _run(Path(copy), STDIN_NAME, run, source_target, source_layout,
                    source_min_pixels, source_max_pixels, image_root)


@dataclass(frozen=True)
class _Run:
    """Where and how the records go."""

    output: Path
    data_format: str  # json | jsonl
    choice: Any
    report: Path | None
    quiet: bool
    progress: bool | None


def _run(file: Path, shown: str, run: _Run, source_target: str | None,
         source_layout: str | None, source_min_pixels: int | None,
         source_max_pixels: int | None, image_root: Path | None) -> int:
    from rich.console import Console

    from datakit.cli.convert_family_run import target_summary
    from datakit.cli.convert_target import register_output
    from datakit.cli.progress import count_bar
    from datakit.cli.tally_table import print_tally
    from datakit.convert.coco_empty import NothingUsable
    from datakit.convert.migrate import PROBLEM_REASONS, MigrateOptions, has_problems
    from datakit.convert.migrate_run import checked_records, start
    from datakit.io.atomic import write_json_array, write_jsonl

    choice, output = run.choice, run.output
    options = MigrateOptions(choice.target, source_target, source_layout,  # type: ignore[arg-type]
                             source_min_pixels, source_max_pixels)
    source, tally, migration = start(file, options, image_root or Path("."), shown)

    def empty() -> NothingUsable:
        return NothingUsable(_empty_reason(tally) + f"; {output} not written",
                             fix=_empty_fix(tally))

    write = write_jsonl if run.data_format == "jsonl" else write_json_array
    try:
        with count_bar(run.progress, "records") as update:
            written = write(output, checked_records(migration, file, shown, empty, update),
                            inputs=[file])
    except NothingUsable:
        if not run.quiet:
            print_tally(tally, PROBLEM_REASONS, title=f"{output}: not written",
                        console=Console(stderr=True))
        raise
    register_output(output, choice, [file])
    target = choice.target
    if not run.quiet:
        noun = "record" if written == 1 else "records"
        print_tally(tally, PROBLEM_REASONS, console=Console(stderr=True),
                    title=f"{output}: {written:,} {noun}, {source} -> {target.model.name} "
                    f"({target.layout})")
    problems = has_problems(tally)
    if run.report is not None:
        _write_report(run, file, shown, written, source, options, tally, problems,
                      target_summary(choice))
    return EXIT_FINDINGS if problems else EXIT_OK


def _write_report(run: _Run, file: Path, shown: str, written: int, source: str,
                  options: Any, tally: Any, problems: bool, target: dict[str, Any]) -> None:
    import orjson

    from datakit.io.atomic import atomic_writer

    document = {
        "command": "datakit convert dialect",
        "inputs": [shown],
        "output": {"path": str(run.output), "format": run.data_format,
                   "records": written},
        "source": {"model": source, "layout": options.source_layout or "per record",
                   "min_pixels": options.source_min_pixels,
                   "max_pixels": options.source_max_pixels},
        "target": target,
        "input_problems": problems,
        "tally": tally.as_dict(),
    }
    assert run.report is not None
    with atomic_writer(run.report, inputs=[file]) as handle:
        handle.write(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")


def _empty_reason(tally: Any) -> str:
    from datakit.convert.migrate import RECORD

    reasons = sorted(tally.skipped.get(RECORD, {}).items(), key=lambda kv: (-kv[1], kv[0]))
    seen = tally.seen[RECORD]
    if not seen:
        return "no usable record: the file holds no records"
    shown = ", ".join(f"{count:,} {reason}" for reason, count in reasons[:3])
    return f"no usable record: {seen:,} seen, none used ({shown})"


def _empty_fix(tally: Any) -> str:
    from datakit.convert.migrate import RECORD

    reasons = set(tally.skipped.get(RECORD, {}))
    if reasons & {"file-missing", "unsafe-path"}:
        return ("check --image-root: pictures are found under it by the paths in the records "
                "(default: the working directory)")
    if "malformed" in reasons:
        return ("check --from and --source-layout against the file, or run datakit validate "
                "on it")
    return "see the examples above for what each record lacked"
