"""A persistent cache of image check results, keyed by resolved path, check mode and stamp.

The stamp is (size, mtime_ns, ctime_ns). A change of content changes the size or the mtime;
ctime also changes when a copy tool puts back the old mtime (``cp -p``, ``rsync -t``), and
nobody can set it, so an entry never answers for a file that changed. An entry whose file
changed less than ``RACY_S`` seconds before the check is not stored: a second write within the
file system's timestamp resolution could keep the size and both times.

SQLite in WAL mode lets overlapping runs (pre-commit in two terminals, worker processes) read
and write safely; writes are batched into short transactions. Entries not confirmed for
``max_age_days`` are dropped once per run. Any failure (no permission, a full disk, a locked
or corrupt file) turns the cache off for the run: it costs time, never correctness.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import time
import weakref
from collections.abc import Callable
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS images (
    path TEXT NOT NULL, mode TEXT NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
    kind TEXT NOT NULL, detail TEXT NOT NULL, width INTEGER, height INTEGER,
    seen REAL NOT NULL, PRIMARY KEY (path, mode))
"""
FILE_NAME = "images-v2.sqlite3"

Stamp = tuple[int, int, int]  # size, mtime_ns, ctime_ns
Entry = tuple[str, str, "int | None", "int | None"]  # kind, detail, width, height

RACY_S = 2.0  # FAT keeps 2 s timestamps; every other common file system is finer
FLUSH_EVERY = 2000  # pending writes
FLUSH_AFTER_S = 2.0  # so that a worker killed mid-run loses little
TOUCH_AFTER_S = 86400.0  # refresh `seen` at most daily: an unchanged run then writes nothing
LOCK_TIMEOUT_S = 10.0
BULK_AFTER = 256  # look-ups answered by a query each before a run reads the whole table
BULK_MAX_ROWS = 1_000_000  # about 200 MB in memory

# size, mtime_ns, ctime_ns, kind, detail, width, height, seen
Row = tuple[int, int, int, str, str, "int | None", "int | None", float]


# Forks of this process so far, as its children count them: ``ImageCache._adopt`` runs on
# every look-up, and comparing this beats a getpid() system call.
_FORKS = [0]


def _count_fork() -> None:
    _FORKS[0] += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_count_fork)


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/datakit`` (a relative value is ignored, as the XDG spec says), else
    ``~/.cache/datakit``."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):
        return Path(xdg) / "datakit"
    try:
        return Path.home() / ".cache" / "datakit"
    except (RuntimeError, KeyError):
        # No home folder: a folder that cannot be created, so the run goes without a cache
        # (a shared temporary folder would let another user plant verdicts).
        return Path(os.devnull) / "datakit"


def stamp_of(st: os.stat_result) -> Stamp:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class ImageCache:
    """Look-ups and batched writes. The connection and pending writes live in a ``_Store``,
    so that a finalizer can flush them without keeping the cache alive."""

    def __init__(self, folder: Path, max_age_days: float = 30.0) -> None:
        self.path = folder / FILE_NAME
        self._store = _Store(self.path, max_age_days * 86400)
        self._adopt()

    @property
    def broken(self) -> bool:
        """Whether the cache failed; the run goes on without it."""
        return self._store.broken

    def get(self, path: str, stamp: Stamp, mode: str) -> Entry | None:
        self._adopt()
        store = self._store
        table = store.tables.get(mode)
        if table is None:
            store.lookups += 1
            if store.lookups > BULK_AFTER:
                table = store.load(mode)
        row = table.get(path) if table is not None else store.query(path, mode)
        if row is None or tuple(row[:3]) != stamp:
            return None
        now = time.time()
        if now - row[7] > TOUCH_AFTER_S:
            store.touched.append((now, path, mode))
            self._maybe_flush()
        return (row[3], row[4], row[5], row[6])

    def put(self, path: str, stamp: Stamp, mode: str, entry: Entry) -> None:
        self._adopt()
        if self._store.broken:
            return
        now = time.time()
        if now - max(stamp[1], stamp[2]) / 1e9 < RACY_S:
            return  # changed just now (or dated in the future): may change again unseen
        self._store.pending.append((path, mode, *stamp, *entry, now))
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        store = self._store
        due = len(store.pending) + len(store.touched) >= FLUSH_EVERY
        if due or time.monotonic() - store.last_flush > FLUSH_AFTER_S:
            self.flush()

    def flush(self) -> None:
        self._adopt()
        self._store.flush()

    def close(self) -> None:
        self._adopt()
        self._store.close()

    def _adopt(self) -> None:
        """Make the store this process's own. After a fork, the parent's connection must be
        neither used nor closed (SQLite's rule), and the parent flushes its own writes."""
        store = self._store
        if store.forks == _FORKS[0]:  # no fork since: still this process's (no system call)
            return
        store.forks = _FORKS[0]
        pid = os.getpid()
        if store.pid == pid:
            return
        store.pid = pid
        store.db = None
        store.pending.clear()
        store.touched.clear()
        store.tables.clear()
        store.lookups = 0
        store.pruned = False
        _close_at_exit(self, store)


