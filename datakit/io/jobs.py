"""How many worker processes one file deserves."""

from __future__ import annotations

import os

# Starting workers (each loads the tokenizer) costs more than it saves below this size, and
# pre-commit runs on small files all the time: those run in-process, without the pool.
PARALLEL_MIN_BYTES = 8 << 20


def parallel_min_bytes() -> int:
    """Files from this size on use the worker pool. ``DATAKIT_PARALLEL_MIN_BYTES`` overrides
    it, so that tests can run the pool on small files."""
    raw = os.environ.get("DATAKIT_PARALLEL_MIN_BYTES", "")
    return int(raw) if raw.isdigit() else PARALLEL_MIN_BYTES


def jobs_for_file(path: str, jobs: int) -> int:
    """Worker processes for ``path`` (``jobs`` 0: every core; 1 for small or unreadable files)."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return 1
    if size < parallel_min_bytes():
        return 1
    if jobs:
        return jobs
    from datakit.io.parallel import default_jobs

    return default_jobs()
