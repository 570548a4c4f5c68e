"""Regenerate tests/golden/family/*.jsonl.gz: samples and what the real trainers make of them.

    python tests/tools/make_family_goldens.py --reference-python /tmp/famref/bin/python \\
        --harness-dir /tmp/famref/harness [--count 400] [--seed 11] [--only MODEL--FRAMEWORK]

For each model (qwen2-vl, qwen2.5-vl, qwen3-vl) and framework (llama-factory, ms-swift,
qwen-vl-finetune) the corpus is generated here, deterministically (the first N records of a
larger ``--count`` are the same N): many picture sizes (tiny, thin sides around half the
patch factor, a few of millions of pixels, extreme aspect ratios), several pictures per sample,
Chinese, emoji, special-token look-alikes and literal special tokens in text, multi-turn,
system prompts and long answers.

The numbers come from the frameworks themselves, run in a separate environment that datakit never
imports: ``--harness-dir`` is a built copy of tests/tools/family_harness/ (its README.md has
the rebuild commands), whose ``famref_harness.py`` has
``encode(record, images_dir) -> {"input_ids", "labels", "grid_pads"}`` (or ``{"dropped": True}``)
at ``record["options"]["max_len"]``, running LLaMA-Factory's template + ``Qwen2VLPlugin`` +
``SupervisedDatasetProcessor``, ms-swift's ``get_template(...).encode`` and qwen-vl-finetune's
``preprocess_qwen_visual`` on real image files of the recorded sizes. This script holds no
upstream code; without those arguments it only prints a few generated samples.

Each sample is encoded twice: with no length limit, then at ``options.max_len``. The cut length
is chosen from the uncut result (``probe``) so that cuts land inside pad runs, inside and just
before answers, exactly at the end, one short of it, far past everything, at a few tokens and
at the framework's default. Per sample
the golden holds the corpus record (``messages`` with ``<image>`` tags, ``images`` as
[width, height], model, framework, options) and ``reference``: the uncut ``length``,
``label_count``, ``sha256`` of ``json.dumps(input_ids)`` and of ``json.dumps(labels)``,
``image_pad_counts`` (grid product // merge**2 per picture), and the ``cut`` outcome at
``max_len``: null when nothing is cut, else ``inside-image-pads`` (the kept ids hold fewer
``<|image_pad|>`` than the pictures' features: the model raises), ``nothing-supervised``,
``through-answer``, ``through-prompt``, ``dropped`` (ms-swift ``delete``) or ``raises``
(ms-swift ``raise``), with ``kept_length`` and ``kept_label_count``. A sample the framework
refuses outright has ``error`` ("ExceptionType: message") instead.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden" / "family"
MODELS = ("qwen2-vl", "qwen2.5-vl", "qwen3-vl")
FRAMEWORKS = ("llama-factory", "ms-swift", "qwen-vl-finetune")

CHINESE = [
    "图中的狗是什么品种？",
    "框出图中的格子衬衫",
    "第一张图片是重庆的城市天际线。",
    "這是繁體字。",
    "日本語のテキストです",
    "한국어 문장",
    "请描述这两张图片的区别",
]
EMOJI = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🇨🇳", "❤️", "\U0001fae0"]
WORDS = [
    "the",
    "dog",
    "Hello",
    "world",
    "it's",
    "they'll",
    "naïve",
    "café",
    "COCO",
    "3.14159",
    "(588,499),(725,789)",
    "https://example.com/a?b=c",
    "```json",
    "...",
    "e\u0301",
    "\uf900",
    "\t",
    "\r\n",
    "  ",
    "\u3000",
]
# Literal special tokens: each model's tokenizer knows a different set (Qwen2.5 adds
# <tool_call>, Qwen3 adds <think>), so the same text costs different ids per model.
SPECIALS = [
    "<|im_end|>",
    "<|im_start|>",
    "<|endoftext|>",
    "<|object_ref_start|>a dog<|object_ref_end|><|box_start|>(10,20),(300,400)<|box_end|>",
    "<|box_start|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<tool_call>",
    "</tool_call>",
    "<|fim_prefix|>",
    "<think>",
    "</think>",
    "<tool_response>",
    "<|quad_start|>",
]
LOOKALIKES = [
    "<|im_end |>",
    "<|image_pad",
    "image_pad|>",
    "<IMAGE>",
    "< image>",
    "<image >",
    "<img>",
    "<|IM_END|>",
    "<<|im_start|>>",
    "<|",
    "|>",
    "<think >",
    "<|box_start|><|box_start|>",
]
JSON_BOX = '```json\n[{"bbox_2d": [12, 34, 560, 780], "label": "狗"}]\n```'
SIZES = [
    (640, 428),
    (1000, 1000),
    (27, 300),
    (1, 1),
    (13, 13),
    (28, 28),
    (29, 57),
    (224, 224),
    (800, 600),
    (3, 600),
    (3, 601),
    (5600, 28),
    (50, 50),
    (60, 60),
    (12, 900),
    (4096, 64),
    (333, 777),
    (769, 769),
    (768, 768),
    (1023, 17),
    # thin and tiny sides around factor / 2 (14 for patch 14, 16 for patch 16): transformers'
    # resize rounds them to 0 and scales up, qwen-vl-utils' keeps one factor
    (7, 450),
    (10, 1500),
    (1500, 10),
    (13, 700),
    (14, 700),
    (15, 900),
    (900, 15),
    (16, 640),
    (17, 500),
    (2, 3),
    (1, 200),
    (31, 31),
    (32, 32),
    (42, 42),
    (3000, 15),
]
# Pictures of millions of pixels: the real processors spend seconds on each (ms-swift keeps up
# to 12.8 million pixels), so they come rarely there; a few of them prove the rule.
HUGE = [
    (4000, 3000),
    (3000, 4000),
    (2048, 2048),
    (100, 20000),
    (1920, 1080),
    (1080, 1920),
    (6000, 30),
]


def _size(rng: random.Random, framework: str) -> list[int]:
    if rng.random() < (0.02 if framework == "ms-swift" else 0.06):
        width, height = rng.choice(HUGE)
    elif rng.random() < 0.45:
        width, height = rng.choice(SIZES)
    else:
        width, height = rng.randrange(20, 1400), rng.randrange(20, 1400)
    return [width, height]


def _text(rng: random.Random, length: int) -> str:
    out = []
    for _ in range(length):
        roll = rng.random()
        if roll < 0.45:
            out.append(" ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 6))))
        elif roll < 0.65:
            out.append(rng.choice(CHINESE))
        elif roll < 0.72:
            out.append(rng.choice(EMOJI))
        elif roll < 0.80:
            out.append(rng.choice(SPECIALS))
        elif roll < 0.90:
            out.append(rng.choice(LOOKALIKES))
        elif roll < 0.95:
            out.append(JSON_BOX)
        else:
            out.append("".join(rng.choice("0123456789") for _ in range(rng.randrange(1, 40))))
        if rng.random() < 0.5:
            out.append(rng.choice([" ", "\n", "", "  "]))
    return "".join(out)


def _user(rng: random.Random, images: int) -> str:
    parts = [_text(rng, rng.randrange(0, 4))]
    for _ in range(images):
        parts.append(rng.choice(["<image>", "<image>\n", "\n<image>", " <image> "]))
        if rng.random() < 0.5:
            parts.append(_text(rng, rng.randrange(0, 3)))
    if rng.random() < 0.3:
        parts.append(_text(rng, 1))
    text = "".join(parts)
    return text if rng.random() < 0.7 else text.strip()


def _answer(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.15:
        return " ".join(rng.choice(WORDS + CHINESE) for _ in range(rng.randrange(80, 700)))
    if roll < 0.20:
        return JSON_BOX
    if roll < 0.23:
        return ""
    return _text(rng, rng.randrange(1, 6))


def _messages(rng: random.Random, framework: str) -> tuple[list[dict[str, str]], list[list[int]]]:
    messages: list[dict[str, str]] = []
    if framework != "qwen-vl-finetune" and rng.random() < 0.3:
        system = rng.choice(["You are a helpful assistant.", "你是一个有用的助手。", _text(rng, 2)])
        messages.append({"role": "system", "content": system})
    images: list[list[int]] = []
    turns = rng.choice((1, 1, 1, 2, 2, 3, 5))
    for turn in range(turns):
        count = 0
        if turn == 0 or rng.random() < 0.3:
            count = rng.choice((0, 1, 1, 1, 2, 2, 3, 5)) if turn == 0 else 1
        images.extend(_size(rng, framework) for _ in range(count))
        messages.append({"role": "user", "content": _user(rng, count)})
        messages.append({"role": "assistant", "content": _answer(rng)})
    return messages, images


# Weighted so that cuts inside pad runs, through answers and past everything each come often.
PROBES = (
    "default",
    "past",
    "in-pads",
    "in-pads",
    "in-answer",
    "in-answer",
    "before-answer",
    "exact",
    "exact-minus-1",
    "tiny",
)


def _options(rng: random.Random, framework: str) -> dict[str, Any]:
    if framework == "llama-factory":
        options: dict[str, Any] = {"default_max_len": 2048}
        if rng.random() < 0.25:
            options["image_max_pixels"] = rng.choice((256 * 256, 1024 * 1024, 512 * 512))
        if rng.random() < 0.15:
            options["image_min_pixels"] = rng.choice((128 * 128, 16 * 16))
        return options
    if framework == "ms-swift":
        strategy = rng.choice(("delete", "delete", "raise", "right", "left"))
        return {"default_max_len": 2048, "truncation_strategy": strategy}
    # qwen-vl-finetune: DataArguments defaults, or the pixel bounds of scripts/sft.sh
    if rng.random() < 0.5:
        return {"default_max_len": 8192, "min_pixels": 28 * 28 * 16, "max_pixels": 28 * 28 * 576}
    return {"default_max_len": 512, "min_pixels": 784, "max_pixels": 50176}


def generate(count: int, seed: int, model: str, framework: str) -> list[dict[str, Any]]:
    rng = random.Random(f"{seed}:{model}:{framework}")
    corpus = []
    for index in range(count):
        messages, images = _messages(rng, framework)
        corpus.append(
            {
                "id": f"{model}/{framework}/{index}",
                "model": model,
                "framework": framework,
                "messages": messages,
                "images": images,
                "options": _options(rng, framework),
                "probe": rng.choice(PROBES),
                "probe_seed": rng.randrange(1 << 30),
            }
        )
    return corpus


# Runs inside the reference environment (argv: harness dir, corpus file, output file, images dir).
_RUNNER = r"""
import hashlib, json, random, sys, traceback
sys.path.insert(0, sys.argv[1])
import famref_harness as harness
PAD, BIG = 151655, 10 ** 6

