"""``datakit tokens --engine ray``: each file counted by one Ray task, merged in file order.

A task runs the local ``TokenRun`` over its file with one process and returns the JSON lines
and the file's figures; the driver writes the lines and adds the figures up in the order of the
files, so output and summary are those of a local run.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, replace
from typing import IO

from datakit.cli.tokens_run import LISTED_SAMPLES, TokenRun


@dataclass
class RayRun(TokenRun):
    """A ``TokenRun`` whose files are counted on the Ray cluster at ``address``."""

    address: str | None = None

    def execute(self, paths: list[str], out: IO[bytes] | None) -> None:
        from datakit.distributed.cluster import TaskLost, connect, ordered_map

        ray = connect(self.address)
        local = ray.put(replace(TokenRun(self.max_len, self.tokenizer, 1, self.settings)))
        tasks = [(local, os.getcwd(), path, out is not None) for path in paths]
        for path, outcome in zip(paths, ordered_map(count_file, tasks), strict=True):
            if isinstance(outcome, TaskLost):
                raise RuntimeError(f"{path}: the task counting it lost its worker every time "
                                   f"it ran ({outcome.message})")
            lines, done = outcome
            if out is not None:
                out.write(lines)
            self._merge(done)
            if self.progress is not None:
                self.progress(path, done.samples)

    def _merge(self, done: TokenRun) -> None:
        self.samples += done.samples
        self.failing += done.failing
        self.truncated += done.truncated
        self.cut_in_image += done.cut_in_image
        self.answer_cut += done.answer_cut
        self.token_counts.extend(done.token_counts)
        self.listed.extend(done.listed[: LISTED_SAMPLES - len(self.listed)])
        self.file_problems.extend(done.file_problems)
        self.targets.extend(done.targets)


def count_file(empty: TokenRun, folder: str, path: str,
               want_lines: bool) -> tuple[bytes, TokenRun]:
    """One file's JSON lines (empty unless wanted) and figures, as a local run counts them."""
    from datakit.distributed.cluster import in_folder

    run = replace(empty, token_counts=[], listed=[], file_problems=[], targets=[])
    buffer = io.BytesIO() if want_lines else None
    with in_folder(folder):
        run.execute([path], buffer)
    return (buffer.getvalue() if buffer is not None else b""), run
