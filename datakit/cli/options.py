"""Small helpers shared by the command modules."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from datakit.errors import InputError

F = TypeVar("F", bound=Callable[..., object])


def split_codes(values: tuple[str, ...]) -> tuple[str, ...]:
    """``("B,T", "K001")`` -> ``("B", "T", "K001")``."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def existing_files(files: tuple[Path, ...], command: str) -> list[str]:
    """The named files as strings; a missing file or a folder is a usage error."""
    if not files:
        raise InputError("no dataset files given", fix=f"datakit {command} FILE [FILE ...]")
    for path in files:
        if not path.exists():
            raise InputError(f"{path}: no such file", fix="check the path")
        if path.is_dir():
            raise InputError(f"{path} is a directory", fix="name the dataset files themselves")
    return [str(p) for p in files]


def output_options(command: F) -> F:
    """``-o/--output`` and ``--format json|jsonl``, as every converter takes them."""
    command = click.option(
        "--format", "output_format", type=click.Choice(["json", "jsonl"]), default="json",
        show_default=True,
        help="json: one array (what the trainer loads); jsonl: one record per line.",
    )(command)
    return click.option(
        "--output", "-o", required=True, type=click.Path(path_type=Path),
        help="The Qwen-VL training file to write (atomically).",
    )(command)
