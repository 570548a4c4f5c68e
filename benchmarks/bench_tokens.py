"""Benchmark: exact per-sample token accounting (``datakit tokens``), conversations/s per core.

    python benchmarks/bench_tokens.py [--samples 50000] [--repeat 3] [--data project|builtin]
                                      [--cli]

Times ``QwenTokenCounter.account_sample`` on one core over realistic samples: by default the
project's shared records (``benchmarks/generate.py``: Chinese and English, 1-3 turns, one or two
pictures, grounding answers, ~1.5% broken samples), else this file's own deterministic
generator. Target: at least 25,000 conversations/s. ``--cli`` also times the whole command
(read, parse, account, write rows) with one and two worker processes.

Comparison with Qwen-VL's own tokenizer and ``preprocess`` (optional): set
``DATAKIT_REF_PYTHON`` to the python of a separate environment and ``QWENVL_REF_HARNESS`` to a
folder whose ``refload.py`` provides ``tok`` (Qwen-VL-Chat's tokenizer, loaded as
``finetune.py`` loads it) and ``preprocess`` (from QwenLM/Qwen-VL ``finetune.py``); see
tests/tools/make_token_goldens.py. The first ``--reference-samples`` samples run there at
``model_max_length`` 2048 and every sample's kept length, kept labels and failure must equal
datakit's. Nothing from that environment is part of datakit.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from datakit.qwenvl.tokens import QwenTokenCounter  # noqa: E402

OBJECTS_EN = [
    "man",
    "woman",
    "dog",
    "cat",
    "bus",
    "umbrella",
    "bicycle",
    "car",
    "kite",
    "traffic light",
    "laptop",
    "cup",
    "horse",
    "boat",
    "child",
    "pizza",
    "bench",
]
COLOURS_EN = ["red", "blue", "white", "black", "green", "yellow", "striped", "small", "large"]
PLACES_EN = [
    "on the left",
    "near the window",
    "behind the fence",
    "on the table",
    "in the background",
    "next to the door",
    "at the bottom right",
]
QUESTION_TEMPLATES_EN = [
    "What is the {c} {o} {p} doing?",
    "Where is the {c} {o}?",
    "How many {o}s are {p}?",
    "Describe the {c} {o} {p} in detail.",
    "Find the {c} {o} {p}.",
    "What colour is the {o} {p}?",
]
OBJECTS_ZH = [
    "狗",
    "猫",
    "汽车",
    "自行车",
    "雨伞",
    "男人",
    "女人",
    "孩子",
    "公交车",
    "杯子",
    "笔记本电脑",
    "格子衬衫",
    "红绿灯",
    "长椅",
]
COLOURS_ZH = ["红色的", "蓝色的", "白色的", "黑色的", "小", "大", "条纹"]
PLACES_ZH = ["左边", "右下角", "桌子上", "窗户旁边", "背景里", "门口"]
QUESTION_TEMPLATES_ZH = [
    "图中{p}的{c}{o}在做什么？",
    "框出图中{p}的{c}{o}",
    "{p}有几个{o}？",
    "请详细描述{p}的{c}{o}。",
    "{p}的{o}是什么颜色？",
]
ANSWER_TEMPLATES_EN = [
    "A {c} {o} is {p}, and a {c2} {o2} can be seen {p2}.",
    "There are {n} {o}s {p}; the nearest one is {c}.",
    "The {o} {p} is {c}, partly hidden by a {c2} {o2}.",
]
ANSWER_TEMPLATES_ZH = [
    "图中{p}有一个{c}{o}，{p2}还有一个{c2}{o2}。",
    "{p}一共有{n}个{o}。",
    "这是一张照片，{p}的{c}{o}旁边有{n}个{o2}。",
]


def _fill(template: str, rng: random.Random, chinese: bool) -> str:
    objects, colours, places = (
        (OBJECTS_ZH, COLOURS_ZH, PLACES_ZH) if chinese else (OBJECTS_EN, COLOURS_EN, PLACES_EN)
    )
    return template.format(
        o=rng.choice(objects),
        o2=rng.choice(objects),
        c=rng.choice(colours),
        c2=rng.choice(colours),
        p=rng.choice(places),
        p2=rng.choice(places),
        n=rng.randrange(2, 12),
    )


def _ref(rng: random.Random, chinese: bool) -> str:
    if chinese:
        return rng.choice(COLOURS_ZH) + rng.choice(OBJECTS_ZH)
    return f"the {rng.choice(COLOURS_EN)} {rng.choice(OBJECTS_EN)}"


def _box(rng: random.Random) -> str:
    x1, y1 = rng.randrange(0, 900), rng.randrange(0, 900)
    x2, y2 = rng.randrange(x1 + 1, 1000), rng.randrange(y1 + 1, 1000)
    return f"<box>({x1},{y1}),({x2},{y2})</box>"


def _image_path(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return f"https://example.com/datasets/vg/images/{rng.randrange(10**7)}.jpg"
    return f"coco/train2014/COCO_train2014_{rng.randrange(10**12):012d}.jpg"


def make_samples(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` realistic samples, the same for the same seed."""
    rng = random.Random(seed)
    samples = []
    for i in range(n):
        picture = 0
        conversations = []
        for turn in range(rng.choice((1, 1, 2, 2, 3))):
            prefix = ""
            if turn == 0 or rng.random() < 0.2:
                for _ in range(1 if rng.random() < 0.7 or picture else 2):
                    picture += 1
                    prefix += f"Picture {picture}: <img>{_image_path(rng)}</img>\n"
            chinese = rng.random() < 0.5
            question = _fill(
                rng.choice(QUESTION_TEMPLATES_ZH if chinese else QUESTION_TEMPLATES_EN),
                rng,
                chinese,
            )
            conversations.append({"from": "user", "value": prefix + question})
            if rng.random() < 0.5:
                answer = f"<ref>{_ref(rng, chinese)}</ref>" + "".join(
                    _box(rng) for _ in range(rng.choice((1, 1, 2)))
                )
            else:
                answer = _fill(
                    rng.choice(ANSWER_TEMPLATES_ZH if chinese else ANSWER_TEMPLATES_EN),
                    rng,
                    chinese,
                )
            conversations.append({"from": "assistant", "value": answer})
        samples.append({"id": f"bench_{i}", "conversations": conversations})
    return samples


