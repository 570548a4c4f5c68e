"""Benchmark: ``validate --engine ray`` on this machine, with 1 and 2 worker CPUs.

    python benchmarks/bench_ray.py [--records 200000] [--shards 8] [--images 2000] [--repeat 3]

Generates ``--records`` samples with ``generate.py`` (about 1.5% broken, duplicates included),
cut into ``--shards`` JSON Lines shards, then measures, each on a fresh local cluster:

- throughput (records/s) of the local engine with one job (the reference), and of the Ray
  engine with ``num_cpus`` 1 and 2 (cluster start not counted: a cluster outlives runs), each
  run ``--repeat`` times alternating (1, 2, 1, 2, ...) so that load from other processes on a
  shared machine falls on both alike; the medians are reported;
- the dataset pass per node: the key parts of every shard (bytes as pickled, per million
  records) and the time and peak memory of one reduce task over all of them (P = 1, the worst
  case; with P partitions a node holds 1/P of that);
- the driver's resident memory while the Ray engine runs (growth over its start, per million
  records): what it holds are per-shard summaries, kept findings and token lengths.

Reports agree with the local run (checked). Ray must be installed (``pip install
"datakit[ray]"``). Images are checked (``--images header``) with the per-node image cache off,
so every run does the same work.
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from benchmarks.generate import DEFAULT_OUT, ensure  # noqa: E402


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _PeakRss:
    """The largest resident size of this process while the block runs, sampled every 20 ms."""

    def __enter__(self) -> _PeakRss:
        self.start = self.peak = _rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss_bytes())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_bytes())


def make_shards(records: int, shards: int, images: int) -> tuple[Path, list[str]]:
    _, lines_path = ensure(records, images, 0, DEFAULT_OUT, log=print)
    folder = DEFAULT_OUT / f"ray-shards-{records}-{shards}"
    names = [f"part-{n:04d}.jsonl" for n in range(shards)]
    if not all((folder / name).is_file() for name in names):
        folder.mkdir(parents=True, exist_ok=True)
        lines = lines_path.read_bytes().splitlines(keepends=True)
        size = -(-len(lines) // shards)
        for n, name in enumerate(names):
            (folder / name).write_bytes(b"".join(lines[n * size:(n + 1) * size]))
    return folder, names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each CPU count")
    args = parser.parse_args(argv)
    import ray

    from datakit.distributed.shard import check_shard
    from datakit.distributed.validate import validate_on_ray
    from datakit.validation.engine import validate_files
    from datakit.validation.settings import Settings

    folder, names = make_shards(args.records, args.shards, args.images)
    os.chdir(DEFAULT_OUT)  # image paths of generate.py resolve here
    paths = [str(folder / name) for name in names]
    settings = Settings(cache=False, images="header", jobs=1)
    per_million = 1e6 / args.records

    started = time.perf_counter()
    local = validate_files(paths, settings)
    local_s = time.perf_counter() - started
    print(f"local engine, 1 job: {args.records / local_s:,.0f} records/s ({local_s:.1f} s)")
    expected = local.as_dict()

    runs: dict[int, list[tuple[float, float]]] = {1: [], 2: []}  # (seconds, MiB grown)
    for cpus in [1, 2] * args.repeat:
        ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
        ray.get(ray.remote(lambda: None).remote())  # a worker is up
        with _PeakRss() as rss:
            started = time.perf_counter()
            report = validate_on_ray(paths, settings)
            took = time.perf_counter() - started
        assert report.as_dict() == expected, "the Ray report differs from the local one"
        grown = (rss.peak - rss.start) / 2**20
        runs[cpus].append((took, grown))
        print(f"  ray engine, {cpus} CPU(s): {args.records / took:,.0f} records/s "
              f"({took:.1f} s); driver memory +{grown:,.0f} MiB")
        ray.shutdown()
    for cpus, done in runs.items():
        took = statistics.median(t for t, _ in done)
        grown = statistics.median(g for _, g in done)
        print(f"ray engine, {cpus} CPU(s), median of {len(done)}: "
              f"{args.records / took:,.0f} records/s ({took:.1f} s); driver memory "
              f"+{grown:,.0f} MiB ({grown * per_million:,.0f} MiB per million)")

    # The dataset pass: every shard's keys in one part, then one reduce over all of them.
    from datakit.distributed.keys import reduce_part
    from datakit.validation import registry
    from datakit.validation.worker import Job

    severities = registry.severities(settings.select, settings.ignore, settings.severity)
    job = Job(settings, tuple(sorted(severities.items())), frozenset(), 1000)
    parts: list[Any] = []
    for path in paths:
        _, *pieces = check_shard(job, os.getcwd(), path, path, True, 1)
        parts.append(pieces[0])
    blob = sum(len(pickle.dumps(part, protocol=5)) for part in parts)
    with _PeakRss() as rss:
        started = time.perf_counter()
        reduce_part(job, paths, *parts)
        took = time.perf_counter() - started
    held = (rss.peak - rss.start) / 2**20 * per_million
    print(f"dataset pass: keys {blob * per_million / 2**20:,.0f} MiB per million records as "
          f"sent; one reduce {took * per_million:.1f} s and +{held:,.0f} MiB per million "
          "records on its node")
    return 0


if __name__ == "__main__":
    sys.exit(main())
