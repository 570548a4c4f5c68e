"""Which of the given paths are datasets: include/exclude globs, folders expanded."""

from __future__ import annotations

import os
from collections.abc import Iterable
from fnmatch import fnmatch
from pathlib import Path

from datakit.validation.settings import Settings


def dataset_files(paths: Iterable[Path], settings: Settings, cwd: str) -> list[str]:
    """Files to check, in the order given (folders expanded in sorted order).

    A file named explicitly that no include pattern matches, or that an exclude pattern
    matches, is skipped: pre-commit passes every staged file and only datasets count.
    """
    out: list[str] = []
    for path in paths:
        if path.is_dir():
            for folder, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    candidate = os.path.join(folder, name)
                    if _wanted(candidate, settings, cwd):
                        out.append(candidate)
        elif _wanted(str(path), settings, cwd) or not path.exists():
            out.append(str(path))  # a missing file is reported, not silently skipped
    return out


def _wanted(path: str, settings: Settings, cwd: str) -> bool:
    rel = os.path.relpath(path, cwd) if os.path.isabs(path) else path
    rel = rel.replace(os.sep, "/")
    name = rel.rsplit("/", 1)[-1]

    def hit(patterns: tuple[str, ...]) -> bool:
        return any(fnmatch(rel, p) or fnmatch(name, p) for p in patterns)

    return hit(settings.include) and not hit(settings.exclude)
