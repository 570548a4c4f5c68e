"""File names that read as options: refused, so that no file can switch a check off.

pre-commit appends the staged file names to a hook's own arguments, so a file named
``--config=cfg.json`` (or ``--ignore=ALL.json``, ``--help.json``) would reach click as an option
and change what the hook checks, or end it before anything is checked. No spelling is safe to
guess, so an argument that starts with ``-`` and also names an existing path is an error (exit
2, which fails the hook) unless it comes after ``--``, where every argument is a file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from datakit.errors import InputError


def refuse_files_named_like_options(argv: Sequence[str]) -> None:
    """Raise ``InputError`` for the first argument before ``--`` that is both an option-like
    word and an existing path."""
    for arg in argv:
        if arg == "--":
            return
        if len(arg) > 1 and arg.startswith("-") and os.path.lexists(arg):
            raise InputError(
                f"{arg!r} is a file, and on the command line it reads as an option; datakit "
                "will not guess which was meant",
                fix=f"rename the file, or name files after '--' (datakit validate -- {arg!r})",
            )
