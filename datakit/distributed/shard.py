"""The record pass over one shard, as one Ray task.

The task runs the single-machine engine's own per-file pass (``file_pass.check_file``, one
process, batches in file order), so its findings, counts and token lengths are what a local
run computes for that file. Ids and sample fingerprints do not go back to the driver: they are
hashed into ``partitions`` parts, returned as separate objects that the reduce tasks of
``keys`` fetch, one part each.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

from datakit.findings import Finding
from datakit.io.records import FileProblem
from datakit.validation.box_scale import ScaleTally
from datakit.validation.dataset_pass import DatasetPass
from datakit.validation.finding_cap import FindingCap, Where
from datakit.validation.record_keys import KeyRow
from datakit.validation.worker import BatchResult, Job

# One part of a shard's keys: rows with an id (index, line, column, offset, id) and rows with
# a sample fingerprint (a whole KeyRow), each for the duplicates of its kind.
IdRow = tuple[int, "int | None", "int | None", "int | None", str]
KeyPart = tuple[list[IdRow], list[KeyRow]]


@dataclass
class ShardResult:
    """What the driver needs of one shard besides its keys."""

    display: str
    records: int = 0
    image_refs: int = 0
    findings: list[Finding] = field(default_factory=list)
    omitted: dict[Where, int] = field(default_factory=dict)
    box_stats: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    # per batch, as the local engine merges them: float sums then add up in the same order
    box_scales: list[ScaleTally] = field(default_factory=list)
    token_lengths: array[int] = field(default_factory=lambda: array("I"))
    keys: int = 0  # rows sent to the key exchange


class _ShardKeys(DatasetPass):
    """A ``DatasetPass`` that keeps one shard's box figures per batch and its key rows."""

    def __init__(self, job: Job) -> None:
        super().__init__(dict(job.severities), job.settings)
        self.rows: list[KeyRow] = []
        self.scales: list[ScaleTally] = []

    def add(self, file: str, result: BatchResult) -> None:
        for i in range(4):
            self.box_stats[i] += result.box_stats[i]
        if any(result.box_scale.counts):
            self.scales.append(result.box_scale)
        if self.want_samples:
            self.rows.extend(result.keys)
        elif self.want_ids:
            self.rows.extend((*row[:5], None) for row in result.keys)


def check_shard(job: Job, folder: str, path: str, display: str, hints: bool, partitions: int,
                before: Callable[[str], None] | None = None) -> tuple[ShardResult | KeyPart, ...]:
    """(``ShardResult``, then one ``KeyPart`` per partition) of the file ``path``. ``before``
    runs first, with the path (tests use it to kill the worker)."""
    from datakit.distributed.cluster import in_folder
    from datakit.validation.file_pass import FilePool, check_file
    from datakit.validation.report import FileSummary
    from datakit.validation.worker import close_context

    summary = FileSummary(display, 0)
    cap = FindingCap(job.max_findings)
    keys = _ShardKeys(job)
    token_lengths: array[int] = array("I")
    if before is not None:
        before(path)
    try:
        with in_folder(folder):
            check_file(path, display, summary, job, FilePool(), cap, keys, token_lengths, None,
                       hints)
    except FileNotFoundError as exc:  # the node cannot see the driver's folder
        cap.add(_unreachable(display, str(exc), job))
    finally:
        close_context()  # writes this node's image cache; the worker may serve another run
    result = ShardResult(display, summary.records, summary.image_refs, cap.findings(),
                         cap.omitted, keys.box_stats, keys.scales, token_lengths,
                         len(keys.rows))
    return (result, *split_keys(keys.rows, partitions))


def split_keys(rows: list[KeyRow], partitions: int) -> list[KeyPart]:
    """Rows by partition: an id goes by a hash of its bytes, a sample by its fingerprint, so
    that every copy of a key meets the others in one reduce task. The hashes are stable across
    processes (Python's own ``hash`` of bytes is salted per process)."""
    parts: list[KeyPart] = [([], []) for _ in range(partitions)]
    for row in rows:
        index, line, column, offset, record_id, fingerprint = row
        if record_id is not None:
            code = zlib.crc32(record_id.encode("utf-8", "surrogatepass"))
            parts[code % partitions][0].append((index, line, column, offset, record_id))
        if fingerprint is not None:
            parts[int.from_bytes(fingerprint[:8], "little") % partitions][1].append(row)
    return parts


def _unreachable(display: str, message: str, job: Job) -> Finding:
    from datakit.validation.file_pass import file_finding

    problem = FileProblem(display, "unreadable", message,
                          "put the shards on storage every node mounts at the same path")
    return file_finding(problem, dict(job.severities))
