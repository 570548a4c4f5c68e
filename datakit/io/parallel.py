"""Ordered parallel map over a stream, with bounded memory.

Results come back in input order whatever the number of jobs, so output never depends on
``--jobs``. At most ``window`` items are in flight: the input iterator is consumed only as
results are taken, never read ahead to its end.
"""

from __future__ import annotations

import itertools
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_jobs() -> int:
    """CPUs this process may run on (respects affinity masks and container CPU sets)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on every platform
        return max(1, os.cpu_count() or 1)


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of ``size`` items (the last may be shorter)."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def ordered_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    jobs: int,
    *,
    window: int | None = None,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[R]:
    """``map(fn, items)`` over ``jobs`` worker processes, results in input order.

    With ``jobs == 1`` everything runs in this process (no pool, no pickling). ``fn`` and the
    items must be picklable otherwise. ``window`` bounds the items in flight (default: four per
    job). An exception from ``fn`` is raised here, at its item's place in the order. Workers
    ignore Ctrl-C, which reaches the whole process group: the consumer gets the
    ``KeyboardInterrupt`` once and the pool is shut down without a traceback from each worker.
    Stopping the iteration early (``break``, ``close()``) also shuts the pool down.
    """
    if jobs <= 1:
        if initializer is not None:
            initializer(*initargs)
        yield from map(fn, items)
        return
    from concurrent.futures import ProcessPoolExecutor

    limit = window if window is not None else 4 * jobs
    if limit < 1:
        raise ValueError("window must be at least 1")
    pool = ProcessPoolExecutor(
        max_workers=jobs, initializer=_start_worker, initargs=(initializer, initargs)
    )
    pending: deque[Future[R]] = deque()
    try:
        source = iter(items)
        for item in itertools.islice(source, limit):
            pending.append(pool.submit(fn, item))
        while pending:
            result = pending.popleft().result()
            for item in itertools.islice(source, 1):
                pending.append(pool.submit(fn, item))
            yield result
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def _start_worker(initializer: Callable[..., object] | None, initargs: tuple[Any, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        initializer(*initargs)
