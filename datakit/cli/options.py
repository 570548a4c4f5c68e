"""Small helpers shared by the command modules."""

from __future__ import annotations


def split_codes(values: tuple[str, ...]) -> tuple[str, ...]:
    """``("B,T", "K001")`` -> ``("B", "T", "K001")``."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())
