"""The datasets a command reads: files named, folders searched as ``datakit validate`` searches
them (include/exclude, hidden folders and plain JSON objects or Parquet tables that hold no
records skipped, with a note on stderr), and ``-`` for standard input where a command reads it."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import click

from datakit.errors import InputError
from datakit.report.safe import printable
from datakit.validation.settings import Settings


def dataset_paths(files: tuple[Path, ...], settings: Settings, command: str) -> list[str]:
    """The dataset files meant by ``files``: a file named is read whatever it holds (a mistake
    is reported, not skipped); a folder gives the datasets in it, in sorted order."""
    from datakit.validation.files import select_dataset_files

    if not files:
        raise InputError("no dataset files given", fix=f"datakit {command} FILE [FILE ...]")
    for path in files:
        if not path.exists():
            raise InputError(f"{path}: no such file", fix="check the path")
    selection = select_dataset_files(files, settings)
    for skipped, why in selection.not_datasets:
        click.echo(f"datakit: skipped {printable(skipped)}: {printable(why)}", err=True)
    refuse_empty_folders(selection.empty_folders)
    return selection.files


def refuse_empty_folders(folders: Sequence[str]) -> None:
    """A folder named that holds no dataset file is a usage error, not a clean run."""
    if folders:
        raise InputError(
            f"no dataset files in {', '.join(repr(f) for f in folders)}",
            fix="datakit reads .json (one array), .jsonl, .json.gz, .jsonl.gz and .parquet; "
            "check the folder, and include/exclude in [tool.datakit]",
        )


@contextmanager
def paths_with_stdin(files: tuple[Path, ...], settings: Settings,
                     command: str) -> Iterator[tuple[list[str], dict[str, str]]]:
    """Like ``dataset_paths``, with ``-`` read from standard input (copied to a temporary
    file, removed afterwards) in its place among the others; yields the paths and the names
    to show for them (``<stdin>`` for the copy)."""
    from datakit.cli.stdin_input import STDIN_NAME, stdin_copy

    dashes = sum(1 for f in files if str(f) == "-")
    if dashes > 1:
        raise InputError("'-' (standard input) is named more than once", fix="name it once")
    if not dashes:
        yield dataset_paths(files, settings, command), {}
        return
    at = [str(f) for f in files].index("-")
    before = dataset_paths(files[:at], settings, command) if at else []
    after = dataset_paths(files[at + 1:], settings, command) if at + 1 < len(files) else []
    with stdin_copy(sys.stdin.buffer) as copy:
        yield [*before, copy, *after], {copy: STDIN_NAME}
