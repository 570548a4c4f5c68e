"""The dataset pass across shards: one reduce task per key partition.

Each reduce task fetches its part of every shard's keys (in shard order) and judges
duplicates with the single-machine ``DatasetPass``: every copy of a key is in the same part,
and rows keep the order of a local run, so the findings are the same. A task holds about
1/P of the keys; the driver holds only the findings each part keeps (``FindingCap``).
"""

from __future__ import annotations

from datakit.distributed.shard import KeyPart
from datakit.findings import Finding
from datakit.validation.dataset_pass import DatasetPass
from datakit.validation.finding_cap import FindingCap, Where
from datakit.validation.record_keys import RecordKeys
from datakit.validation.worker import Job


def partitions_for(shards: int, input_bytes: int, cpus: int) -> int:
    """Reduce tasks: enough for every CPU, and one per ``BYTES_PER_PARTITION`` of input so
    that what one task holds stays bounded as the dataset grows."""
    by_size = -(-input_bytes // BYTES_PER_PARTITION)
    return max(1, min(cpus, shards), by_size)


# About 2.5 million keys of ~60 bytes at ~400 bytes of input per record (benchmarks/bench_ray.py).
BYTES_PER_PARTITION = 1 << 30


def reduce_part(job: Job, displays: list[str], *parts: KeyPart) -> tuple[list[Finding],
                                                                          dict[Where, int]]:
    """The duplicate findings of one partition, capped as the driver caps them."""
    severities = dict(job.severities)
    ids = DatasetPass(severities, job.settings)
    ids.want_samples = False
    samples = DatasetPass(severities, job.settings)
    samples.want_ids = False
    ids.keys, samples.keys = RecordKeys(), RecordKeys()
    for display, (id_rows, sample_rows) in zip(displays, parts, strict=True):
        if id_rows and ids.want_ids:
            ids.keys.extend(display, [(*row, None) for row in id_rows])
        if sample_rows and samples.want_samples:
            samples.keys.extend(display, sample_rows)
    cap = FindingCap(job.max_findings)
    for finding in ids.findings():
        cap.add(finding)
    for finding in samples.findings():
        cap.add(finding)
    return cap.findings(), cap.omitted
