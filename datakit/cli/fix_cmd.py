"""``datakit fix``: repair what the fixers can, write each file back atomically, and say what
changed and what is left (``datakit.fix``)."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from datakit.cli.options import split_codes
from datakit.errors import InputError
from datakit.report.safe import printable

if TYPE_CHECKING:
    from datakit.validation.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


@click.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--diff", "show_diff", is_flag=True,
              help="Print a unified diff of the fixes instead of writing the files.")
@click.option("--unsafe-fixes", is_flag=True,
              help="Also apply the fixes that involve judgement (see `datakit fix --list`).")
@click.option("--select", multiple=True, help="Only these rule codes/prefixes (comma lists).")
@click.option("--ignore", multiple=True, help="Skip these rule codes/prefixes (comma lists).")
@click.option("--config", type=click.Path(path_type=Path),
              help="A pyproject.toml (or TOML file) with [tool.datakit].")
@click.option("--image-root", type=click.Path(path_type=Path),
              help="Resolve image paths against this folder (default: the working directory).")
@click.option("--strict", is_flag=True, default=None, help="Warnings left fail too (exit 1).")
@click.option("--list", "list_fixers", is_flag=True, help="List the fixers and exit.")
def fix(files: tuple[Path, ...], show_diff: bool, unsafe_fixes: bool, select: tuple[str, ...],
        ignore: tuple[str, ...], config: Path | None, image_root: Path | None,
        strict: bool | None, list_fixers: bool) -> int:
    """Repair Qwen-VL datasets in place: roles, picture labels, boxes, foreign layouts.

    Each file is rewritten atomically in its own format (only the changed records, where the
    format allows), then validated again; what is left is reported.

    \b
    Exit codes: 0 nothing left to fix, 1 something left (or, with --diff, something to
    change), 2 usage or configuration error, 3 internal error.
    """
    from datakit.fix import FixOptions, fix_file, is_left_unfixed, write_fixed
    from datakit.fix.diff import unified_diff
    from datakit.validation.files import select_dataset_files
    from datakit.validation.settings import load_settings

    if list_fixers:
        _list()
        return 0
    if not files:
        raise InputError("no dataset files given", fix="datakit fix FILE [FILE ...]")
    if any(str(path) == "-" for path in files):
        raise InputError("datakit fix rewrites files in place; standard input ('-') cannot be "
                         "rewritten", fix="save it to a file and name that (datakit validate - "
                         "checks standard input)")
    settings = load_settings(config).with_overrides(
        image_root=str(image_root.resolve()) if image_root else None, strict=strict, jobs=1)
    options = FixOptions(unsafe_fixes, split_codes(select), split_codes(ignore))
    file_list = os.environ.get("PRE_COMMIT") == "1"
    selection = select_dataset_files(list(files), settings, skip_non_datasets=file_list)
    failed = False
    out = sys.stderr if show_diff else sys.stdout
    for path in selection.files:
        result = fix_file(path, settings, options)
        if show_diff:
            sys.stdout.write(unified_diff(path, result.before, result.after))
            failed |= result.changed
        elif result.changed:
            write_fixed(result)
        failed |= is_left_unfixed(result, options, settings.strict)
        _summary(result, show_diff, out)
    return 1 if failed else 0


def fix_options(command: F) -> F:
    """``--fix`` and ``--unsafe-fixes`` for ``datakit validate``; their values wait in the
    click context for ``fix_before_validate``, so that the command's signature stays as is."""

    def remember(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
        ctx.meta[f"datakit.{param.name}"] = value
        return value

    command = click.option(
        "--unsafe-fixes", is_flag=True, expose_value=False, callback=remember,
        help="With --fix: also the fixes that involve judgement (see `datakit fix --list`).",
    )(command)
    return click.option(
        "--fix", is_flag=True, expose_value=False, callback=remember,
        help="Repair what can be repaired first (as `datakit fix`), then validate.",
    )(command)


def fix_before_validate(paths: Sequence[str], settings: Settings, *, stdin: bool) -> None:
    """Under ``validate --fix``: rewrite ``paths`` as ``datakit fix`` does, saying on stderr
    what changed; refuse (exit 2) what the fixes cannot serve, since they write Qwen-VL v1."""
    ctx = click.get_current_context(silent=True)
    meta = ctx.meta if ctx is not None else {}
    fix, unsafe = bool(meta.get("datakit.fix")), bool(meta.get("datakit.unsafe_fixes"))
    if unsafe and not fix:
        raise InputError("--unsafe-fixes only widens --fix", fix="add --fix")
    if not fix:
        return
    if stdin:
        raise InputError("--fix rewrites files; standard input ('-') cannot be rewritten",
                         fix="save it to a file and name that, or drop --fix")
    _refuse_family_targets(paths, settings)
    from datakit.fix import FixOptions, fix_file, write_fixed

    for path in paths:
        result = fix_file(path, settings, FixOptions(unsafe))
        write_fixed(result)
        _summary(result, False, sys.stderr, left=False)


def _refuse_family_targets(paths: Sequence[str], settings: Settings) -> None:
    from datakit.validation.family_target import peek_target, wants_resolution

    if settings.target not in (None, "qwen-vl", "auto"):
        raise InputError(f"--fix writes Qwen-VL v1 records, and the target is "
                         f"{settings.target}",
                         fix="validate without --fix; if the data is meant for Qwen-VL v1, "
                         "pass --target qwen-vl (or set target = 'qwen-vl')")
    if not wants_resolution(settings):
        return
    from datakit.io.reader import records_only
    from datakit.io.records import FileProblem

    for path in paths:
        problems: list[FileProblem] = []
        _, target = peek_target(records_only(path, problems), settings)
        if target is not None:
            raise InputError(
                f"{printable(path)}: --fix writes Qwen-VL v1 records, and this file is "
                f"{target.title()} ({target.why})",
                fix="`datakit fix FILE` or `datakit validate --fix --target qwen-vl` brings "
                "it into Qwen-VL v1; to keep it as it is, validate without --fix")


def _summary(result: object, show_diff: bool, out: object, *, left: bool = True) -> None:
    from datakit.fix import FileFix

    assert isinstance(result, FileFix)
    write = out.write  # type: ignore[attr-defined]
    name = printable(result.path)
    if result.error is not None:
        write(f"{name}: not fixed: {printable(result.error)}\n")
        return
    done = Counter(f"{n.fixer} ({', '.join(n.codes)})" for n in result.fixed())
    verb = "would fix" if show_diff else "fixed"
    if done:
        write(f"{name}: {verb} " + "; ".join(f"{k} x{v}" for k, v in sorted(done.items())) + "\n")
    for note in result.unfixed():
        where = f" record {note.record_index}" if note.record_index is not None else ""
        write(f"{name}{where}: {note.fixer} ({', '.join(note.codes)}) left as it was: "
              f"{printable(note.note)}\n")
    if not left:
        return  # validate reports what is left
    counts = Counter(f.code for f in result.left)
    if counts:
        write(f"{name}: left: " + ", ".join(f"{c} x{n}" for c, n in sorted(counts.items()))
              + " (see `datakit validate`)\n")
    elif not done:
        write(f"{name}: nothing to fix\n")


def _list() -> None:
    from datakit.fix.registry import FILE_LAYOUT_CODE, FILE_LAYOUT_SUMMARY, FIXERS

    click.echo(f"safe    {FILE_LAYOUT_CODE:<16} file-layout: {FILE_LAYOUT_SUMMARY}")
    for fixer in FIXERS:
        kind = "safe" if fixer.safe else "unsafe"
        why = f" (unsafe: {fixer.why})" if not fixer.safe else ""
        click.echo(f"{kind:<7} {','.join(fixer.codes):<16} {fixer.name}: {fixer.summary}{why}")
