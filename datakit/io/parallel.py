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
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

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


class WorkerPool:
    """Worker processes shared by every parallel map of a run, started on first use.

    A run over many large files then starts its workers once, and what they load (the
    vocabulary, caches) serves every file. With ``jobs <= 1`` everything runs in this process
    (no pool, no pickling); ``fn`` and the items must be picklable otherwise. Workers ignore
    Ctrl-C, which reaches the whole process group: the consumer gets the
    ``KeyboardInterrupt`` once and the pool is shut down without a traceback from each worker.
    """

    def __init__(
        self,
        jobs: int,
        *,
        initializer: Callable[..., object] | None = None,
        initargs: tuple[Any, ...] = (),
    ) -> None:
        self.jobs = jobs
        self._initializer = initializer
        self._initargs = initargs
        self._initialized_here = False
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def map(
        self, fn: Callable[[T], R], items: Iterable[T], *, window: int | None = None
    ) -> Iterator[R]:
        """``map(fn, items)`` in input order, whatever the number of jobs. At most ``window``
        items are in flight (default: four per job): the input is consumed only as results
        are taken. An exception from ``fn`` is raised here, at its item's place in the order.
        Stopping the iteration early (``break``, ``close()``) cancels the items not started."""
        if self.jobs <= 1:
            if self._initializer is not None and not self._initialized_here:
                self._initialized_here = True
                self._initializer(*self._initargs)
            yield from map(fn, items)
            return
        limit = window if window is not None else 4 * self.jobs
        if limit < 1:
            raise ValueError("window must be at least 1")
        pool = self._started()
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

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs,
                initializer=_start_worker,
                initargs=(self._initializer, self._initargs),
            )
        return self._pool


def _start_worker(initializer: Callable[..., object] | None, initargs: tuple[Any, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        initializer(*initargs)
