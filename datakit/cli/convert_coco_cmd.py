"""``datakit convert coco``: a thin adapter from options and files to ``convert_coco``."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from datakit.cli.convert_common import collector_paused, progress_bar, task_of, write_coco_report
from datakit.cli.convert_target import choose_target, target_options
from datakit.cli.grammar import GrammarCommand, data_output_options, progress_option
from datakit.cli.options import split_codes
from datakit.cli.run import EXIT_FINDINGS, EXIT_OK
from datakit.errors import ConfigError


def _renames(values: tuple[str, ...]) -> dict[str, str]:
    renames: dict[str, str] = {}
    for value in values:
        old, sep, new = value.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise ConfigError(
                f"--rename {value!r} is not OLD=NEW", fix="e.g. --rename 'tv=television'"
            )
        renames[old.strip()] = new.strip()
    return renames


@click.command(cls=GrammarCommand, renamed={"--format": "--data-format"})
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@data_output_options
@click.option("--task", "tasks", multiple=True,
              help="grounding, detection, caption (comma lists; default: grounding for an "
              "instances file, caption for a captions file).")
@click.option("--language", "languages", default="en", show_default=True,
              help="Prompt languages, picked per sample: en, zh or en,zh.")
@click.option("--templates", type=click.Path(path_type=Path),
              help="Prompt templates (JSON, or TOML): {slot: {language: [template, ...]}}; "
              "slots grounding ({category}), detection, caption, caption.followup.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the per-sample prompt choice.")
@click.option("--rounding", type=click.Choice(["floor", "round"]), default="floor",
              show_default=True, help="Pixel to grid rule: min(999, floor(v/size*1000)) or round.")
@click.option("--max-boxes", type=click.IntRange(min=1),
              help="At most this many boxes per category and image (top to bottom, left to "
              "right).")
@click.option("--include-crowd", is_flag=True,
              help="Keep iscrowd=1 annotations (skipped by default).")
@click.option("--rename", "renames", multiple=True, metavar="OLD=NEW",
              help="Write category OLD as NEW (repeatable; NEW may merge categories).")
@click.option("--names", "names_file", type=click.Path(path_type=Path),
              help="JSON object of source category name -> text written instead (after the "
              "built-in rule: LVIS '_(...)' dropped, stuff suffixes dropped, '_' -> ' ').")
@click.option("--zh-names", is_flag=True,
              help="With --language zh: COCO's 80 categories by their Chinese names.")
@click.option("--negatives", is_flag=True,
              help="LVIS: each neg_category_ids entry as a 'there is no X' sample.")
@click.option("--label-map", type=click.Path(path_type=Path),
              help="ODVG: the label map ({\"0\": \"person\", ...}); reads the file as detection.")
@click.option("--categories", "categories", multiple=True,
              help="Keep only these categories (source names, comma lists).")
@click.option("--image-root", type=click.Path(path_type=Path),
              help="Folder holding the images: their sizes are read from the files, and missing "
              "or unreadable files are skipped.")
@click.option("--path-prefix",
              help="Prepended to file_name in the output: the path the trainer opens from its "
              "working directory (default: --image-root as given, or nothing).")
@click.option("--size-mismatch", type=click.Choice(["file", "annotation", "skip"]),
              default="file", show_default=True,
              help="With --image-root, when the file's size differs from the annotation's.")
@click.option("--caption-mode", type=click.Choice(["each", "turns"]), default="each",
              show_default=True, help="One sample per caption, or all captions as turns of one.")
@click.option("--split", help="Split name written into the record ids (e.g. train2017).")
@click.option("--limit", type=click.IntRange(min=0), help="Convert only the first N usable images.")
@click.option("--report", type=click.Path(path_type=Path),
              help="Also write the tally and options as JSON to this file.")
@progress_option
@click.option("--quiet", "-q", is_flag=True, help="No tally table on stderr.")
@target_options("--layout", "--output-layout")
def coco(files: tuple[Path, ...], output: Path, output_format: str, tasks: tuple[str, ...],
         languages: str, templates: Path | None, seed: int, rounding: str,
         max_boxes: int | None, include_crowd: bool, renames: tuple[str, ...],
         names_file: Path | None, zh_names: bool, negatives: bool, label_map: Path | None,
         categories: tuple[str, ...],
         image_root: Path | None, path_prefix: str | None,
         size_mismatch: str, caption_mode: str, split: str | None, limit: int | None,
         report: Path | None, progress: bool | None, quiet: bool, target: str,
         output_layout: str | None, min_pixels: int | None, max_pixels: int | None,
         dataset_info: Path | None, dataset_name: str | None) -> int:
    """Convert COCO instances and/or captions JSON to Qwen-VL conversations.

    FILES: one instances file and/or one captions file of the same split (.json or .json.gz).
    Every image, category, annotation and caption is used or skipped with a reason.

    \b
    Exit codes: 0 written, 1 written but input records were skipped as faulty
    (malformed, duplicate ids, dangling references, missing images) or nothing usable
    (nothing written), 2 usage or input error (nothing written), 3 internal error.
    """
    from datakit.cli.outputs import dataset_inputs, guard_outputs
    from datakit.cli.signals import terminate_cleanly
    from datakit.convert.category_names import CategoryNames, load_names_file
    from datakit.convert.coco import TASKS, CocoInput, CocoOptions, check_prompts
    from datakit.convert.coco_load import load_coco_file
    from datakit.convert.coco_prompts import SLOTS
    from datakit.convert.prompts import load_prompt_file, required_languages

    terminate_cleanly()
    # Found now rather than after reading a large annotation file.
    guard_outputs([("--output", output), ("--report", report), ("--dataset-info", dataset_info)],
                  [*dataset_inputs(files), ("--templates file", templates)])
    user_prompts = load_prompt_file(templates) if templates is not None else None
    choice = choose_target(target, output_layout, min_pixels, max_pixels, dataset_info,
                           dataset_name, v1_only=("rounding", "negatives"), templates=user_prompts)
    if image_root is not None and not image_root.is_dir():
        raise ConfigError(f"--image-root {image_root} is not a folder", fix="check the path")
    chosen = split_codes(tasks)
    if zh_names and required_languages(languages) != ["zh"]:
        raise ConfigError("--zh-names needs --language zh alone",
                          fix="Chinese names in English prompts would mix the languages")
    overrides = load_names_file(names_file) if names_file is not None else {}
    overrides.update(_renames(renames))
    options = CocoOptions(
        tasks=chosen or TASKS, languages=tuple(required_languages(languages)),
        prompts=user_prompts, seed=seed, rounding=rounding,  # type: ignore[arg-type]
        max_boxes=max_boxes, include_crowd=include_crowd,
        renames=CategoryNames(overrides, zh=zh_names),
        categories=frozenset(split_codes(categories)) or None,
        path_prefix=path_prefix if path_prefix is not None else _default_prefix(image_root),
        split=split, limit=limit, caption_mode=caption_mode,  # type: ignore[arg-type]
        size_mismatch=size_mismatch,  # type: ignore[arg-type]
        negatives=negatives,
    )
    # Options and templates fail here, before a large annotation file is read (with the tasks
    # still unknown, the templates are checked for everything but their languages).
    if chosen:
        check_prompts(options)
    elif user_prompts is not None:
        user_prompts.check(SLOTS, options.languages, used=())

    sources = _load_sources(files, load_coco_file)
    from datakit.cli.convert_grounding_run import resolve_grounding, run_grounding

    grounding = resolve_grounding(sources, label_map)
    if grounding is not None:
        return run_grounding(grounding, options, bool(chosen), files, output, output_format,
                             image_root, report, quiet, choice.target.is_v1)
    if not chosen:
        defaults = (("grounding",) if "instances" in sources else ()) + (
            ("caption",) if "captions" in sources else ())
        options = dataclasses.replace(options, tasks=defaults)
    inputs = [CocoInput(sources[kind][1], str(sources[kind][0])) if kind in sources else None
              for kind in ("instances", "captions")]
    sources.clear()
    if not choice.target.is_v1:
        from datakit.cli.convert_family_run import run_coco

        return run_coco(inputs, options, files, output, image_root, report, progress, quiet,
                        choice)
    return _run(inputs, options, files, output, output_format, image_root, report, progress,
                quiet)


def _default_prefix(image_root: Path | None) -> str:
    if image_root is None:
        return ""
    text = image_root.as_posix()
    return "" if text == "." else text


def _load_sources(
    files: tuple[Path, ...], load: Callable[[Path], Any]
) -> dict[str, tuple[Path, Any]]:
    from datakit.convert.coco_kinds import recognise

    sources: dict[str, tuple[Path, Any]] = {}
    for path in files:
        data = load(path)
        kind = recognise(data, str(path))
        if kind in sources:
            raise ConfigError(
                f"{path} and {sources[kind][0]} are both COCO {kind} files",
                fix="convert one split at a time: one instances and/or one captions file",
            )
        sources[kind] = (path, data)
    return sources


def _run(inputs: list[Any], options: Any, files: tuple[Path, ...], output: Path,
         output_format: str, image_root: Path | None, report: Path | None,
         progress: bool | None, quiet: bool) -> int:
    from rich.console import Console

    from datakit.cli.tally_table import print_tally
    from datakit.convert.coco import PROBLEM_REASONS, convert_coco, has_problems
    from datakit.convert.coco_empty import NothingUsable, empty_fix, empty_reason
    from datakit.convert.image_files import size_reader
    from datakit.io.atomic import write_json_array, write_jsonl

    by_task: Counter[str] = Counter()
    with progress_bar(progress) as update:
        with collector_paused():
            records, tally = convert_coco(
                inputs[0], inputs[1], options,
                read_size=size_reader(image_root) if image_root is not None else None,
                progress=update,
            )
            # The index holds what the records need: the parsed files can go.
            inputs.clear()

        def counted() -> Iterator[dict[str, Any]]:
            for record in records:
                by_task[task_of(record["id"])] += 1
                yield record
            # Still inside the atomic write: an unbalanced tally, or nothing at all to write,
            # leaves no output behind (an earlier file at that path stays as it was).
            tally.check_balanced()
            if not by_task:
                raise NothingUsable(empty_reason(tally) + f"; {output} not written",
                                    fix=empty_fix(tally))

        write = write_json_array if output_format == "json" else write_jsonl
        try:
            written = write(output, counted(), inputs=files)
        except NothingUsable:
            if not quiet:
                print_tally(tally, PROBLEM_REASONS, title=f"{output}: not written",
                            console=Console(stderr=True))
            raise
    console = Console(stderr=True)
    if not quiet:
        noun = "record" if written == 1 else "records"
        print_tally(tally, PROBLEM_REASONS, title=f"{output}: {written:,} {noun}", console=console)
    problems = has_problems(tally)
    if report is not None:
        write_coco_report(report, files, output, output_format, options, written, by_task,
                      tally, problems)
    return EXIT_FINDINGS if problems else EXIT_OK