def project_samples(n: int, seed: int = 0) -> list[Any] | None:
    """The same records as benchmarks/generate.py (the project's shared data), if present."""
    try:
        import generate  # type: ignore[import-not-found]
    except ImportError:
        return None
    return [r for r in generate.iter_records(n, 50_000, seed) if not isinstance(r, bytes)]


def bench_cli(samples: list[Any], jobs: int) -> tuple[float, float]:
    """End to end: ``datakit tokens FILE.jsonl -j JOBS`` (start-up, reading, parsing, rows).

    Returns conversations per CPU-second (the command and its workers) and per wall second.
    """
    import resource

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "samples.jsonl"
        data.write_text(
            "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in samples), encoding="utf-8"
        )
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "datakit",
                "tokens",
                "-j",
                str(jobs),
                "-o",
                str(Path(tmp) / "rows.jsonl"),
                str(data),
            ],
            check=False,
            cwd=_ROOT,
        )
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return len(samples) / cpu, len(samples) / wall


def bench_datakit(samples: list[dict[str, Any]], repeat: int) -> tuple[float, list[Any]]:
    counter = QwenTokenCounter.load()
    account = counter.account_sample
    # CPU time, not wall time: the figure is per core even on a busy machine.
    results = [account(s) for s in samples]  # warm-up (fills the short-piece cache fairly)
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        for sample in samples:
            account(sample)
        best = min(best, time.process_time() - started)
    return len(samples) / best, results


