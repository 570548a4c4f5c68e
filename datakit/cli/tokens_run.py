"""The local ``datakit tokens`` run: files counted in worker processes, figures added up."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from datakit.errors import InputError
from datakit.io.jobs import jobs_for_file
from datakit.io.records import FileProblem, RawRecord
from datakit.qwenvl.token_rows import BATCH_RECORDS, Row, Task
from datakit.validation.family_target import FamilyTarget, peek_target, wants_resolution
from datakit.validation.settings import Settings

LISTED_SAMPLES = 10
PROGRESS_EVERY = 1024  # samples between progress updates: a redraw per sample would cost more


@dataclass
class TokenRun:
    """A ``datakit tokens`` run over local files: its settings and the figures counted so far."""

    max_len: int
    tokenizer: str | None
    jobs: int
    settings: Settings
    samples: int = 0
    failing: int = 0
    truncated: int = 0
    cut_in_image: int = 0
    answer_cut: int = 0
    token_counts: list[int] = field(default_factory=list)
    listed: list[str] = field(default_factory=list)
    file_problems: list[FileProblem] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)  # what family files were counted for
    progress: Callable[[str, int], None] | None = None  # (file, samples done in it)
    names: dict[str, str] = field(default_factory=dict)  # path -> name shown (<stdin>)
    _file: str = ""
    _file_start: int = 0

    def execute(self, paths: list[str], out: IO[bytes] | None) -> None:
        from datakit.io.parallel import WorkerPool, default_jobs

        with WorkerPool(self.jobs or default_jobs()) as pool:  # one for every large file
            for path in paths:
                self._file, self._file_start = self.names.get(path, path), self.samples
                self._execute_one(pool, path, out)
                if self.progress is not None:
                    self.progress(self._file, self.samples - self._file_start)

    def _execute_one(self, pool: Any, path: str, out: IO[bytes] | None) -> None:
        from datakit.io.reader import records_only
        from datakit.qwenvl.token_rows import account_batch

        records: Iterable[RawRecord] = records_only(path, self.file_problems,
                                                   display_name=self.names.get(path))
        if wants_resolution(self.settings):
            records, target = peek_target(records, self.settings)
            if target is not None:
                self._family(records, target, out)
                return
        # the records read to resolve the target are counted, not read again: one reader,
        # one buffer, each file problem once
        tasks = self._tasks(records)
        batches = (pool.map(account_batch, tasks) if jobs_for_file(path, self.jobs) > 1
                   else map(account_batch, tasks))
        for batch in batches:
            if out is not None:
                out.write(b"".join(row[0] + b"\n" for row in batch))
            for row in batch:
                self._add(row)

    def _family(self, records: Iterable[RawRecord], target: FamilyTarget,
                out: IO[bytes] | None) -> None:
        """A file in a Qwen-family layout: counted in this process, never with a guessed
        model."""
        from datakit.validation.family_token_rows import family_rows

        if not target.model_known:
            raise InputError(
                f"{_file_of(records)}: the data does not say which of "
                f"{', '.join(target.candidates)} it is for (no boxes in its first records), "
                "and each counts image tokens differently",
                fix=f"pass --target ({' or '.join(target.candidates)})")
        self.targets.append(f"{target.title()}, cut length {target.max_len:,}")
        for row in family_rows(records, target, self.settings):
            if out is not None:
                out.write(row[0] + b"\n")
            self._add(row)

    def _tasks(self, records: Iterable[RawRecord]) -> Iterator[Task]:
        from datakit.io.parallel import batched
        from datakit.qwenvl.token_rows import make_task

        for batch in batched(records, BATCH_RECORDS):
            yield make_task(self.max_len, self.tokenizer, batch)

    def _add(self, row: Row) -> None:
        line, tokens, truncated, cut_in_image, answer_cut, fails = row
        self.samples += 1
        if tokens is not None:
            self.token_counts.append(tokens)
        self.failing += fails
        self.truncated += truncated
        self.cut_in_image += cut_in_image
        self.answer_cut += answer_cut
        if (fails or truncated) and len(self.listed) < LISTED_SAMPLES:
            self.listed.append(line.decode("utf-8"))
        if self.progress is not None and not self.samples % PROGRESS_EVERY:
            self.progress(self._file, self.samples - self._file_start)


def _file_of(records: Iterable[RawRecord]) -> str:
    first = next(iter(records), None)
    return first.file if first is not None else "the file"
