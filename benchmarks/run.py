"""Every datakit benchmark, as real subprocesses, with the targets of the performance issue.

    python benchmarks/run.py            # full scale: 1,000,000 samples (about 20 minutes)
    python benchmarks/run.py --quick    # 100,000 samples, fewer repeats (time targets scaled)

Data comes from ``benchmarks/generate.py`` (made once, then reused from benchmarks/data/) and,
for the COCO converter, ``benchmarks/gen_coco.py``. Each benchmark runs several times and the
median is reported: wall time, CPU time (all processes), throughput, and peak memory of the
whole process tree (see ``benchmarks/measure.py``). Validation runs use a fresh image-check
cache each time, so every image header is really read (a first run). Results go to
benchmarks/results/latest.json (latest-partial.json for a run with --only).

Byte-code caching is left on for the measured processes (as after ``pip install``), and one
untimed warm-up run precedes the timed ones. The interpreter's own start-up on this machine is
reported for reference: start-up targets cannot beat it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

from generate import ensure  # noqa: E402
from measure import Measurement, measure  # noqa: E402

MB = 1.0


@dataclass
class Bench:
    name: str
    what: str
    command: Callable[[Path], list[str]]  # given a scratch folder
    repeat: int
    records: int | None = None  # for throughput
    max_wall_s: float | None = None
    max_peak_mb: float | None = None
    min_per_core: float | None = None  # records/s per core
    cores: int = 1
    runs: list[Measurement] = field(default_factory=list)

    def median(self, key: str) -> float:
        return statistics.median(getattr(r, key) for r in self.runs)


def _datakit(*args: str) -> list[str]:
    return [sys.executable, "-m", "datakit", *args]


def _validate(data: Path, *extra: str) -> Callable[[Path], list[str]]:
    return lambda scratch: _datakit("validate", str(data), "--cache-dir",
                                    str(scratch / "image-cache"), *extra)


def _benches(quick: bool) -> list[Bench]:
    big = 100_000 if quick else 1_000_000
    scale = big / 1_000_000
    cores = os.cpu_count() or 1
    small_json, _ = ensure(10, log=print)
    _, mid_jsonl = ensure(100_000, log=print)
    big_json, big_jsonl = ensure(big, log=print)
    repeat_big = 1 if quick else 3
    benches = [
        Bench("python-start", "reference: `python -c pass` (interpreter floor)",
              lambda s: [sys.executable, "-c", "pass"], repeat=10),
        Bench("version", "`datakit --version`", lambda s: _datakit("--version"), repeat=10,
              max_wall_s=0.15),
        Bench("validate-10", "validate 10 records, default rules",
              _validate(small_json), repeat=7, max_wall_s=0.8),
        Bench("validate-10-no-tokens", "validate 10 records, --ignore K",
              _validate(small_json, "--ignore", "K"), repeat=7, max_wall_s=0.3),
        Bench(f"validate-json-{big}", f"validate {big:,} samples, JSON array "
              f"({big_json.stat().st_size / 1e6:,.0f} MB), tokens + image headers",
              _validate(big_json), repeat=repeat_big, records=big,
              max_wall_s=45 * scale, max_peak_mb=1500 * MB),
        Bench(f"validate-jsonl-{big}", f"same data as JSONL ({big_jsonl.stat().st_size / 1e6:,.0f}"
              " MB)", _validate(big_jsonl), repeat=repeat_big, records=big,
              max_wall_s=45 * scale),
        Bench("validate-jsonl-100000", "validate 100,000 samples, JSONL (memory reference)",
              _validate(mid_jsonl), repeat=repeat_big, records=100_000),
    ]
    if _has_command("tokens"):
        benches.append(
            Bench(f"tokens-{big}", f"`datakit tokens` on {big:,} samples (JSONL out)",
                  lambda s: _datakit("tokens", str(big_jsonl), "--format", "jsonl", "-o",
                                     str(s / "tokens.jsonl")),
                  repeat=repeat_big, records=big, min_per_core=25_000, cores=cores))
    coco = _coco_input(quick)
    if coco is not None:
        benches.append(
            Bench("convert-coco", f"`datakit convert coco` ({coco.stat().st_size / 1e6:,.0f} MB "
                  "instances)", lambda s: _datakit("convert", "coco", str(coco), "-o",
                                                   str(s / "coco.json"), "--task",
                                                   "grounding,detection", "--quiet"),
                  repeat=1 if quick else 3, max_wall_s=60 * (0.1 if quick else 1),
                  max_peak_mb=4000 * MB))
    return benches


def _has_command(name: str) -> bool:
    out = subprocess.run(_datakit(name, "--help"), cwd=ROOT, capture_output=True)
    return out.returncode == 0


def _coco_input(quick: bool) -> Path | None:
    generator = HERE / "gen_coco.py"
    if not generator.is_file() or not _has_command("convert"):
        return None
    images = 11_829 if quick else 118_287
    target = DATA / f"coco-instances-{images}.json"
    if not target.is_file():
        print(f"generating {target.name} ...", flush=True)
        partial = target.with_suffix(".partial")
        subprocess.run([sys.executable, str(generator), str(partial), "--images", str(images)],
                       check=True, cwd=ROOT)
        partial.replace(target)
    return target


def _environment() -> dict[str, Any]:
    env = dict(os.environ)
    # Byte-code caching as after a normal install (some sandboxes turn it off globally).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run(benches: list[Bench], env: dict[str, str], repeat: int | None = None) -> None:
    for bench in benches:
        with tempfile.TemporaryDirectory(prefix="datakit-bench-") as tmp:
            scratch = Path(tmp)
            print(f"{bench.name}:", end="", flush=True)
            if bench.records is None:
                # Start-up figures: the first run writes byte-code caches; it is not timed.
                measure(bench.command(scratch), cwd=DATA, env=env)
            for _ in range(repeat or bench.repeat):
                for leftover in scratch.iterdir():
                    shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
                bench.runs.append(measure(bench.command(scratch), cwd=DATA, env=env))
                print(f" {bench.runs[-1].wall_s:.2f} s", end="", flush=True)
            print(flush=True)


def _verdicts(bench: Bench, benches: dict[str, Bench]) -> tuple[str, str, list[bool]]:
    """(target text, measured text, whether each target is met) for one benchmark."""
    wall, peak = bench.median("wall_s"), bench.median("peak_rss_mb")
    measured = f"{wall:.2f} s wall, {bench.median('cpu_s'):.1f} s CPU, {peak:,.0f} MB peak"
    targets: list[str] = []
    ok: list[bool] = []
    if bench.records:
        rate = bench.records / wall
        measured += f", {rate:,.0f}/s"
        if bench.min_per_core is not None:
            per_core = rate / bench.cores
            measured += f" ({per_core:,.0f}/s per core)"
            targets.append(f">= {bench.min_per_core:,.0f}/s per core")
            ok.append(per_core >= bench.min_per_core)
    if bench.max_wall_s is not None:
        targets.append(f"<= {bench.max_wall_s:g} s")
        ok.append(wall <= bench.max_wall_s)
    if bench.max_peak_mb is not None:
        targets.append(f"<= {bench.max_peak_mb:,.0f} MB")
        ok.append(peak <= bench.max_peak_mb)
    reference = benches.get("validate-jsonl-100000")
    if bench.name.startswith("validate-jsonl-") and reference and bench is not reference:
        growth = peak - reference.median("peak_rss_mb")
        targets.append("peak <= 100k run + 200 MB")
        measured += f" (+{growth:,.0f} MB over 100k)"
        ok.append(growth <= 200)
    return "; ".join(targets) or "-", measured, ok


def report(benches: list[Bench], quick: bool, started: float) -> dict[str, Any]:
    by_name = {b.name: b for b in benches}
    rows = []
    for bench in benches:
        target, measured, ok = _verdicts(bench, by_name)
        rows.append({"name": bench.name, "what": bench.what, "target": target,
                     "measured": measured, "ok": all(ok) if ok else None,
                     "met": ok, "runs": [asdict(r) for r in bench.runs]})
    widths = [max(len(r["what"]) for r in rows), max(len(r["target"]) for r in rows)]
    print()
    marks = [";".join("yes" if met else "NO" for met in r["met"]) or "-" for r in rows]
    widths.append(max(len(m) for m in [*marks, "ok"]))
    print(f"{'what':<{widths[0]}} | {'target':<{widths[1]}} | {'ok':<{widths[2]}} | "
          "measured (median)")
    print(f"{'-' * widths[0]}-+-{'-' * widths[1]}-+-{'-' * widths[2]}-+------------------")
    for r, mark in zip(rows, marks, strict=True):
        print(f"{r['what']:<{widths[0]}} | {r['target']:<{widths[1]}} | {mark:<{widths[2]}} | "
              f"{r['measured']}")
    return {
        "command": "python benchmarks/run.py" + (" --quick" if quick else ""),
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "elapsed_s": round(time.perf_counter() - started, 1),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "load_average_at_end": os.getloadavg()},
        "commit": _commit(),
        "rows": rows,
    }


def _commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                         text=True)
    return out.stdout.strip() or os.environ.get("DATAKIT_BENCH_COMMIT", "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="100,000 samples instead of 1,000,000; fewer repeats")
    parser.add_argument("--only", action="append", default=[],
                        help="run only benchmarks whose name starts with this (repeatable)")
    parser.add_argument("--repeat", type=int, help="runs per benchmark (default: 3 for large "
                        "inputs, 7-10 for start-up)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    benches = _benches(args.quick)
    if args.only:
        benches = [b for b in benches if any(b.name.startswith(p) for p in args.only)]
    run(benches, _environment(), args.repeat)
    results = report(benches, args.quick, started)
    RESULTS.mkdir(parents=True, exist_ok=True)
    # A partial run (--only) must not replace the figures of the last full one.
    out = RESULTS / ("latest-partial.json" if args.only else "latest.json")
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"\nresults: {out}")
    return 0 if all(r["ok"] is not False for r in results["rows"]) else 1


if __name__ == "__main__":
    sys.exit(main())
