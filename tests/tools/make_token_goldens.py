"""Regenerate tests/golden/tokens/hostile.jsonl.gz: hostile samples and the real trainer's numbers.

    python tests/tools/make_token_goldens.py --reference-python /path/to/venv/bin/python \\
        --harness-dir /path/to/harness [--count 4000] [--seed 3]

The corpus is generated here, deterministically. The numbers come from Qwen-VL itself, run in a
separate environment that datakit never imports: ``--harness-dir`` must hold a module
``refload.py`` exposing ``tok`` (Qwen-VL-Chat's ``QWenTokenizer``, loaded with
``AutoTokenizer.from_pretrained(dir, use_fast=False, trust_remote_code=True)`` and
``tok.pad_token_id = tok.eod_id`` as ``finetune.py`` does) and ``preprocess`` (the function of
QwenLM/Qwen-VL ``finetune.py``). This script holds no upstream code; without those arguments it
only prints a few generated samples.

Per sample the reference run records, from the real ``input_ids``/``labels``: the unpadded
length, the label count, a sha256 of both id lists, the image count, and for two cut lengths
(2048 and a per-sample probe) the labels that survive, whether an ``<img>`` survives without its
``</img>``, whether the last answer's ``<|im_end|>`` is cut, and whether the model's own image
parsing (pair ``<img>``/``</img>``, find ``<imgpad>`` in ``[a+1:b-1]``) would fail. Failures
are recorded as ``"ExceptionType: message"``.
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

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "tokens" / "hostile.jsonl.gz"

CHINESE = [
    "你好",
    "图中的狗是什么品种？",
    "框出图中的格子衬衫",
    "第一张图片是重庆的城市天际线。",
    "我是Qwen-VL,一个支持视觉输入的大模型。",
    "這是繁體字。",
    "日本語のテキストです",
    "한국어 문장",
]
EMOJI = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🇨🇳", "❤️", "🧪x🧪", "\U0001fae0"]
# Each changes under NFC: composed accents, Hangul jamo, CJK compatibility ideographs, and
# combining overlays that turn '>' or '<' into one character (so a tag stops being a tag).
NFC_CHANGING = [
    "e\u0301",
    "A\u030a",
    "\u1100\u1161\u11a8",
    "\uf900",
    "\u212b",
    "o\u0308\u0304",
    ">\u0338",
    "<\u0338",
    "\u0041\u0327\u0301",
    "\u2126",
]
WHITESPACE = ["\r\n", "\r", "\n\n", "\t", "  ", "\u00a0", "\u3000", " \r\n ", "\u200b", "\u2028"]
SPECIALS = [
    "<|im_end|>",
    "<|im_start|>",
    "<|endoftext|>",
    "<|extra_0|>",
    "<|extra_204|>",
    "<|extra_205|>",
    "<|extra_05|>",
    "<imgpad>",
    "<ref>",
    "</ref>",
    "<box>",
    "</box>",
    "<quad>",
    "</quad>",
    "</img>",
    "<im",
    "< img>",
    "<IMG>",
    "</img >",
    "<|im_start|>user",
    "<|im_end|>\n<|im_start|>assistant\n",
    "<<img>>",
]
WORDS = [
    "the",
    "dog",
    "Hello",
    "world",
    "it's",
    "they'll",
    "I'M",
    "don't",
    "COCO",
    "x1",
    "naïve",
    "café",
    "über",
    "https://example.com/a?b=c&d=e",
    "C:\\data\\img.jpg",
    "#tag",
    "$100",
    "3.14159",
    "(588,499),(725,789)",
    "a_b-c.d",
    "...",
    "!!!",
    "''",
    "```py",
]


def _digits(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789") for _ in range(rng.choice((3, 17, 64, 300))))


def _path(rng: random.Random) -> str:
    """Image paths around the tokenizer's (256) and the model's (254) byte limits."""
    kind = rng.random()
    if kind < 0.85:
        return rng.choice(
            [
                "a.jpg",
                "",
                "assets/demo.jpeg",
                "https://x.org/i.png?w=1&h=2",
                "图片/猫.jpg",
                "dir with space/😀.png",
                "line\r\nbreak.jpg",
            ]
        )
    target = rng.choice((253, 254, 255, 256, 257, 258, 300))
    stem = rng.choice(("p/", "路径/", "😀/"))
    tail = ".jpg"
    filler = rng.choice(("a", "é", "中"))
    path = stem
    while len((path + filler + tail).encode()) <= target:
        path += filler
    path += tail
    while len(path.encode()) < target:
        path = "x" + path
    return path


def _image(rng: random.Random, number: int) -> str:
    label = rng.choice((f"Picture {number}: ", f"Picture {number}:", ""))
    roll = rng.random()
    if roll < 0.02:
        return f"{label}<img>{_path(rng)}"  # unclosed
    if roll < 0.04:
        inner = rng.choice(("<ref>", "<img>", "<|im_end|>", "<imgpad>", "</ref>"))
        return f"{label}<img>a{inner}b.jpg</img>\n"  # special token inside the span
    return f"{label}<img>{_path(rng)}</img>\n"


def _fragment(rng: random.Random, state: dict[str, int]) -> str:
    roll = rng.random()
    if roll < 0.22:
        state["images"] += 1
        return _image(rng, state["images"])
    if roll < 0.36:
        return rng.choice(CHINESE)
    if roll < 0.46:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 8)))
    if roll < 0.52:
        return rng.choice(EMOJI)
    if roll < 0.60:
        return rng.choice(NFC_CHANGING)
    if roll < 0.68:
        return rng.choice(WHITESPACE)
    if roll < 0.73:
        return _digits(rng)
    if roll < 0.83:
        return rng.choice(SPECIALS)
    if roll < 0.92:
        x1, y1 = rng.randrange(1000), rng.randrange(1000)
        return f"<ref>{rng.choice(CHINESE + WORDS)}</ref><box>({x1},{y1}),({x1 + 5},{y1 + 9})</box>"
    if roll < 0.95:
        return "\ud800" if rng.random() < 0.5 else "\ud83d\ude00"  # lone / split surrogates
    return rng.choice(["", " ", "<", ">", "|", "<|", "|>"])


def _value(rng: random.Random, state: dict[str, int]) -> str:
    return "".join(_fragment(rng, state) for _ in range(rng.randrange(0, 7)))


def _conversations(rng: random.Random) -> list[Any]:
    state = {"images": 0}
    turns: list[Any] = []
    for turn in range(rng.randrange(1, 5)):
        turns.append({"from": "user", "value": _value(rng, state)})
        if rng.random() < 0.9 or turn == 0:
            turns.append({"from": "assistant", "value": _value(rng, state)})
    roll = rng.random()
    if roll < 0.08:
        turns.insert(0, {"from": "assistant", "value": _value(rng, state)})
    elif roll < 0.11:
        turns[:0] = [{"from": "assistant", "value": "a"}, {"from": "assistant", "value": "b"}]
    elif roll < 0.16:
        bad = rng.choice(["human", "gpt", "system", "User", "", "ASSISTANT"])
        turns[rng.randrange(len(turns))]["from"] = bad
    elif roll < 0.19:
        victim = turns[rng.randrange(len(turns))]
        victim.pop(rng.choice(["from", "value"]))
    elif roll < 0.22:
        turns[rng.randrange(len(turns))]["value"] = rng.choice([None, 7, 1.5, True, [], ["a"], {}])
    elif roll < 0.24:
        turns[rng.randrange(len(turns))] = rng.choice([None, "text", ["user", "hi"], 3])
    elif roll < 0.26:
        turns[rng.randrange(len(turns))]["from"] = rng.choice([None, 1, ["user"]])
    return turns


def _long_conversations(rng: random.Random) -> list[Any]:
    """Samples near the 2048 cut: many images, long answers."""
    turns = []
    for number in range(1, rng.randrange(5, 10)):
        text = f"Picture {number}: <img>{'img/' + str(number) * rng.randrange(1, 60)}.jpg</img>\n"
        turns.append({"from": "user", "value": text + rng.choice(CHINESE)})
        answer = " ".join(rng.choice(WORDS + CHINESE) for _ in range(rng.randrange(5, 80)))
        turns.append({"from": "assistant", "value": answer})
    return turns


def generate(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    samples: list[dict[str, Any]] = []
    for index in range(count):
        roll = rng.random()
        record: Any
        if roll < 0.15:
            record = {"id": f"h{index}", "conversations": _long_conversations(rng)}
        elif roll < 0.97:
            record = {"id": f"h{index}", "conversations": _conversations(rng)}
        else:
            record = rng.choice(
                [
                    {"id": f"h{index}", "conversations": []},
                    {"id": f"h{index}"},
                    {"id": f"h{index}", "conversations": "user: hi"},
                    {"id": f"h{index}", "conversations": {"from": "user", "value": "hi"}},
                    {"id": f"h{index}", "conversations": None},
                    [{"from": "user", "value": "hi"}],
                    "not a record",
                ]
            )
        probe = rng.choice((rng.randrange(1, 600), rng.randrange(1, 2400), rng.randrange(1, 40)))
        samples.append({"record": record, "probe_max_len": probe})
    return samples


# Runs inside the reference environment (argv: harness dir, corpus file, output file).
_RUNNER = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from refload import tok, preprocess
import hashlib
IMG_START, IMG_END, IMG_PAD, PAD = 151857, 151858, 151859, tok.pad_token_id
BIG = 32768

def fail(exc):
    return f"{type(exc).__name__}: {exc}"

def model_error(ids):
    starts = [i for i, t in enumerate(ids) if t == IMG_START]
    ends = [i for i, t in enumerate(ids) if t == IMG_END]
    if not starts:
        return None
    if len(starts) != len(ends):
        return "image tags unbalanced"
    for a, b in zip(starts, ends):
        if IMG_PAD not in ids[a + 1 : b - 1]:
            return "no <imgpad> in image span"
    return None

def run(record, probe):
    try:
        conv = record["conversations"]
        out = preprocess([conv], tok, BIG)
    except Exception as exc:
        return {"error": fail(exc)}
    ids, labels = out["input_ids"][0].tolist(), out["labels"][0].tolist()
    n = max(i for i, t in enumerate(ids) if t != PAD) + 1
    assert n < BIG, "raise BIG"
    ids, labels = ids[:n], labels[:n]
    # token positions of each turn, from the real tokenizer's per-message ids
    source = conv[1:] if conv[0]["from"] == "assistant" else conv
    position, answer_end = 11, None
    for message in source:
        length = len(tok(message["value"]).input_ids)
        if message["from"] == "assistant":
            answer_end = position + 3 + length
        position += length + 5
    assert position == n
    result = {
        "error": None, "tokens": n, "supervised": sum(1 for x in labels if x != -100),
        "images": ids.count(IMG_START),
        "sha256": hashlib.sha256(json.dumps([ids, labels]).encode()).hexdigest(),
        "model_error": model_error(ids), "cuts": {},
    }
    for max_len in sorted({2048, probe}):
        cut = preprocess([conv], tok, max_len)
        cut_ids, cut_labels = cut["input_ids"][0].tolist(), cut["labels"][0].tolist()
        assert cut_ids == (ids + [PAD] * max_len)[:max_len]
        in_image = any(
            a < max_len <= ids.index(IMG_END, a) for a, t in enumerate(ids) if t == IMG_START
        )
        result["cuts"][str(max_len)] = {
            "supervised_after_cut": sum(1 for x in cut_labels if x != -100),
            "cut_in_image": in_image,
            "answer_cut": answer_end is not None and answer_end >= max_len,
            "model_error": model_error(cut_ids),
        }
    return result

corpus = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8")]
with open(sys.argv[3], "w", encoding="utf-8") as out:
    for item in corpus:
        item["reference"] = run(item["record"], item["probe_max_len"])
        out.write(json.dumps(item) + "\n")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reference-python")
    parser.add_argument("--harness-dir")
    parser.add_argument("--count", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    corpus = generate(args.count, args.seed)
    if not args.reference_python or not args.harness_dir:
        for item in corpus[:5]:
            print(json.dumps(item, ensure_ascii=False))
        print("(give --reference-python and --harness-dir to write the goldens)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        corpus_file, out_file = Path(tmp) / "corpus.jsonl", Path(tmp) / "out.jsonl"
        corpus_file.write_text("".join(json.dumps(x) + "\n" for x in corpus), encoding="utf-8")
        subprocess.run(
            [
                args.reference_python,
                "-c",
                _RUNNER,
                args.harness_dir,
                str(corpus_file),
                str(out_file),
            ],
            check=True,
        )
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        with gzip.GzipFile(GOLDEN, "wb", mtime=0) as handle:
            handle.write(out_file.read_bytes())
    print(f"wrote {GOLDEN} ({len(corpus)} samples)")


if __name__ == "__main__":
    sys.exit(main())
