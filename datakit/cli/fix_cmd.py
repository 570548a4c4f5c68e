"""``datakit fix``: repair what the fixers can, write each file back atomically, and say what
changed and what is left (``datakit.fix``)."""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

import click

from datakit.cli.options import split_codes
from datakit.errors import InputError
from datakit.report.safe import printable


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


def _summary(result: object, show_diff: bool, out: object) -> None:
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
    left = Counter(f.code for f in result.left)
    if left:
        write(f"{name}: left: " + ", ".join(f"{c} x{n}" for c, n in sorted(left.items()))
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
