"""Progress for the converters: ``progress(done, total)`` now and then while items pass."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sized
from typing import TypeVar

T = TypeVar("T")

Progress = Callable[[int, "int | None"], None]  # (items done, items in all or None: unknown)
PROGRESS_EVERY = 4096  # items between calls: a call per item would cost more than it shows


def reported(items: Iterable[T], progress: Progress | None,
             every: int = PROGRESS_EVERY) -> Iterable[T]:
    """``items`` as they are, telling ``progress`` every ``every`` items and once at the end
    (``total`` is the length when ``items`` has one)."""
    if progress is None:
        return items
    total = len(items) if isinstance(items, Sized) else None
    return _reporting(items, progress, every, total)


def _reporting(items: Iterable[T], progress: Progress, every: int,
               total: int | None) -> Iterator[T]:
    done = 0
    for item in items:
        yield item
        done += 1
        if not done % every:
            progress(done, total)
    progress(done, total)
