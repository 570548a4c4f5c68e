"""What the ``datakit convert coco`` runs share: progress bar, collector pause, tallies, report."""

from __future__ import annotations

import gc
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def collector_paused() -> Iterator[None]:
    """Index without the cyclic garbage collector, then move everything built so far (the
    parsed files, the index: millions of acyclic objects) out of its sight for good, so that
    the collections the record pass triggers stay cheap."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def task_of(record_id: str) -> str:
    if record_id.endswith(("-detection", "-caption")):
        return record_id.rsplit("-", 1)[1]
    return record_id.rsplit("-", 2)[1]


@contextmanager
def progress_bar(enabled: bool | None) -> Iterator[Callable[[int, int], None] | None]:
    if not (sys.stderr.isatty() if enabled is None else enabled):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress("images", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("images", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def write_coco_report(report: Path, files: tuple[Path, ...], output: Path, output_format: str,
                      options: Any, written: int, by_task: Counter[str], tally: Any,
                      problems: bool, target: dict[str, Any] | None = None) -> None:
    import orjson

    from datakit.io.atomic import atomic_writer

    document = {
        "command": "datakit convert coco",
        "inputs": [str(path) for path in files],
        "output": {"path": str(output), "format": output_format, "records": written,
                   "records_by_task": dict(sorted(by_task.items()))},
        "options": {
            "tasks": list(options.tasks), "languages": list(options.languages),
            "templates": options.prompts.source if options.prompts else "built-in",
            "seed": options.seed, "rounding": options.rounding, "max_boxes": options.max_boxes,
            "include_crowd": options.include_crowd,
            "renames": dict(sorted(options.renames.items())),
            "categories": sorted(options.categories) if options.categories else None,
            "path_prefix": options.path_prefix, "split": options.split, "limit": options.limit,
            "caption_mode": options.caption_mode, "size_mismatch": options.size_mismatch,
            "negatives": options.negatives,
        },
        "input_problems": problems,
        "tally": tally.as_dict(),
    }
    if target is not None:
        document["target"] = target
    with atomic_writer(report, inputs=files) as handle:
        handle.write(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