def sha(ids):
    return hashlib.sha256(json.dumps(ids).encode()).hexdigest()

def fail(exc):
    return f"{type(exc).__name__}: {str(exc)[:300]}"

def labelled(labels):
    return sum(1 for x in labels if x != -100)

def pick_max_len(item, ids, labels):
    rng = random.Random(item["probe_seed"])
    probe, n = item["probe"], len(ids)
    pads = [i for i, t in enumerate(ids) if t == PAD]
    sup = [i for i, x in enumerate(labels) if x != -100]
    if probe == "in-pads" and pads:
        return rng.choice(pads)  # keeps the ids before it: the run is cut
    if probe == "in-answer" and sup:
        return max(1, rng.choice(sup))
    if probe == "before-answer" and sup:
        return max(1, sup[0] - rng.randrange(0, 3))
    if probe == "exact":
        return n
    if probe == "past":
        return n + rng.randrange(1, 300)
    if probe == "exact-minus-1":
        return max(1, n - 1)
    if probe == "tiny":
        return rng.randrange(1, 40)
    return item["options"]["default_max_len"]

def run(item, images_dir):
    record = dict(item, options=dict(item["options"], max_len=BIG))
    try:
        full = harness.encode(record, images_dir)
    except Exception as exc:
        return {"error": fail(exc)}, item["options"]["default_max_len"]
    if full.get("dropped"):
        return {"error": "dropped: the framework skips the sample"}, item["options"]["default_max_len"]
    ids, labels, grid = full["input_ids"], full["labels"], full["grid_pads"]
    max_len = pick_max_len(item, ids, labels)
    ref = {
        "length": len(ids), "label_count": labelled(labels),
        "ids_sha256": sha(ids), "labels_sha256": sha(labels),
        "image_pad_counts": grid, "cut": None,
        "kept_length": len(ids), "kept_label_count": labelled(labels),
    }
    if len(ids) <= max_len:
        return ref, max_len
    record = dict(item, options=dict(item["options"], max_len=max_len))
    if item["framework"] == "qwen-vl-finetune":  # its collator keeps the first max_len
        cut = {"input_ids": ids[:max_len], "labels": labels[:max_len]}
    else:
        try:
            cut = harness.encode(record, images_dir)
        except Exception as exc:
            name = type(exc).__name__
            if name == "MaxLengthError":
                strategy = item["options"].get("truncation_strategy")
                ref.update(cut="dropped" if strategy == "delete" else "raises",
                           kept_length=0, kept_label_count=0)
                return ref, max_len
            ref.update(cut="raises", kept_length=0, kept_label_count=0, cut_error=fail(exc))
            return ref, max_len
    kept_ids, kept_labels = cut["input_ids"], cut["labels"]
    kept_count = labelled(kept_labels)
    if sum(1 for t in kept_ids if t == PAD) != sum(grid):
        verdict = "inside-image-pads"
    elif kept_count == 0:
        verdict = "nothing-supervised"
    elif kept_count < ref["label_count"]:
        verdict = "through-answer"
    else:
        verdict = "through-prompt"
    ref.update(cut=verdict, kept_length=len(kept_ids), kept_label_count=kept_count,
               kept_ids_sha256=sha(kept_ids), kept_labels_sha256=sha(kept_labels))
    return ref, max_len

