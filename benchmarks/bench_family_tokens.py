"""Benchmark: datakit's per-sample token accounting for a Qwen2-family target against the
framework's own preprocessing of the same samples. Target: datakit at least 50x faster.

    python benchmarks/bench_family_tokens.py --reference-python /tmp/famref/bin/python \\
        --harness-dir /tmp/famref/harness --framework ms-swift [--samples 120]

The samples are the records of ``tests/golden/family/<pair>.jsonl.gz`` (see
tests/tools/make_family_goldens.py), each at its recorded ``max_len`` and options: with
``--framework``, taken in turn from the three models' files of that framework; with ``--pair``
(e.g. ``qwen2.5-vl--llama-factory``), from that one file. datakit
runs ``account_sample`` on them in this process (best of ``--repeat`` passes, after one warm-up
pass); the framework runs ``famref_harness.encode`` (LLaMA-Factory's supervised processor,
ms-swift's ``template.encode`` or qwen-vl-finetune's ``preprocess_qwen_visual``, with real
image files of the recorded sizes, written and opened once before timing) in the reference
environment, timed there after its imports and one warm-up sample. Both are per-sample means
measured in the same run; the ratio is framework / datakit. Without ``--reference-python`` only
datakit is timed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from datakit.family.profiles import FRAMEWORKS, MODELS  # noqa: E402
from datakit.family.sample import Image, ImageSlot, Part, Sample, Text, Turn  # noqa: E402
from datakit.family.tokens import account_sample  # noqa: E402
from datakit.family.vision import ResizeRule, resize_rule  # noqa: E402

GOLDEN_DIR = _ROOT / "tests" / "golden" / "family"

_REFERENCE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import famref_harness as harness
records = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8")]
images_dir = sys.argv[3]
for record in records:  # write the image files and warm every cache before timing
    try:
        harness.encode(record, images_dir)
    except Exception:
        pass
start = time.perf_counter()
for record in records:
    try:
        harness.encode(record, images_dir)
    except Exception:
        pass
print(json.dumps({"seconds": time.perf_counter() - start, "samples": len(records)}))
"""


def _sample(record: dict[str, Any]) -> Sample:
    turns, index = [], 0
    for message in record["messages"]:
        parts: list[Part] = []
        for number, piece in enumerate(message["content"].split("<image>")):
            if number:
                parts.append(ImageSlot(index))
                index += 1
            if piece:
                parts.append(Text(piece))
        turns.append(Turn(message["role"], tuple(parts)))
    images = tuple(Image(f"img{i}.png", (w, h)) for i, (w, h) in enumerate(record["images"]))
    return Sample(tuple(turns), images, record["id"])


def _prepared(record: dict[str, Any]) -> tuple[Any, ...]:
    model, framework = MODELS[record["model"]], FRAMEWORKS[record["framework"]]
    options = record["options"]
    bounds = {
        ours: options[theirs]
        for ours, theirs in (
            ("min_pixels", "min_pixels"),
            ("max_pixels", "max_pixels"),
            ("pre_min_pixels", "image_min_pixels"),
            ("pre_max_pixels", "image_max_pixels"),
        )
        if theirs in options
    }
    extra: dict[str, Any] = {}
    if record["framework"] == "ms-swift":
        extra["truncation_strategy"] = options["truncation_strategy"]
    if record["framework"] == "llama-factory" and record["model"] == "qwen3-vl":
        extra["llamafactory_template"] = "qwen3_vl_nothink"
    rule: ResizeRule = resize_rule(model, framework, **bounds)
    sizes = [(w, h) for w, h in record["images"]]
    return _sample(record), model, framework, rule, sizes, options["max_len"], extra


def _records(pairs: list[str], count: int) -> list[dict[str, Any]]:
    """``count`` records taken in turn from each pair's golden file."""
    files = []
    for pair in pairs:
        with gzip.open(GOLDEN_DIR / f"{pair}.jsonl.gz", "rt", encoding="utf-8") as handle:
            files.append([json.loads(line) for line in handle])
    mixed = [f[i] for i in range(max(map(len, files))) for f in files if i < len(f)]
    return mixed[:count]


def time_datakit(records: list[dict[str, Any]], repeat: int) -> float:
    """Best per-sample seconds over ``repeat`` passes."""
    prepared = [_prepared(r) for r in records]
    for sample, model, framework, rule, sizes, max_len, extra in prepared:  # warm-up
        account_sample(sample, model, framework, rule, sizes, max_len, **extra)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for sample, model, framework, rule, sizes, max_len, extra in prepared:
            account_sample(sample, model, framework, rule, sizes, max_len, **extra)
        best = min(best, (time.perf_counter() - start) / len(prepared))
    return best


def time_reference(records: list[dict[str, Any]], python: str, harness_dir: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        corpus.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
        )
        images = Path(tmp) / "images"
        images.mkdir()
        done = subprocess.run(
            [python, "-c", _REFERENCE, harness_dir, str(corpus), str(images)],
            check=True,
            capture_output=True,
            text=True,
        )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return float(result["seconds"]) / int(result["samples"])


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--framework", choices=sorted(FRAMEWORKS))
    parser.add_argument("--pair", help="MODEL--FRAMEWORK instead of --framework")
    parser.add_argument("--samples", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reference-python")
    parser.add_argument("--harness-dir")
    args = parser.parse_args()
    if args.pair:
        name, records = args.pair, _records([args.pair], args.samples)
    else:
        framework = args.framework or "llama-factory"
        pairs = [f"{model}--{framework}" for model in ("qwen2-vl", "qwen2.5-vl", "qwen3-vl")]
        name, records = framework, _records(pairs, args.samples)
    ours = time_datakit(records, args.repeat)
    print(f"{name}: {len(records)} samples")
    print(f"datakit account_sample: {ours * 1e3:.3f} ms/sample")
    if not args.reference_python or not args.harness_dir:
        return 0
    theirs = time_reference(records, args.reference_python, args.harness_dir)
    ratio = theirs / ours
    print(f"framework preprocessing: {theirs * 1e3:.3f} ms/sample")
    print(f"ratio: {ratio:.0f}x (target >= 50x): {'ok' if ratio >= 50 else 'BELOW TARGET'}")
    return 0 if ratio >= 50 else 1


if __name__ == "__main__":
    sys.exit(main())
