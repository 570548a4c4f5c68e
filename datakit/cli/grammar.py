"""The option grammar every subcommand shares, and the old spellings it replaced.

``-o/--output`` names every file written; ``--output-format`` is the format of a report (text,
json...), ``--data-format`` the format of data written (json, jsonl); files, folders and ``-``
are accepted wherever datasets are read; ``--progress/--no-progress`` on every long command.
An old spelling (``--format``, ``preview --out``) still works and says once, on stderr, what
replaced it, so that scripts keep running while they are updated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., object])


def renamed_spellings(args: Sequence[str], renamed: dict[str, str]) -> tuple[list[str], list[str]]:
    """``args`` with each old option spelling replaced by its new one (``--old`` and
    ``--old=VALUE``, never after ``--``), and the old spellings that were used."""
    out: list[str] = []
    used: list[str] = []
    rest = False
    for arg in args:
        if rest or arg == "--":
            rest = True
            out.append(arg)
            continue
        name, sep, value = arg.partition("=")
        new = renamed.get(name)
        if new is None:
            out.append(arg)
            continue
        if name not in used:
            used.append(name)
        out.append(new + sep + value)
    return out, used


class GrammarCommand(click.Command):
    """A command that reads the old spellings in ``renamed`` (old -> new) as the new ones,
    with a one-line deprecation note on stderr for each."""

    def __init__(self, *args: Any, renamed: dict[str, str] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.renamed = dict(renamed or {})

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if self.renamed:
            args, used = renamed_spellings(args, self.renamed)
            for old in used:
                click.echo(f"datakit: note: {old} is deprecated; use {self.renamed[old]}",
                           err=True)
        return super().parse_args(ctx, args)


def progress_option(command: F) -> F:
    """``--progress/--no-progress``: a progress bar on stderr (default: when it is a
    terminal)."""
    return click.option("--progress/--no-progress", default=None,
                        help="Progress bar on stderr (default: when stderr is a terminal).")(
        command)


def data_output_options(command: F) -> F:
    """``-o/--output`` (required) and ``--data-format json|jsonl``, as every converter takes
    them; the format arrives as ``output_format``."""
    command = click.option(
        "--data-format", "output_format", type=click.Choice(["json", "jsonl"]), default="json",
        show_default=True,
        help="json: one array (what the trainer loads); jsonl: one record per line.",
    )(command)
    return click.option(
        "--output", "-o", required=True, type=click.Path(path_type=Path),
        help="The training file to write (atomically).",
    )(command)
