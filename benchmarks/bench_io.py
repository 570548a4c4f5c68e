"""Throughput and peak memory of datakit's readers: split, and split + parse.

    python benchmarks/bench_io.py [--records 100000 1000000] [--repeat 3] [--jobs N]
    python benchmarks/bench_io.py --files benchmarks/data/qwenvl-1000000.json ...

Generates deterministic Qwen-VL datasets (a JSON array indented like ``json.dump(indent=2)``
and the same records as JSON Lines; reused when present) in ``--data-dir``, then runs each
measurement in a fresh process so that its peak RSS (``ru_maxrss``) is its own, and prints the
medians of ``--repeat`` runs. ``json.load`` of the whole array, what the trainer does, is shown
for comparison.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODES = ("split", "split+parse", "split+parse-jobs", "json.load")
GENERATOR_VERSION = 2  # part of the data file names: a changed generator writes new files
_WORDS_EN = [
    "a",
    "man",
    "dog",
    "red",
    "blue",
    "small",
    "left",
    "right",
    "near",
    "table",
    "street",
    "cat",
    "bus",
    "white",
    "car",
]
_WORDS_ZH = list("图中的狗在桌子上左边红色白色小猫公交车街道框出这是一张照片")


def generate(count: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for index in range(count):
        turns = []
        for turn in range(rng.choice((1, 1, 2))):
            words = _WORDS_ZH if rng.random() < 0.5 else _WORDS_EN
            joiner = "" if words is _WORDS_ZH else " "
            question = joiner.join(rng.choices(words, k=rng.randint(4, 14)))
            if turn == 0:
                question = (
                    f"Picture 1: <img>images/{rng.randrange(50000):06d}.jpg</img>\n{question}"
                )
            x1, y1 = rng.randrange(900), rng.randrange(900)
            box = (
                f"<box>({x1},{y1}),({x1 + rng.randrange(1, 99)},{y1 + rng.randrange(1, 99)})</box>"
            )
            answer = f"<ref>{joiner.join(rng.choices(words, k=3))}</ref>{box}"
            if rng.random() < 0.1:
                answer += " " + joiner.join(rng.choices(words, k=rng.randint(20, 60)))
            turns += [{"from": "user", "value": question}, {"from": "assistant", "value": answer}]
        yield {"id": f"sample_{index:07d}", "conversations": turns}


def ensure_data(directory: Path, count: int) -> tuple[Path, Path]:
    import orjson

    directory.mkdir(parents=True, exist_ok=True)
    stem = f"io-v{GENERATOR_VERSION}-{count}"
    array, lines = directory / f"{stem}.json", directory / f"{stem}.jsonl"
    if not array.exists() or not lines.exists():
        with open(array, "wb") as out_array, open(lines, "wb") as out_lines:
            out_array.write(b"[")
            for index, record in enumerate(generate(count)):
                pretty = orjson.dumps(record, option=orjson.OPT_INDENT_2)
                out_array.write(
                    (b"\n  " if index == 0 else b",\n  ") + pretty.replace(b"\n", b"\n  ")
                )
                out_lines.write(orjson.dumps(record) + b"\n")
            out_array.write(b"\n]\n")
    return array, lines


def _count_parsed(batch: list[Any]) -> int:
    from datakit.io.parse import parse_records

    return sum(1 for parsed in parse_records(batch) if parsed.error is None)


def measure(mode: str, path: Path, jobs: int) -> dict[str, float]:
    """One run, in this process: wall and CPU seconds, records, peak RSS in MB."""
    import resource

    started, cpu = time.perf_counter(), time.process_time()
    if mode == "json.load":
        with open(path, encoding="utf-8") as handle:
            records = len(json.load(handle))
    else:
        from datakit.io.parallel import WorkerPool, batched
        from datakit.io.parse import parse_record
        from datakit.io.reader import iter_records
        from datakit.io.records import RawRecord

        raws = (item for item in iter_records(path) if isinstance(item, RawRecord))
        if mode == "split":
            records = sum(1 for _ in raws)
        elif mode == "split+parse":
            records = sum(1 for raw in raws if parse_record(raw).error is None)
        else:
            with WorkerPool(jobs) as pool:
                records = sum(pool.map(_count_parsed, batched(raws, 512)))
    return {
        "wall_s": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu,
        "records": records,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_isolated(mode: str, path: Path, jobs: int) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--measure", mode, str(path), "--jobs", str(jobs)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(result.stdout))


def main() -> int:
    from datakit.io.parallel import default_jobs

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument(
        "--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "datakit-bench-io"
    )
    parser.add_argument("--files", type=Path, nargs="+", help="measure these files instead")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--measure", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]), args.jobs)))
        return 0
    print(
        f"jobs={args.jobs}, medians of {args.repeat} runs, each in a fresh process;"
        " cpu s is the main process only"
    )
    print(
        f"{'file':<22} {'MB':>6} {'mode':<17} {'wall s':>7} {'cpu s':>7} {'MB/s':>7} "
        f"{'records/s':>10} {'peak RSS MB':>11}"
    )
    paths = args.files or [
        path for count in args.records for path in ensure_data(args.data_dir, count)
    ]
    for path in paths:
        size_mb = path.stat().st_size / 1e6
        for mode in args.modes:
            if mode == "json.load" and not path.name.endswith(".json"):
                continue
            runs = [run_isolated(mode, path, args.jobs) for _ in range(args.repeat)]
            wall = statistics.median(run["wall_s"] for run in runs)
            cpu = statistics.median(run["cpu_s"] for run in runs)
            rss = statistics.median(run["rss_mb"] for run in runs)
            print(
                f"{path.name:<22} {size_mb:>6.0f} {mode:<17} {wall:>7.2f} {cpu:>7.2f} "
                f"{size_mb / wall:>7.0f} {runs[0]['records'] / wall:>10,.0f} {rss:>11.0f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
