"""Every input against every output, before anything is written: a command never replaces a
file it reads (the dataset, ``--templates``, ``--config``, the vocabulary...), nor writes two of
its outputs to one file. Paths are compared resolved (``sub/../a.json``, symlinks) and by
inode (hard links, a symlinked folder)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from datakit.errors import InputError

# (what the path is, as the user named it: "input file", "--templates file", "--report"; path)
Named = tuple[str, "str | Path | None"]


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file: equal once resolved, or the same inode."""
    first, second = Path(a), Path(b)
    try:
        if first.resolve() == second.resolve():
            return True
    except (OSError, RuntimeError):  # symlink loops
        pass
    try:
        return os.path.samefile(first, second)
    except (OSError, ValueError):  # either does not exist (yet); NUL in a name
        return False


def check_targets(outputs: Sequence[Named], inputs: Sequence[Named]) -> None:
    """Refuse an output that is one of the inputs, or that another output names too."""
    given = [(label, Path(path)) for label, path in outputs if path is not None]
    for number, (label, out) in enumerate(given):
        for earlier_label, earlier in given[:number]:
            if same_file(out, earlier):
                raise InputError(f"{label} and {earlier_label} are the same file",
                                 fix="name a different file for each")
        for what, source in inputs:
            if source is not None and same_file(out, source):
                raise InputError(
                    f"refusing to write {out}: it is the {what} {source}",
                    fix="choose a different output path; datakit never overwrites its input",
                )


def check_not_inside(folder: str | Path, inputs: Sequence[Named]) -> None:
    """Refuse inputs that lie in an output ``folder`` that a command fills and prunes."""
    base = Path(folder)
    try:
        base_resolved = base.resolve()
    except (OSError, RuntimeError):
        return
    for what, source in inputs:
        if source is None:
            continue
        try:
            resolved = Path(source).resolve()
        except (OSError, RuntimeError):
            continue
        if resolved == base_resolved or base_resolved in resolved.parents:
            raise InputError(
                f"refusing to write in {base}: it holds the {what} {source}",
                fix="choose an output folder that holds none of the inputs",
            )