corpus = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8")]
with open(sys.argv[3], "w", encoding="utf-8") as out:
    for number, item in enumerate(corpus):
        ref, max_len = run(item, sys.argv[4])
        item["options"]["max_len"] = max_len
        item["reference"] = ref
        out.write(json.dumps(item, ensure_ascii=False) + "\n")
        if number % 100 == 0:
            print(item["id"], file=sys.stderr, flush=True)
"""


def golden_path(model: str, framework: str) -> Path:
    return GOLDEN_DIR / f"{model}--{framework}.jsonl.gz"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--reference-python")
    parser.add_argument("--harness-dir")
    parser.add_argument("--count", type=int, default=400, help="samples per model x framework")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--only", help="MODEL--FRAMEWORK: regenerate one file")
    parser.add_argument("--out-dir", type=Path, default=GOLDEN_DIR)
    args = parser.parse_args()
    pairs = [(m, f) for m in MODELS for f in FRAMEWORKS]
    if args.only:
        pairs = [p for p in pairs if f"{p[0]}--{p[1]}" == args.only]
    if not args.reference_python or not args.harness_dir:
        for item in generate(3, args.seed, *pairs[0]):
            print(json.dumps(item, ensure_ascii=False))
        print("(give --reference-python and --harness-dir to write the goldens)")
        return 0
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        images_dir = Path(tmp) / "images"
        images_dir.mkdir()
        for model, framework in pairs:
            corpus = generate(args.count, args.seed, model, framework)
            corpus_file, out_file = Path(tmp) / "corpus.jsonl", Path(tmp) / "out.jsonl"
            corpus_file.write_text(
                "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in corpus), encoding="utf-8"
            )
            subprocess.run(
                [
                    args.reference_python,
                    "-c",
                    _RUNNER,
                    args.harness_dir,
                    str(corpus_file),
                    str(out_file),
                    str(images_dir),
                ],
                check=True,
            )
            target = args.out_dir / golden_path(model, framework).name
            partial = target.with_suffix(".tmp")
            with gzip.GzipFile(partial, "wb", mtime=0) as handle:
                handle.write(out_file.read_bytes())
            partial.replace(target)
            print(f"wrote {target} ({len(corpus)} samples)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
