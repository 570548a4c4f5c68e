"""Benchmark: the image-check cache, first run against a second run over unchanged images.

    python benchmarks/bench_image_cache.py [--images 5000] [--size 640x480] [--mode decode]

Writes ``--images`` distinct JPEG images (mild noise over a gradient: they compress to about
the size of a photograph and take real work to decode) and a JSON Lines dataset that references each
once, then times ``datakit validate --images MODE --ignore K`` as a subprocess (what a
pre-commit hook costs, start-up included):

- ``no cache``: ``--no-cache``, every image opened;
- ``first``: an empty cache folder, every image opened and stored;
- ``second``: the same folder again, nothing opened.

It also times the image checker alone (no start-up, no dataset parsing) both ways. Token rules
are skipped so that the figures are about images. Everything happens in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from datakit.validation import image_cache  # noqa: E402
from datakit.validation.image_cache import ImageCache  # noqa: E402
from datakit.validation.images import ImageChecker  # noqa: E402


def make_images(root: Path, count: int, width: int, height: int) -> list[str]:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    ramp = np.linspace(0, 200, width, dtype=np.float32)[None, :, None]
    # One noise field, shifted per image: distinct files without drawing millions of numbers
    # per image.
    base = np.clip(ramp + rng.normal(0, 6, size=(height, width, 3)), 0, 240).astype(np.uint8)
    names = []
    (root / "img").mkdir(parents=True)
    for i in range(count):
        pixels = np.roll(base, (i * 7) % height, axis=0) + np.uint8(i % 16)
        name = f"img/{i:06d}.jpg"
        Image.fromarray(pixels).save(root / name, quality=85)
        names.append(name)
    return names


def write_dataset(path: Path, names: list[str]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for i, name in enumerate(names):
            record = {"id": str(i), "conversations": [
                {"from": "user", "value": f"Picture 1: <img>{name}</img>\nWhat is in it?"},
                {"from": "assistant", "value": "<ref>a gradient</ref><box>(0,0),(999,999)</box>"},
            ]}
            handle.write(json.dumps(record) + "\n")


def time_cli(root: Path, mode: str, extra: list[str]) -> tuple[float, int]:
    command = [sys.executable, "-m", "datakit", "validate", "data.jsonl", "--images", mode,
               "--ignore", "K,D002", "--format", "json", "--jobs", "1", *extra]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"datakit validate failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return elapsed, len(json.loads(done.stdout)["findings"])


def time_checker(root: Path, names: list[str], mode: str, cache_dir: Path | None) -> float:
    started = time.perf_counter()
    cache = ImageCache(cache_dir) if cache_dir is not None else None
    checker = ImageChecker(root, mode, cache)
    for name in names:
        if checker.check(name).kind != "ok":
            sys.exit(f"{name} did not check as ok")
    checker.flush()
    if cache is not None:
        cache.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--size", default="640x480", help="WIDTHxHEIGHT of every image")
    parser.add_argument("--mode", choices=["header", "decode"], default="decode")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))

    with tempfile.TemporaryDirectory(prefix="datakit-bench-cache-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        names = make_images(root, args.images, width, height)
        write_dataset(root / "data.jsonl", names)
        megabytes = sum(os.path.getsize(root / n) for n in names) / 1e6
        print(f"{args.images} images of {width}x{height} ({megabytes:.0f} MB) written in "
              f"{time.perf_counter() - started:.1f} s; mode {args.mode}; "
              f"{os.cpu_count()} CPUs")
        # The cache stores nothing for a file changed in the last RACY_S seconds.
        time.sleep(image_cache.RACY_S + 0.1)

        no_cache, _ = time_cli(root, args.mode, ["--no-cache"])
        first, _ = time_cli(root, args.mode, ["--cache-dir", "cli-cache"])
        second, findings = time_cli(root, args.mode, ["--cache-dir", "cli-cache"])
        print("datakit validate (subprocess, start-up included):")
        print(f"  no cache      {no_cache:7.2f} s")
        print(f"  first run     {first:7.2f} s   (empty cache, every image opened and stored)")
        print(f"  second run    {second:7.2f} s   (nothing opened)  "
              f"{first / second:.1f}x faster; {findings} findings")

        cold = time_checker(root, names, args.mode, root / "lib-cache")
        warm = time_checker(root, names, args.mode, root / "lib-cache")
        print("image checker alone:")
        print(f"  first run     {cold:7.2f} s   {args.images / cold:9.0f} images/s")
        print(f"  second run    {warm:7.2f} s   {args.images / warm:9.0f} images/s  "
              f"{cold / warm:.1f}x faster")


if __name__ == "__main__":
    main()
