"""A persistent cache of image check results, keyed by (resolved path, size, mtime, mode).

SQLite in WAL mode: two runs that overlap (pre-commit in two terminals, parallel workers) read
and write it safely. A changed file has a new size or mtime, so its old entry never matches
and is replaced; entries not confirmed for ``max_age_days`` are dropped.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS images (
    path TEXT NOT NULL, mode TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    kind TEXT NOT NULL, detail TEXT NOT NULL, width INTEGER, height INTEGER,
    seen REAL NOT NULL, PRIMARY KEY (path, mode))
"""

Entry = tuple[str, str, "int | None", "int | None"]


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "datakit"


class ImageCache:
    def __init__(self, folder: Path, max_age_days: float = 30.0) -> None:
        self.path = folder / "images-v1.sqlite3"
        self.max_age_s = max_age_days * 86400
        self._pending: list[tuple[object, ...]] = []
        self._touched: list[tuple[float, str, str]] = []
        self._db: sqlite3.Connection | None = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)
            self._db = db
        except (OSError, sqlite3.Error):
            self._db = None  # an unusable cache only costs time, never correctness

    def get(self, path: str, size: int, mtime_ns: int, mode: str) -> Entry | None:
        if self._db is None:
            return None
        try:
            row = self._db.execute(
                "SELECT size, mtime_ns, kind, detail, width, height FROM images "
                "WHERE path = ? AND mode = ?",
                (path, mode),
            ).fetchone()
        except sqlite3.Error:
            return None
        if row is None or row[0] != size or row[1] != mtime_ns:
            return None
        self._touched.append((time.time(), path, mode))
        return (row[2], row[3], row[4], row[5])

    def put(self, path: str, size: int, mtime_ns: int, mode: str, entry: Entry) -> None:
        self._pending.append((path, mode, size, mtime_ns, *entry, time.time()))
        if len(self._pending) >= 2000:
            self.flush()

    def flush(self) -> None:
        if self._db is None:
            return
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT OR REPLACE INTO images VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self._pending
            )
            self._db.executemany(
                "UPDATE images SET seen = ? WHERE path = ? AND mode = ?", self._touched
            )
            self._db.execute("DELETE FROM images WHERE seen < ?", (time.time() - self.max_age_s,))
            self._db.execute("COMMIT")
        except sqlite3.Error:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
        self._pending.clear()
        self._touched.clear()

    def close(self) -> None:
        self.flush()
        if self._db is not None:
            self._db.close()
            self._db = None
