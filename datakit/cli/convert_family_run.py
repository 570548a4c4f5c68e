"""``datakit convert coco|refcoco --target qwen2-vl|qwen2.5-vl|qwen3-vl``: the run after the
options, with the same tally table, report, exit codes and atomic output as the Qwen-VL path."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from datakit.cli.convert_common import collector_paused, progress_bar, task_of, write_coco_report
from datakit.cli.convert_target import TargetChoice, register_output, write_output
from datakit.cli.run import EXIT_FINDINGS, EXIT_OK


def target_summary(choice: TargetChoice) -> dict[str, Any]:
    """The target as the report states it."""
    target = choice.target
    resize = target.resize
    return {
        "model": target.model.name, "layout": target.layout, "framework": target.framework.name,
        "box_space": target.model.box_space,
        "min_pixels": None if resize is None else resize.min_pixels,
        "max_pixels": None if resize is None else resize.max_pixels,
        "dataset_info": None if choice.dataset_info is None else str(choice.dataset_info),
    }


def run_coco(inputs: list[Any], options: Any, files: tuple[Path, ...], output: Path,
             image_root: Path | None, report: Path | None, progress: bool | None, quiet: bool,
             choice: TargetChoice) -> int:
    from rich.console import Console

    from datakit.cli.tally_table import print_tally
    from datakit.convert.coco import PROBLEM_REASONS, has_problems
    from datakit.convert.coco_empty import NothingUsable, empty_fix, empty_reason
    from datakit.convert.family_coco import convert_coco_family
    from datakit.convert.image_files import size_reader
    from datakit.convert.targets import FAMILY_PROBLEM_REASONS

    problem_reasons = PROBLEM_REASONS | FAMILY_PROBLEM_REASONS
    by_task: Counter[str] = Counter()
    with progress_bar(progress) as update:
        with collector_paused():
            records, tally = convert_coco_family(
                inputs[0], inputs[1], options, choice.target,
                read_size=size_reader(image_root) if image_root is not None else None,
                progress=update,
            )
            inputs.clear()

        def counted() -> Iterator[dict[str, Any]]:
            for record_id, record in records:
                by_task[task_of(record_id)] += 1
                yield record
            # Inside the atomic write: an unbalanced tally or nothing to write leaves no file.
            tally.check_balanced()
            if not by_task:
                raise NothingUsable(empty_reason(tally) + f"; {output} not written",
                                    fix=empty_fix(tally))

        try:
            written = write_output(output, counted(), choice, files)
        except NothingUsable:
            if not quiet:
                print_tally(tally, problem_reasons, title=f"{output}: not written",
                            console=Console(stderr=True))
            raise
    register_output(output, choice, files)
    if not quiet:
        noun = "record" if written == 1 else "records"
        print_tally(tally, problem_reasons, title=_title(output, written, noun, choice),
                    console=Console(stderr=True))
    problems = has_problems(tally) or _has(tally, FAMILY_PROBLEM_REASONS)
    if report is not None:
        write_coco_report(report, files, output, choice.target.output_format, options, written,
                      by_task, tally, problems, target=target_summary(choice))
    return EXIT_FINDINGS if problems else EXIT_OK


def run_refcoco(setup: Any, items: Any, tally: Any, read_info: dict[str, Any], output: Path,
                emit_holdout: Path | None, report: Path | None, quiet: bool,
                choice: TargetChoice, progress: bool | None = None) -> int:
    from rich.console import Console

    from datakit.cli.progress import count_bar
    from datakit.cli.tally_table import print_tally
    from datakit.convert.family_refcoco import convert_refs_family
    from datakit.convert.refcoco import PROBLEM_REASONS, has_problems
    from datakit.convert.targets import FAMILY_PROBLEM_REASONS

    with count_bar(progress, "refs") as update:
        result, by_task = convert_refs_family(items, setup.options, choice.target, tally,
                                              setup.size_reader, update)
    setup.check_selection(result.refs_by_split)

    def counted() -> Iterator[dict[str, Any]]:
        yield from result.records
        tally.check_balanced()

    written = write_output(output, counted(), choice, setup.all_inputs)
    register_output(output, choice, setup.all_inputs)
    holdout_splits = setup.holdout_split_names(result.refs_by_split)
    if emit_holdout is not None:
        setup.write_holdout(emit_holdout, result.holdout_images, holdout_splits)
    problem_reasons = PROBLEM_REASONS | FAMILY_PROBLEM_REASONS
    if not quiet:
        print_tally(tally, problem_reasons, title=_title(output, written, "records", choice),
                    console=Console(stderr=True))
    problems = has_problems(tally) or _has(tally, FAMILY_PROBLEM_REASONS)
    if report is not None:
        setup.write_report(report, output, choice.target.output_format, written,
                           by_task, result, read_info, holdout_splits,
                           emit_holdout, problems, target=target_summary(choice))
    return EXIT_FINDINGS if problems else EXIT_OK


def _title(output: Path, written: int, noun: str, choice: TargetChoice) -> str:
    target = choice.target
    return f"{output}: {written:,} {noun} for {target.model.title} ({target.layout})"


def _has(tally: Any, reasons: frozenset[str]) -> bool:
    return any(
        count and reason in reasons
        for counts in tally.skipped.values()
        for reason, count in counts.items()
    )
