"""Deterministic, realistic Qwen-VL datasets for the benchmarks.

    python benchmarks/generate.py --records 1000000 [--images 50000] [--out benchmarks/data]

Writes ``qwenvl-<N>.json`` (one array, indented as ``json.dump(..., indent=2)`` writes it) and
``qwenvl-<N>.jsonl`` (the same records, one per line) under ``--out``, and a pool of real image
files under ``--out/images/`` that the records reference relative to ``--out`` (run validate
with ``--image-root`` pointing there, as the trainer would run from that folder).

Records: Chinese and English, 1-3 turns, one or two pictures per sample, grounding answers with
several boxes, captions and some long descriptions, and about 1.5% broken samples (wrong roles,
missing or unreadable images, boxes off the grid or swapped, unclosed tags, control tokens,
duplicates, samples over 2048 tokens, invalid JSON...). The same arguments give byte-identical
files; existing outputs with the same parameters are reused.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

GENERATOR_VERSION = 3
DEFAULT_OUT = Path(__file__).resolve().parent / "data"
IMAGES_PER_FOLDER = 1000
BROKEN_SHARE = 0.015

Record = dict[str, Any]

OBJECTS_EN = ["man", "woman", "dog", "cat", "bus", "umbrella", "bicycle", "car", "kite", "child",
              "traffic light", "laptop", "cup", "horse", "boat", "pizza", "bench", "giraffe",
              "elephant", "skateboard", "surfboard", "clock", "vase", "teddy bear", "train"]
COLOURS_EN = ["red", "blue", "white", "black", "green", "yellow", "striped", "small", "large",
              "wooden", "old", "bright"]
PLACES_EN = ["on the left", "near the window", "behind the fence", "on the table", "in the corner",
             "in the background", "next to the door", "at the bottom right", "on the street"]
QUESTIONS_EN = [
    "What is the {c} {o} {p} doing?", "Where is the {c} {o}?", "How many {o}s are {p}?",
    "Describe the {c} {o} {p} in detail.", "Find the {c} {o} {p}.", "What colour is the {o}?",
    "Give the bounding box of the {c} {o}.", "Is there a {o} {p}?", "What is happening here?",
]
ANSWERS_EN = [
    "A {c} {o} is {p}, and a {c2} {o2} can be seen {p2}.",
    "There are {n} {o}s {p}; the nearest one is {c}.",
    "The {o} {p} is {c}, partly hidden by a {c2} {o2}.",
    "Yes, a {c} {o} stands {p}.", "It looks like a {c} {o} waiting {p}.",
]
OBJECTS_ZH = ["狗", "猫", "汽车", "自行车", "雨伞", "男人", "女人", "孩子", "公交车", "杯子",
              "笔记本电脑", "格子衬衫", "红绿灯", "长椅", "长颈鹿", "大象", "滑板", "钟", "花瓶"]
COLOURS_ZH = ["红色的", "蓝色的", "白色的", "黑色的", "小", "大", "条纹", "木头", "旧的"]
PLACES_ZH = ["左边", "右下角", "桌子上", "窗户旁边", "背景里", "门口", "街道上", "角落里"]
QUESTIONS_ZH = [
    "图中{p}的{c}{o}在做什么？", "框出图中{p}的{c}{o}", "{p}有几个{o}？", "请详细描述{p}的{c}{o}。",
    "{p}的{o}是什么颜色？", "图里有{o}吗？", "这张图片里发生了什么？",
]
ANSWERS_ZH = [
    "图中{p}有一个{c}{o}，{p2}还有一个{c2}{o2}。", "{p}一共有{n}个{o}。",
    "这是一张照片，{p}的{c}{o}旁边有{n}个{o2}。", "有的，{p}有一个{c}{o}。",
]
LONG_EN = [
    "The scene shows a {c} {o} {p} while a {c2} {o2} waits {p2}.",
    "Light falls from the left, so the {o} casts a long shadow toward the {o2}.",
    "Several people walk past, and one of them carries a {c} {o} under one arm.",
    "In the background a {c2} {o2} is parked {p2}, slightly out of focus.",
    "The colours are muted, which suggests the photo was taken on a cloudy afternoon.",
]
LONG_ZH = [
    "画面{p}是一个{c}{o}，{p2}有一个{c2}{o2}正在等待。",
    "光线从左边照过来，{o}的影子一直延伸到{o2}旁边。",
    "几个行人从旁边走过，其中一个人手里拿着{c}{o}。",
    "背景里{p2}停着一辆{c2}{o2}，看起来有些模糊。",
]


def _fill(template: str, rng: random.Random, chinese: bool) -> str:
    objects, colours, places = (
        (OBJECTS_ZH, COLOURS_ZH, PLACES_ZH) if chinese else (OBJECTS_EN, COLOURS_EN, PLACES_EN)
    )
    return template.format(
        o=rng.choice(objects), o2=rng.choice(objects), c=rng.choice(colours),
        c2=rng.choice(colours), p=rng.choice(places), p2=rng.choice(places),
        n=rng.randrange(2, 12),
    )


def _ref_text(rng: random.Random, chinese: bool) -> str:
    if chinese:
        return rng.choice(COLOURS_ZH) + rng.choice(OBJECTS_ZH)
    return f"the {rng.choice(COLOURS_EN)} {rng.choice(OBJECTS_EN)}"


def _box_norm1000(rng: random.Random) -> str:
    x1, y1 = rng.randrange(0, 900), rng.randrange(0, 900)
    x2, y2 = rng.randrange(x1 + 1, 1000), rng.randrange(y1 + 1, 1000)
    return f"<box>({x1},{y1}),({x2},{y2})</box>"


def _grounding(rng: random.Random, chinese: bool) -> str:
    parts = []
    for _ in range(rng.choice((1, 1, 1, 2))):
        boxes = "".join(_box_norm1000(rng) for _ in range(rng.choice((1, 1, 2, 3))))
        parts.append(f"<ref>{_ref_text(rng, chinese)}</ref>{boxes}")
    return ("，" if chinese else ", ").join(parts)


def _long_answer(rng: random.Random, chinese: bool, sentences: int) -> str:
    pool = LONG_ZH if chinese else LONG_EN
    joiner = "" if chinese else " "
    return joiner.join(_fill(rng.choice(pool), rng, chinese) for _ in range(sentences))


def image_path(number: int) -> str:
    """Path of pool image ``number``, relative to the data folder (the image root)."""
    folder = number // IMAGES_PER_FOLDER
    suffix = "png" if number % 5 == 4 else "jpg"
    return f"images/{folder:03d}/{number:06d}.{suffix}"


def make_record(i: int, rng: random.Random, images: int) -> Record:
    """One well-formed sample."""
    picture = 0
    shown = 0  # pictures of the latest message that has any
    conversations: list[dict[str, str]] = []
    for turn in range(rng.choice((1, 1, 1, 1, 2, 2, 3))):
        prefix = ""
        if turn == 0 or rng.random() < 0.1:
            for _ in range(2 if rng.random() < 0.2 and picture == 0 else 1):
                picture += 1
                prefix += f"Picture {picture}: <img>{image_path(rng.randrange(images))}</img>\n"
            shown = prefix.count("<img>")
        chinese = rng.random() < 0.4
        question = _fill(rng.choice(QUESTIONS_ZH if chinese else QUESTIONS_EN), rng, chinese)
        conversations.append({"from": "user", "value": prefix + question})
        kind = rng.random()
        if kind < 0.45:
            if shown > 1:  # a box after several pictures must say which one it marks
                named = f"图{picture}中，" if chinese else f"In Picture {picture}, "
                conversations[-1]["value"] = prefix + named + question
            answer = _grounding(rng, chinese)
        elif kind < 0.98:
            answer = _fill(rng.choice(ANSWERS_ZH if chinese else ANSWERS_EN), rng, chinese)
        else:
            answer = _long_answer(rng, chinese, rng.randrange(6, 30))
        conversations.append({"from": "assistant", "value": answer})
    source = ("coco", "vg", "refcoco", "gqa", "ocr")[i % 5]
    return {"id": f"{source}_{i:07d}", "conversations": conversations}


def _break(record: Record, rng: random.Random, previous: list[Record]) -> Record | bytes:
    """Damage a record the way real datasets are damaged (returns raw bytes for invalid JSON)."""
    conversations = record["conversations"]
    first, answer = conversations[0], conversations[1]
    damage = rng.randrange(16)
    if damage == 0:
        first["from"] = "human"
    elif damage == 1:
        del record["id"]
    elif damage == 2 and previous and "id" in previous[-1]:
        record["id"] = previous[-1]["id"]
    elif damage == 3 and previous:
        record["conversations"] = previous[-1]["conversations"]
    elif damage == 4:
        first["value"] = first["value"].replace("</img>", "_missing.jpg</img>", 1)
    elif damage == 5:
        answer["value"] = "<ref>the dog</ref><box>(120,340),(1200,680)</box>"
    elif damage == 6:
        answer["value"] = "<ref>the dog</ref><box>(500,340),(120,680)</box>"
    elif damage == 7:
        answer["value"] = "<ref>the dog<box>(120,340),(500,680)</box>"
    elif damage == 8:
        answer["value"] = answer["value"] + "<|im_end|>"
    elif damage == 9:
        answer["value"] = "  "
    elif damage == 10:
        conversations.append({"from": "user", "value": "And then?"})
    elif damage == 11:
        answer["value"] = _long_answer(rng, False, 140)  # > 2048 tokens: the answer is cut
    elif damage == 12:
        first["value"] = first["value"].replace("images/", "https://example.com/coco/", 1)
    elif damage == 13:
        answer["value"] = 42
    elif damage == 14:
        first["value"] = first["value"].replace("Picture 1", "Picture 2", 1)
    else:
        text = orjson.dumps(record)
        return text.replace(b'"conversations":', b'"conversations"', 1)
    return record


def iter_records(count: int, images: int, seed: int) -> Iterator[Record | bytes]:
    rng = random.Random(seed)
    previous: list[Record] = []
    for i in range(count):
        record = make_record(i, rng, images)
        out: Record | bytes = record
        if rng.random() < BROKEN_SHARE:
            out = _break(record, rng, previous)
        if isinstance(out, dict):
            previous = [out]
        yield out


def _dump(record: Record | bytes, indent: bool) -> bytes:
    if isinstance(record, bytes):
        return record
    return orjson.dumps(record, option=orjson.OPT_INDENT_2 if indent else 0)


def write_datasets(out: Path, count: int, images: int, seed: int) -> tuple[Path, Path]:
    """``qwenvl-<count>.json`` and ``.jsonl`` under ``out``, reused when already generated."""
    stem = out / f"qwenvl-{count}"
    array_path, lines_path = stem.with_suffix(".json"), stem.with_suffix(".jsonl")
    manifest = stem.with_suffix(".manifest.json")
    wanted = {"version": GENERATOR_VERSION, "records": count, "images": images, "seed": seed}
    if (manifest.is_file() and array_path.is_file() and lines_path.is_file()
            and json.loads(manifest.read_text(encoding="utf-8")) == wanted):
        return array_path, lines_path
    out.mkdir(parents=True, exist_ok=True)
    with open(array_path, "wb") as array_file, open(lines_path, "wb") as lines_file:
        array_file.write(b"[\n")
        for n, record in enumerate(iter_records(count, images, seed)):
            indented = _dump(record, indent=True).replace(b"\n", b"\n  ")
            array_file.write((b",\n  " if n else b"  ") + indented)
            lines_file.write(_dump(record, indent=False) + b"\n")
        array_file.write(b"\n]\n")
    manifest.write_text(json.dumps(wanted), encoding="utf-8")
    return array_path, lines_path


def write_images(out: Path, count: int, seed: int = 0) -> Path:
    """``count`` small real images (JPEG and PNG, 48-96 px sides) under ``out/images``; files
    already there are kept, so the pool is made once."""
    from PIL import Image, ImageDraw

    root = out / "images"
    done = root / f".complete-{count}"
    if done.is_file():
        return root
    rng = random.Random(seed)
    for number in range(count):
        path = out / image_path(number)
        width, height = rng.randrange(48, 97), rng.randrange(48, 97)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        if path.is_file():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        image = Image.new("RGB", (width, height), colour)
        ImageDraw.Draw(image).rectangle((width // 4, height // 4, width // 2, height // 2),
                                        fill=colour[::-1])
        if path.suffix == ".jpg":
            image.save(path, quality=80)
        else:
            image.save(path)
    done.write_text("", encoding="utf-8")
    return root


def ensure(records: int, images: int = 50_000, seed: int = 0, out: Path = DEFAULT_OUT,
           log: Callable[[str], None] | None = None) -> tuple[Path, Path]:
    """The image pool and both files for ``records`` samples, generating what is missing."""
    started = time.perf_counter()
    write_images(out, images)
    paths = write_datasets(out, records, images, seed)
    if log is not None:
        log(f"data for {records:,} records ready in {time.perf_counter() - started:.1f} s")
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, action="append",
                        help="records per file (repeatable; default 10, 100000, 1000000)")
    parser.add_argument("--images", type=int, default=50_000, help="distinct image files")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    for count in args.records or [10, 100_000, 1_000_000]:
        for path in ensure(count, args.images, args.seed, args.out, log=print):
            print(f"{path}  {path.stat().st_size / 1e6:,.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
