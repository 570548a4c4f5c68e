"""Benchmark: ``datakit convert coco`` at full COCO train2017 scale, wall time and peak memory.

    python benchmarks/bench_convert_coco.py [--images 118287] [--repeat 3]
                                            [--task grounding,detection] [--seed 0]

The input comes from ``benchmarks/gen_coco.py`` (about 450 MB, 860,000 annotations, made once
and kept in benchmarks/data/). Each run is a real subprocess writing a JSON array; wall time,
CPU time and the peak RSS of the process tree are measured by ``benchmarks/measure.py``, and
the median of the runs is compared with the targets of the performance issue: at most 60 s
wall and 4 GB peak RSS. The load average is printed too: on a shared machine, wall time
follows the CPU time only when the cores are free.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
sys.path.insert(0, str(HERE))

from gen_coco import TRAIN2017_IMAGES  # noqa: E402
from measure import Measurement, measure  # noqa: E402

MAX_WALL_S = 60.0
MAX_PEAK_MB = 4000.0


def ensure_input(images: int, seed: int) -> Path:
    """The generated instances file (the same name ``benchmarks/run.py`` uses)."""
    suffix = "" if seed == 0 else f"-seed{seed}"
    target = DATA / f"coco-instances-{images}{suffix}.json"
    if not target.is_file():
        DATA.mkdir(parents=True, exist_ok=True)
        print(f"generating {target} ...", flush=True)
        partial = target.with_suffix(".partial")
        subprocess.run(
            [sys.executable, str(HERE / "gen_coco.py"), str(partial), "--images", str(images),
             "--seed", str(seed)],
            check=True, cwd=ROOT,
        )
        partial.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=TRAIN2017_IMAGES)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--task", default="grounding,detection")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    source = ensure_input(args.images, args.seed)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    runs: list[Measurement] = []
    records = 0
    with tempfile.TemporaryDirectory(prefix="datakit-bench-coco-") as tmp:
        out, report = Path(tmp) / "coco.json", Path(tmp) / "report.json"
        command = [sys.executable, "-m", "datakit", "convert", "coco", str(source), "-o",
                   str(out), "--task", args.task, "--report", str(report), "--quiet"]
        for number in range(1, args.repeat + 1):
            load = os.getloadavg()[0]
            run = measure(command, cwd=ROOT, env=env)
            if run.returncode not in (0, 1):
                print(f"run {number}: exit {run.returncode}", file=sys.stderr)
                return 2
            runs.append(run)
            records = json.loads(report.read_text(encoding="utf-8"))["output"]["records"]
            print(f"run {number}: {run.wall_s:.1f} s wall, {run.cpu_s:.1f} s CPU, "
                  f"{run.peak_rss_mb:,.0f} MB peak (load average {load:.1f})", flush=True)
    wall = statistics.median(r.wall_s for r in runs)
    cpu = statistics.median(r.cpu_s for r in runs)
    peak = max(r.peak_rss_mb for r in runs)
    size_mb = source.stat().st_size / 1e6
    print(f"\nconvert coco: {source.name} ({size_mb:,.0f} MB) -> {records:,} records "
          f"({args.task}), {os.cpu_count()} cores")
    print(f"  wall  {wall:6.1f} s  (median of {len(runs)}; target <= {MAX_WALL_S:g} s) "
          f"{'ok' if wall <= MAX_WALL_S else 'MISSED'}")
    print(f"  CPU   {cpu:6.1f} s  (single-threaded: the wall time on an idle core)")
    print(f"  peak  {peak:6,.0f} MB (largest run; target <= {MAX_PEAK_MB:,.0f} MB) "
          f"{'ok' if peak <= MAX_PEAK_MB else 'MISSED'}")
    return 0 if wall <= MAX_WALL_S and peak <= MAX_PEAK_MB else 1


if __name__ == "__main__":
    sys.exit(main())
