"""One ``convert dialect`` run, as the command and the Python API both start and feed it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from datakit.convert.image_files import size_reader
from datakit.convert.migrate import RECORD, MigrateOptions, Migration, choose_source, read_values
from datakit.convert.progress import Progress
from datakit.convert.tally import Tally


def start(file: Path, options: MigrateOptions, image_root: Path, shown: str | None = None
          ) -> tuple[str, Tally, Migration]:
    """(the source model, the tally, the migration) for ``file``, its pictures under
    ``image_root``."""
    source = choose_source(read_values(file, shown), options.source_model)
    tally = Tally()
    return source, tally, Migration(options, source, tally, size_reader(image_root))


def checked_records(migration: Migration, file: Path, shown: str | None,
                    empty: Callable[[], Exception], progress: Progress | None = None
                    ) -> Iterator[dict[str, Any]]:
    """The rewritten records of ``file``; then, still inside the atomic write, an unbalanced
    tally or nothing used (``empty()`` is raised) leaves no file behind."""
    yield from migration.records(read_values(file, shown), progress)
    migration.tally.check_balanced()
    if not migration.tally.used[RECORD]:
        raise empty()
