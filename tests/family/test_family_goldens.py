"""datakit's Qwen2-family token accounting against the real trainers, sample for sample.

The goldens (tests/golden/family/*.jsonl.gz) hold what LLaMA-Factory, ms-swift and
qwen-vl-finetune themselves made of each corpus record (tests/tools/make_family_goldens.py).
Every record must agree on length, label count, the sha256 of ids and labels, pad tokens per
picture, and the cut verdict with what survives it.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from datakit.family.profiles import FRAMEWORKS, MODELS
from datakit.family.sample import Image, ImageSlot, Part, Sample, Text, Turn
from datakit.family.tokens import SampleRejected, account_sample, encode_sample
from datakit.family.vision import resize_rule

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden" / "family"
FILES = sorted(GOLDEN_DIR.glob("*.jsonl.gz"))
SHOWN = 5


def _sample(record: dict[str, Any]) -> Sample:
    turns = []
    index = 0
    for message in record["messages"]:
        parts: list[Part] = []
        pieces = message["content"].split("<image>")
        for number, piece in enumerate(pieces):
            if number:
                parts.append(ImageSlot(index))
                index += 1
            if piece:
                parts.append(Text(piece))
        turns.append(Turn(message["role"], tuple(parts)))
    images = tuple(Image(f"img{i}.png", (w, h)) for i, (w, h) in enumerate(record["images"]))
    return Sample(tuple(turns), images, record["id"])


def _options(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    options = record["options"]
    framework_options: dict[str, Any] = {}
    bounds: dict[str, int] = {}
    if record["framework"] == "ms-swift":
        framework_options["truncation_strategy"] = options["truncation_strategy"]
    if record["framework"] == "llama-factory" and record["model"] == "qwen3-vl":
        framework_options["llamafactory_template"] = "qwen3_vl_nothink"
    for ours, theirs in (
        ("min_pixels", "min_pixels"),
        ("max_pixels", "max_pixels"),
        ("pre_min_pixels", "image_min_pixels"),
        ("pre_max_pixels", "image_max_pixels"),
    ):
        if theirs in options:
            bounds[ours] = options[theirs]
    return framework_options, bounds


def _sha(ids: list[int]) -> str:
    return hashlib.sha256(json.dumps(ids).encode()).hexdigest()


def _ours(record: dict[str, Any]) -> dict[str, Any]:
    model, framework = MODELS[record["model"]], FRAMEWORKS[record["framework"]]
    framework_options, bounds = _options(record)
    rule = resize_rule(model, framework, **bounds)
    sample = _sample(record)
    sizes = [(w, h) for w, h in record["images"]]
    max_len = record["options"]["max_len"]
    try:
        encoding = encode_sample(sample, model, framework, rule, sizes, **framework_options)
    except SampleRejected as exc:
        return {"error": str(exc)}
    tokens = account_sample(sample, model, framework, rule, sizes, max_len, **framework_options)
    return {
        "length": len(encoding.input_ids),
        "label_count": tokens.label_count,
        "ids_sha256": _sha(encoding.input_ids),
        "labels_sha256": _sha(encoding.labels),
        "image_pad_counts": list(encoding.image_pad_counts),
        "cut": tokens.cut,
        "kept_length": tokens.kept_length,
        "kept_label_count": tokens.kept_label_count,
    }


def _compare(reference: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    if "error" in reference or "error" in ours:
        if ("error" in reference) != ("error" in ours):
            return [f"error: real {reference.get('error')!r}, datakit {ours.get('error')!r}"]
        return []
    return [
        f"{key}: real {reference[key]!r}, datakit {ours[key]!r}"
        for key in ours
        if key in reference and reference[key] != ours[key]
    ]


@functools.cache
def _records(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.mark.parametrize("path", FILES, ids=[p.name.split(".")[0] for p in FILES])
def test_datakit_agrees_with_the_real_trainer(path: Path) -> None:
    records = _records(path)
    differing = []
    for record in records:
        problems = _compare(record["reference"], _ours(record))
        if problems:
            differing.append((record, problems))
    if differing:
        lines = [f"{len(differing)} of {len(records)} samples differ from the real trainer:"]
        for record, problems in differing[:SHOWN]:
            lines.append(f"- {record['id']} images={record['images']} options={record['options']}")
            lines.append(f"  messages={json.dumps(record['messages'], ensure_ascii=False)[:300]}")
            lines.extend(f"  {problem}" for problem in problems)
        pytest.fail("\n".join(lines))


def test_goldens_cover_every_model_and_framework() -> None:
    names = {p.name for p in FILES}
    for model in ("qwen2-vl", "qwen2.5-vl", "qwen3-vl"):
        for framework in ("llama-factory", "ms-swift", "qwen-vl-finetune"):
            assert f"{model}--{framework}.jsonl.gz" in names


@pytest.mark.parametrize("path", FILES, ids=[p.name.split(".")[0] for p in FILES])
def test_each_golden_file_holds_the_hostile_mix(path: Path) -> None:
    # Agreement only proves something where the corpus goes: each file keeps hundreds of
    # samples with cuts inside pad runs, through answers and past everything, and pictures
    # that are thin (a side under half the factor), several to a sample or refused.
    records = _records(path)
    assert len(records) >= 300
    cuts = Counter(r["reference"].get("cut", "error") for r in records)
    wanted = {None: 50, "through-answer": 20}
    if "ms-swift" in path.name:  # ms-swift never cuts a pad run; it drops or raises instead
        wanted.update({"dropped": 30, "raises": 20, "error": 3})
    else:
        wanted["inside-image-pads"] = 50
    for verdict, least in wanted.items():
        assert cuts[verdict] >= least, (verdict, dict(cuts))
    assert sum(any(min(size) < 14 for size in r["images"]) for r in records) >= 50
    assert sum(len(r["images"]) > 1 for r in records) >= 100
    assert sum(any(w * h > 2_500_000 for w, h in r["images"]) for r in records) >= 1