def bench_reference(samples: list[dict[str, Any]], python: str, harness: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "samples.json"
        data.write_text(json.dumps(samples, ensure_ascii=False), encoding="utf-8")
        out = subprocess.run(
            [python, "-c", _REFERENCE_RUNNER, harness, str(data)],
            capture_output=True,
            text=True,
            check=True,
        )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# Runs inside the reference environment: CPU time of tokenizer + preprocess per sample.
_REFERENCE_RUNNER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from refload import tok, preprocess
samples = json.load(open(sys.argv[2], encoding="utf-8"))
out = []
started = time.process_time()
for s in samples:
    try:
        r = preprocess([s["conversations"]], tok, 2048)
    except Exception as exc:
        out.append(f"{type(exc).__name__}: {exc}")
        continue
    ids, labels = r["input_ids"][0].tolist(), r["labels"][0].tolist()
    n = max(i for i, t in enumerate(ids) if t != tok.pad_token_id) + 1
    out.append([n, sum(1 for x in labels if x != -100)])
elapsed = time.process_time() - started
print(json.dumps({"per_second": len(samples) / elapsed, "counts": out}))
"""


def _same(result: Any, observed: Any) -> bool:
    """Whether datakit's numbers are what the trainer's tensors show at max_len 2048: the kept
    length and kept labels, or the same exception. For a non-string ``value`` transformers
    fails with version-specific messages; datakit states its own, so only the failure counts."""
    if result.error is not None:
        if any(p.kind == "value-not-a-string" for p in result.problems):
            return isinstance(observed, str)
        return bool(result.error == observed)
    return [min(result.tokens, result.max_len), result.supervised_after_cut] == observed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reference-samples", type=int, default=2_000)
    parser.add_argument(
        "--data",
        choices=["project", "builtin"],
        default="project",
        help="benchmarks/generate.py's records (when present) or this file's generator",
    )
    parser.add_argument("--cli", action="store_true", help="also time `datakit tokens -j 1/2`")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="disable the memo of short text pieces (worst case: no text ever repeats)",
    )
    args = parser.parse_args()
    if args.no_cache:
        from datakit.qwenvl.text_tokens import TextScanner

        TextScanner._CACHEABLE_CHARS = -1
    samples = project_samples(args.samples) if args.data == "project" else None
    source = "benchmarks/generate.py"
    if samples is None:
        samples, source = make_samples(args.samples), "bench_tokens.make_samples"
    rate, results = bench_datakit(samples, args.repeat)
    mean_tokens = sum(r.tokens for r in results) / len(results)
    print(
        f"datakit account_sample: {rate:,.0f} conversations/s on one core "
        f"({len(samples):,} samples from {source}, mean {mean_tokens:.0f} tokens"
        f"{', no memo' if args.no_cache else ''})"
    )
    if args.cli:
        for jobs in (1, 2):
            per_cpu, per_wall = bench_cli(samples, jobs)
            print(
                f"datakit tokens -j {jobs}: {per_cpu:,.0f} conversations per CPU-second, "
                f"{per_wall:,.0f} per wall second (end to end, start-up included)"
            )
    python = os.environ.get("DATAKIT_REF_PYTHON")
    harness = os.environ.get("QWENVL_REF_HARNESS")
    if not python or not harness:
        print("reference: skipped (set DATAKIT_REF_PYTHON and QWENVL_REF_HARNESS)")
        return
    subset = samples[: args.reference_samples]
    reference = bench_reference(subset, python, harness)
    mismatches = sum(
        1
        for result, observed in zip(results, reference["counts"], strict=False)
        if not _same(result, observed)
    )
    print(
        f"Qwen-VL tokenizer + preprocess: {reference['per_second']:,.0f} conversations/s "
        f"({len(subset):,} samples); datakit is {rate / reference['per_second']:,.0f}x faster; "
        f"samples whose numbers differ: {mismatches}"
    )
    if mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
