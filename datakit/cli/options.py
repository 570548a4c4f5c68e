"""Small helpers shared by the command modules."""

from __future__ import annotations

from pathlib import Path

from datakit.errors import InputError


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
