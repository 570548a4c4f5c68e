"""``datakit convert refcoco``: a thin adapter from options and files to ``convert_refs``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from datakit.cli.convert_target import choose_target, target_options
from datakit.cli.grammar import GrammarCommand, data_output_options, progress_option
from datakit.cli.options import split_codes
from datakit.cli.run import EXIT_FINDINGS, EXIT_OK


@click.command(cls=GrammarCommand, renamed={"--format": "--data-format"})
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@data_output_options
@click.option("--instances", type=click.Path(path_type=Path),
              help="Raw layout: the instances.json (default: the one next to the refs file).")
@click.option("--dataset", type=click.Choice(["refcoco", "refcoco+", "refcocog", "refclef"]),
              help="Default: read from the path (data/refcoco+/..., jxu124/refcocoplus/...).")
@click.option("--split-by", type=click.Choice(["unc", "google", "umd", "berkeley"]),
              help="The partition (default: from refs(<splitBy>).p or the path).")
@click.option("--layout", type=click.Choice(["auto", "refer", "jxu124", "lmms-lab", "qwen-eval",
                                             "generic"]), default="auto", show_default=True,
              help="auto: refer for a .p file, else recognised from the columns.")
@click.option("--bbox-format", type=click.Choice(["xyxy", "xywh"]),
              help="Flattened inputs: [x1,y1,x2,y2] or [x,y,w,h] pixels. Known layouts imply it; "
              "other files must declare it.")
@click.option("--input-split", help="Flattened files whose rows and name state no split: "
              "the split they hold.")
@click.option("--split", "splits", multiple=True, default=("train",), show_default=True,
              help="Splits to convert (comma lists; 'all' for every split).")
@click.option("--task", "tasks", multiple=True, default=("rec",), show_default=True,
              help="rec (expression -> box), region (box -> expression), or rec,region.")
@click.option("--group-by", type=click.Choice(["sentence", "ref"]), default="sentence",
              show_default=True, help="One sample per expression, or one per ref with a turn "
              "per distinct expression.")
@click.option("--text", "text_field", type=click.Choice(["sent", "raw"]), default="sent",
              show_default=True,
              help="refer's cleaned sentence, or the text as annotators typed it.")
@click.option("--prompt-set", type=click.Choice(["qwen", "natural"]), default="qwen",
              show_default=True, help="qwen: the picture and <ref>EXPR</ref>, as Qwen-VL's own "
              "RefCOCO evaluation asks; natural: worded questions (en, zh).")
@click.option("--templates", type=click.Path(path_type=Path),
              help="Prompt templates (JSON, or TOML) over the prompt set: {slot: {language: "
              "[template, ...]}}; slots rec ({ref} or {expression}) and region ({box}).")
@click.option("--language", "languages", default="en", show_default=True,
              help="Prompt languages, picked per sample: en, zh or en,zh.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the per-sample prompt choice.")
@click.option("--answer", "answer_style", type=click.Choice(["ref-box", "box"]),
              default="ref-box", show_default=True,
              help="rec answers: <ref>EXPR</ref><box>...</box>, or the <box> alone.")
@click.option("--rounding", type=click.Choice(["floor", "round"]), default="floor",
              show_default=True, help="Pixel to grid rule: min(999, floor(v/size*1000)) or round.")
@click.option("--image-root", type=click.Path(path_type=Path),
              help="Folder holding the images: missing or unreadable files are skipped, and the "
              "file's size wins when it differs from the source's.")
@click.option("--path-prefix",
              help="Joined before the image file name in the output: the path the trainer opens "
              "(e.g. coco/train2014; default: --image-root as given, or nothing).")
@click.option("--emit-holdout", type=click.Path(path_type=Path),
              help="Write the image file names of the evaluation splits here, for "
              "`datakit validate --holdout` (JSON object; a .txt name gives one name a line).")
@click.option("--holdout-split", "holdout_splits", multiple=True,
              help="Splits whose images go into --emit-holdout (default: every split but train).")
@click.option("--report", type=click.Path(path_type=Path),
              help="Also write the tally and options as JSON to this file.")
@progress_option
@click.option("--quiet", "-q", is_flag=True, help="No tally table on stderr.")
@target_options("--output-layout")
def refcoco(files: tuple[Path, ...], output: Path, output_format: str, instances: Path | None,
            dataset: str | None, split_by: str | None, layout: str, bbox_format: str | None,
            input_split: str | None, splits: tuple[str, ...], tasks: tuple[str, ...],
            group_by: str, text_field: str, prompt_set: str, templates: Path | None,
            languages: str, seed: int, answer_style: str, rounding: str,
            image_root: Path | None, path_prefix: str | None, emit_holdout: Path | None,
            holdout_splits: tuple[str, ...], report: Path | None, progress: bool | None,
            quiet: bool, target: str,
            output_layout: str | None, min_pixels: int | None, max_pixels: int | None,
            dataset_info: Path | None, dataset_name: str | None) -> int:
    """Convert RefCOCO, RefCOCO+ or RefCOCOg to Qwen-VL referring-expression conversations.

    FILES: the raw refer layout's refs(<splitBy>).p (instances.json beside it), or flattened
    copies: .jsonl / .json / .parquet of the jxu124, lmms-lab or Qwen-VL eval layouts.
    Every ref and sentence is used or skipped with a reason; every expression is kept.

    \b
    Exit codes: 0 written, 1 written but refs or sentences were skipped as faulty
    (malformed, dangling ids, bad boxes, missing images), 2 usage or input error
    (nothing written), 3 internal error.
    """
    from datakit.cli.signals import terminate_cleanly
    from datakit.convert.refcoco_run import Setup, build_setup

    terminate_cleanly()
    choice = choose_target(target, output_layout, min_pixels, max_pixels, dataset_info,
                           dataset_name, v1_only=("rounding",))
    prompt_sets = None
    if not choice.target.is_v1:
        from datakit.convert.family_prompts import refcoco_prompt_sets

        prompt_sets = refcoco_prompt_sets(choice.target.model)
    setup: Setup = build_setup(
        files, instances=instances, dataset=dataset, split_by=split_by, layout=layout,
        bbox_format=bbox_format, input_split=input_split, splits=list(split_codes(splits)),
        tasks=list(split_codes(tasks)), group_by=group_by, prompt_set=prompt_set,
        templates=templates, languages=languages, seed=seed, answer_style=answer_style,
        rounding=rounding, image_root=image_root, path_prefix=path_prefix,
        holdout_splits=list(split_codes(holdout_splits)), prompt_sets=prompt_sets,
    )
    from datakit.cli.outputs import dataset_inputs, guard_outputs

    guard_outputs([("--output", output), ("--emit-holdout", emit_holdout), ("--report", report),
                   ("--dataset-info", dataset_info)],
                  [*dataset_inputs(setup.all_inputs), ("--templates file", templates)])
    if not choice.target.is_v1:
        from datakit.cli.convert_family_run import run_refcoco
        from datakit.convert.family_prompts import check_family_templates

        check_family_templates(setup.options.prompts)
        items, tally, read_info = setup.read(text_field)
        return run_refcoco(setup, items, tally, read_info, output, emit_holdout, report, quiet,
                           choice, progress)
    items, tally, read_info = setup.read(text_field)
    return _run(setup, items, tally, read_info, output, output_format, emit_holdout, report,
                quiet, progress)


def _run(setup: Any, items: Any, tally: Any, read_info: dict[str, Any], output: Path,
         output_format: str, emit_holdout: Path | None, report: Path | None, quiet: bool,
         progress: bool | None) -> int:
    from rich.console import Console

    from datakit.cli.progress import count_bar
    from datakit.cli.tally_table import print_tally
    from datakit.convert.refcoco import PROBLEM_REASONS, convert_refs, has_problems
    from datakit.io.atomic import write_json_array, write_jsonl

    with count_bar(progress, "refs") as update:
        result = convert_refs(items, setup.options, tally, setup.size_reader, update)
    setup.check_selection(result.refs_by_split)
    by_task: Counter[str] = Counter()

    def counted() -> Iterator[dict[str, Any]]:
        for record in result.records:
            by_task[record["id"][len(setup.options.id_prefix) + 1:].split("-", 1)[0]] += 1
            yield record
        # Still inside the atomic write: an unbalanced tally leaves no output behind.
        tally.check_balanced()

    write = write_json_array if output_format == "json" else write_jsonl
    written = write(output, counted(), inputs=setup.all_inputs)
    holdout_splits = setup.holdout_split_names(result.refs_by_split)
    if emit_holdout is not None:
        setup.write_holdout(emit_holdout, result.holdout_images, holdout_splits)
    if not quiet:
        print_tally(tally, PROBLEM_REASONS, title=f"{output}: {written:,} records",
                    console=Console(stderr=True))
    problems = has_problems(tally)
    if report is not None:
        setup.write_report(report, output, output_format, written, dict(sorted(by_task.items())),
                           result, read_info, holdout_splits, emit_holdout, problems)
    return EXIT_FINDINGS if problems else EXIT_OK
