"""B006 (box-in-pixels): false alarms on grid data and detection of its pixel twins, at scale.

    python benchmarks/box_scale_study.py [--files 300] [--seed 3] [--out DIR]

Draws a pool of 400 real image files (three quarters under 1000 px a side, the rest up to
2000 px), then ``--files`` datasets of 5 to 100 records, each written three ways: on the 0..999
grid as ``datakit convert`` writes it, in pixels of the picture, and in pixels of the Qwen2.5-VL
smart-resized picture. Objects are placed in several ways, some chosen to trouble the test
(a band, a top-left region, the top-left quadrant, one cluster per scene); then the same on
pictures all of one size (640x640 and 900x900). Every file is validated with ``--select B006``
(per file, then all files of a kind together) and the verdicts are counted. Deterministic.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

from PIL import Image

from datakit.qwenvl.smart_resize import smart_resize
from datakit.validation.engine import validate_files
from datakit.validation.settings import Settings

PLACEMENTS = ("spread", "center", "band", "top-left", "quadrant", "scene")
SIZES_OF_FILES = (5, 8, 12, 20, 40, 100)


def objects(rng: random.Random, placement: str) -> list[tuple[float, float, float, float]]:
    """1 to 6 boxes as fractions of the picture, cut by the frame (or by the quadrant)."""
    out = []
    scene_x, scene_y = rng.random(), rng.random()
    for _ in range(rng.choice((1, 1, 2, 3, 4, 6))):
        if placement == "center":
            cx, cy = rng.betavariate(2, 2), rng.betavariate(2, 2)
        elif placement == "band":
            cx, cy = rng.random(), rng.uniform(0.3, 0.5)
        elif placement in ("top-left", "quadrant"):
            cx, cy = rng.uniform(0, 0.5), rng.uniform(0, 0.5)
        elif placement == "scene":
            cx = min(1.0, max(0.0, scene_x + rng.uniform(-0.15, 0.15)))
            cy = min(1.0, max(0.0, scene_y + rng.uniform(-0.15, 0.15)))
        else:
            cx, cy = rng.random(), rng.uniform(0.2, 1.0)
        w = math.exp(rng.uniform(math.log(0.03), math.log(0.7)))
        h = w * math.exp(rng.uniform(-0.7, 0.7))
        edge = 0.5 if placement == "quadrant" else 1.0
        box = (max(0.0, cx - w / 2), max(0.0, cy - h / 2), min(edge, cx + w / 2),
               min(edge, cy + h / 2))
        if box[2] - box[0] > 0.005 and box[3] - box[1] > 0.005:
            out.append(box)
    return out


def written(kind: str, box: tuple[float, float, float, float], size: tuple[int, int]) -> str:
    if kind == "grid":
        xyxy = [min(999, math.floor(v * 1000)) for v in box]
    else:
        width, height = size if kind == "pixels" else smart_resize(*size)
        last = (width, height) if kind == "pixels" else (width - 1, height - 1)
        xyxy = [min(last[i % 2], round(v * (width, height)[i % 2])) for i, v in enumerate(box)]
    if xyxy[0] >= xyxy[2] or xyxy[1] >= xyxy[3]:
        return ""
    return "<box>({},{}),({},{})</box>".format(*xyxy)


def dataset(rng: random.Random, sizes: list[tuple[int, int]], records: int, placement: str,
            per_object: bool) -> dict[str, list[dict[str, object]]]:
    out: dict[str, list[dict[str, object]]] = {"grid": [], "pixels": [], "resized": []}
    while len(out["grid"]) < records:
        number = rng.randrange(len(sizes))
        found = objects(rng, placement)
        for group in ([[box] for box in found] if per_object else [found]):
            for kind, rows in out.items():
                boxes = "".join(written(kind, box, sizes[number]) for box in group)
                rows.append({"id": f"{kind}-{len(rows)}", "conversations": [
                    {"from": "user", "value": f"Picture 1: <img>img/{number}.png</img>\nFind."},
                    {"from": "assistant",
                     "value": f"<ref>it</ref>{boxes}" if boxes else "Nothing."}]})
    return out


def pool(folder: Path, sizes: list[tuple[int, int]]) -> None:
    (folder / "img").mkdir(parents=True, exist_ok=True)
    for number, size in enumerate(sizes):
        Image.new("L", size, 128).save(folder / "img" / f"{number}.png")


def judge(folder: Path, files: list[Path]) -> dict[str, str]:
    settings = Settings(jobs=1, cache=False, base_dir=str(folder), image_root=".",
                        select=("B006",))
    report = validate_files([str(f) for f in files], settings)
    return {f.location.file: str(f.data["space"]) for f in report.findings}


def study(folder: Path, sizes: list[tuple[int, int]], files: int, seed: int,
          label: str) -> list[tuple[str, str, int, str, str, str]]:
    """(label, placement, records, grid verdict, pixel verdict, resized verdict) per file."""
    pool(folder, sizes)
    rng = random.Random(seed)
    plan = []
    paths: dict[str, list[Path]] = {"grid": [], "pixels": [], "resized": []}
    for number in range(files):
        placement = PLACEMENTS[number % len(PLACEMENTS)]
        records = rng.choice(SIZES_OF_FILES)
        made = dataset(rng, sizes, records, placement, per_object=rng.random() < 0.5)
        plan.append((placement, records))
        for kind, rows in made.items():
            path = folder / f"{label}-{kind}-{number}.json"
            path.write_text(json.dumps(rows), encoding="utf-8")
            paths[kind].append(path)
    verdicts = {kind: judge(folder, found) for kind, found in paths.items()}
    return [(label, placement, records,
             *(verdicts[kind].get(str(paths[kind][n]), "-") for kind in paths))
            for n, (placement, records) in enumerate(plan)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="keep the data here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        root = args.out or Path(scratch)
        rng = random.Random(args.seed)
        mixed = [(rng.randrange(100, 1000), rng.randrange(100, 1000)) if n % 4 else
                 (rng.randrange(800, 2000), rng.randrange(600, 1600)) for n in range(400)]
        rows = study(root / "mixed", mixed, args.files, args.seed, "mixed sizes")
        for side in (640, 900):
            rows += study(root / f"{side}", [(side, side)], args.files // 5, args.seed,
                          f"all {side}x{side}")
    alarms = [row for row in rows if row[3] != "-"]
    print(f"{len(rows)} grid files, {sum(r[2] for r in rows):,} records: "
          f"{len(alarms)} false alarms {[(r[0], r[1], r[2], r[3]) for r in alarms]}")
    table: Counter[tuple[str, str, str]] = Counter()
    for label, placement, records, _, pixels, resized in rows:
        size = "5-12" if records <= 12 else "20-100"
        table[(label, placement, size)] += 1
        table[(label, placement, size + " pixels")] += pixels != "-"
        table[(label, placement, size + " resized")] += resized != "-"
        table[(label, placement, size + " named")] += resized.startswith("resized")
    print(f"{'pictures':<16}{'objects':<10}{'records':>8}{'files':>7}{'pixel twins found':>19}"
          f"{'resized twins found (named resized)':>37}")
    for label, placement, size in sorted(k for k in table if k[2] in ("5-12", "20-100")):
        key = (label, placement, size)
        print(f"{label:<16}{placement:<10}{size:>8}{table[key]:>7}"
              f"{table[(*key[:2], size + ' pixels')]:>19}"
              f"{table[(*key[:2], size + ' resized')]:>26} ({table[(*key[:2], size + ' named')]})")
    return 1 if alarms else 0


if __name__ == "__main__":
    sys.exit(main())