class _Store:
    def __init__(self, path: Path, max_age_s: float) -> None:
        self.path = path
        self.max_age_s = max_age_s
        self.broken = False
        self.db: sqlite3.Connection | None = None
        self.pid = 0
        self.forks = -1  # the value of _FORKS when the store was last adopted
        self.pending: list[tuple[object, ...]] = []
        self.touched: list[tuple[float, str, str]] = []
        self.last_flush = time.monotonic()
        self.pruned = False
        # mode -> path -> row, once a run has looked up BULK_AFTER paths (see ``load``)
        self.tables: dict[str, dict[str, Row]] = {}
        self.lookups = 0

    def query(self, path: str, mode: str) -> Row | None:
        db = self.connection()
        if db is None:
            return None
        try:
            row: Row | None = db.execute(
                "SELECT size, mtime_ns, ctime_ns, kind, detail, width, height, seen "
                "FROM images WHERE path = ? AND mode = ?",
                (path, mode),
            ).fetchone()
        except sqlite3.Error:
            self.fail()
            return None
        return row

    def load(self, mode: str) -> dict[str, Row] | None:
        """Every entry of ``mode`` in memory: one query instead of one per image (~30 us
        each) for a large run. Small runs (pre-commit) never get here, and a cache too big to
        hold keeps answering one query at a time."""
        db = self.connection()
        if db is None:
            return None
        try:
            (count,) = db.execute("SELECT COUNT(*) FROM images WHERE mode = ?", (mode,)).fetchone()
            if count > BULK_MAX_ROWS:
                return None
            rows = db.execute(
                "SELECT path, size, mtime_ns, ctime_ns, kind, detail, width, height, seen "
                "FROM images WHERE mode = ?",
                (mode,),
            )
            table = {row[0]: row[1:] for row in rows}
        except sqlite3.Error:
            self.fail()
            return None
        self.tables[mode] = table
        return table

    def connection(self) -> sqlite3.Connection | None:
        if self.db is not None or self.broken:
            return self.db
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=LOCK_TIMEOUT_S, isolation_level=None,
                                 check_same_thread=False)
            # Two processes that open a new cache at once race for the switch to WAL and the
            # table: SQLite answers "locked" there without waiting, so wait and try again.
            _retry_locked(lambda: db.execute("PRAGMA journal_mode=WAL"))
            # WAL stays consistent with NORMAL; a power cut may lose the last entries, which
            # only costs time.
            db.execute("PRAGMA synchronous=NORMAL")
            _retry_locked(lambda: db.execute(_SCHEMA))
        except (OSError, sqlite3.Error):
            self.fail()
            return None
        self.db = db
        return db

    def flush(self) -> None:
        self.last_flush = time.monotonic()
        if self.pid != os.getpid():
            return  # a finalizer copied into a forked child
        if not (self.pending or self.touched or not self.pruned):
            return
        db = self.connection()
        if db is None:
            return
        try:
            _retry_locked(lambda: db.execute("BEGIN IMMEDIATE"))
            db.executemany(
                "INSERT OR REPLACE INTO images VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self.pending,
            )
            db.executemany("UPDATE images SET seen = ? WHERE path = ? AND mode = ?",
                           self.touched)
            if not self.pruned:
                db.execute("DELETE FROM images WHERE seen < ?", (time.time() - self.max_age_s,))
            db.execute("COMMIT")
            self.pruned = True
        except sqlite3.Error:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            self.fail()
        self.pending.clear()
        self.touched.clear()

    def close(self) -> None:
        if self.pid != os.getpid():
            return
        if self.pending or self.touched:
            self.flush()
        if self.db is not None:
            with contextlib.suppress(sqlite3.Error):
                self.db.close()
        self.db = None

    def fail(self) -> None:
        self.broken = True
        self.pending.clear()
        self.touched.clear()
        if self.db is not None:
            with contextlib.suppress(sqlite3.Error):
                self.db.close()
        self.db = None


def _retry_locked(action: Callable[[], object], attempts: int = 8) -> None:
    """Run ``action``, waiting out "database is locked" answers (up to about 6 s in all)."""
    for attempt in range(attempts):
        try:
            action()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if attempt == attempts - 1:
                raise
            time.sleep(0.025 * 2**attempt)


def _close_at_exit(owner: ImageCache, store: _Store) -> None:
    # Worker processes of a pool end through multiprocessing's exit hook, not atexit: a
    # Finalize with a priority runs in both (and when the cache is collected), so a worker's
    # last entries are not lost. It runs only in the process that registered it. A process
    # that has not loaded multiprocessing is no pool worker: weakref.finalize (at exit or
    # when collected) does the same there without importing it, ~10 ms of a hook's start-up.
    # (A copy of it in a child forked later is harmless: the store closes only in its own
    # process.)
    if "multiprocessing" not in sys.modules:
        weakref.finalize(owner, store.close)
        return
    from multiprocessing.util import Finalize

    Finalize(owner, store.close, exitpriority=10)
