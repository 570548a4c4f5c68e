"""Small helpers shared by the command modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable[..., object])


def split_codes(values: tuple[str, ...]) -> tuple[str, ...]:
    """``("B,T", "K001")`` -> ``("B", "T", "K001")``."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def family_options(command: F) -> F:
    """``--target``, ``--framework`` and the processor's pixel bounds (validate and tokens)."""
    from datakit.validation.settings import FRAMEWORKS, TARGETS, TRUNCATION_STRATEGIES

    for option in reversed((
        click.option("--target", type=click.Choice(TARGETS),
                     help="The model the data is for (default: config, else auto: from each "
                     "file's layout and markup; Qwen-VL v1 files are checked as ever)."),
        click.option("--framework", type=click.Choice(FRAMEWORKS),
                     help="The trainer of a Qwen2-VL/2.5-VL/3-VL target (default: from the "
                     "file's layout)."),
        click.option("--min-pixels", type=click.IntRange(min=1),
                     help="The processor's min_pixels (default: the framework's)."),
        click.option("--max-pixels", type=click.IntRange(min=1),
                     help="The processor's max_pixels (default: the framework's)."),
        click.option("--truncation-strategy", type=click.Choice(TRUNCATION_STRATEGIES),
                     help="ms-swift's truncation_strategy (default: delete)."),
    )):
        command = option(command)
    return command


def family_overrides(target: str | None, framework: str | None, min_pixels: int | None,
                     max_pixels: int | None, truncation_strategy: str | None,
                     configured_target: str | None) -> dict[str, object]:
    """Settings overrides for the family options; the commands default the target to auto."""
    if framework is not None and (target or configured_target) == "qwen-vl":
        raise click.UsageError("--framework names a trainer of Qwen2-VL, Qwen2.5-VL or "
                               "Qwen3-VL data; Qwen-VL v1 has its own finetune.py")
    if min_pixels is not None and max_pixels is not None and min_pixels > max_pixels:
        raise click.UsageError(f"--min-pixels {min_pixels} is above --max-pixels {max_pixels}")
    return {
        "target": target or configured_target or "auto",
        "framework": framework,
        "min_pixels": min_pixels,
        "max_pixels": max_pixels,
        "truncation_strategy": truncation_strategy,
    }


REPORT_FORMATS = ("full", "concise", "json", "github", "sarif")
# ``--format`` named the report format of validate before ``--output-format``; in other
# commands it names a data format, hence the new name.
_OLD_REPORT_FORMATS = {"text": "full", "json": "json", "github": "github"}


def report_options(command: F) -> F:
    """``--output-format``, the deprecated ``--format``, ``--statistics`` and ``--exit-zero``."""
    for option in reversed((
        click.option("--output-format", "output_format", type=click.Choice(REPORT_FORMATS),
                     help="Report format: full (grouped, with how to fix; the default), "
                     "concise (path:line:col: CODE message), json, github (annotations and "
                     "a job summary), sarif (SARIF 2.1.0 for code scanning)."),
        click.option("--format", "old_format", type=click.Choice(sorted(_OLD_REPORT_FORMATS)),
                     help="Deprecated: use --output-format (text is now full)."),
        click.option("--statistics", is_flag=True,
                     help="Counts per rule instead of the findings."),
        click.option("--exit-zero", is_flag=True,
                     help="Exit 0 even when there are findings (usage and internal errors "
                     "still fail)."),
    )):
        command = option(command)
    return command


def report_format(output_format: str | None, old_format: str | None) -> str:
    """The report format asked for, saying on stderr when the old ``--format`` was used."""
    if old_format is None:
        return output_format or "full"
    new = _OLD_REPORT_FORMATS[old_format]
    if output_format is not None and output_format != new:
        raise click.UsageError(f"--format {old_format} and --output-format {output_format} "
                               "disagree; give --output-format only")
    click.echo(f"datakit: note: --format is deprecated; use --output-format {new}",
               err=True)
    return new
