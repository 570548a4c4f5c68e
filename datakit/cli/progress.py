"""A progress bar on stderr when it is a terminal; nothing otherwise."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_callback(enabled: bool | None) -> Iterator[Callable[[str, int], None] | None]:
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

    from datakit.report.safe import printable

    console = Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"),
                  TextColumn("{task.completed:,} records"), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def update(file: str, done: int) -> None:
            if file not in tasks:
                # the column reads markup: a file name is text
                tasks[file] = bar.add_task(escape(printable(file)), total=None)
            bar.update(tasks[file], completed=done)

        yield update


@contextmanager
def count_bar(enabled: bool | None,
              noun: str) -> Iterator[Callable[[int, int | None], None] | None]:
    """A bar of ``noun`` done (of a total when one is known) on stderr, as ``convert coco``
    shows images; None when there is no bar to show."""
    if not (sys.stderr.isatty() if enabled is None else enabled):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(noun, BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(noun, total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update
