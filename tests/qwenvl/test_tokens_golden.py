"""datakit's token accounting against the real Qwen-VL tokenizer and trainer, sample for sample.

How the goldens were produced (tests/golden/tokens/hostile.jsonl.gz):
``tests/tools/make_token_goldens.py`` generated 4,000 hostile samples (seed 3): Chinese, emoji,
text that NFC normalisation changes (including ``>`` + U+0338, which stops a tag being a tag),
CRLF and lone CR, digit runs up to 300, literal special tokens and near-miss tags, images in
every turn with paths of 253-258 and 300 UTF-8 bytes, unclosed images, special tokens inside
image spans, lone surrogates, leading assistant turns, unknown roles, missing keys, non-string
values, empty or non-list conversations, non-object records, and samples near the 2048 cut. It
then ran them, in a separate environment with transformers 4.32.0, through Qwen-VL-Chat's own
``QWenTokenizer`` (tokenization_qwen.py, loaded with ``trust_remote_code``) and the
``preprocess`` function of QwenLM/Qwen-VL ``finetune.py``, with the ``qwen.tiktoken`` of the
model repository (CRLF line endings). Neither piece of upstream code is part of datakit. Each line
holds the sample, a probe cut length, and what the real code produced: its exception
(``"KeyError: 'human'"``), or the unpadded length, label count, image count, a sha256 of the
exact ``input_ids`` and ``labels``, and per cut length (2048 and the probe) the surviving
labels, whether an image span is cut, whether the last answer's ``<|im_end|>`` is cut, and
whether the model's image parsing would fail.

For a non-string ``value`` the trainer fails somewhere inside transformers with messages that
change between versions; there datakit reports its own message and only the failure is compared.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from datakit.qwenvl.tokens import QwenTokenCounter

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "tokens" / "hostile.jsonl.gz"
MODEL_SIDE = {"image-path-too-long-for-model", "unmatched-image-end"}


def _items() -> Iterator[dict[str, Any]]:
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


@pytest.fixture(scope="module")
def items() -> list[dict[str, Any]]:
    return list(_items())


@pytest.fixture(scope="module")
def counter() -> QwenTokenCounter:
    return QwenTokenCounter.load()


def test_corpus_is_hostile_enough(items: list[dict[str, Any]], counter: QwenTokenCounter) -> None:
    kinds: dict[str, int] = {}
    for item in items:
        result = counter.account_record(item["record"], item["probe_max_len"])
        for kind in {p.kind for p in result.problems} | (
            {"cut-in-image"} if result.cut_in_image else set()
        ):
            kinds[kind] = kinds.get(kind, 0) + 1
    ok = sum(1 for item in items if item["reference"]["error"] is None)
    assert len(items) == 4000 and ok > 2000
    for kind in (
        "image-content-too-long",
        "image-path-too-long-for-model",
        "unclosed-image",
        "special-token-in-image",
        "unmatched-image-end",
        "control-token-in-text",
        "unknown-role",
        "leading-assistant-dropped",
        "malformed",
        "empty-conversations",
        "value-not-a-string",
        "cut-in-image",
    ):
        assert kinds.get(kind, 0) >= 10, kind


def test_errors_match_the_trainer(items: list[dict[str, Any]], counter: QwenTokenCounter) -> None:
    mismatches = []
    for n, item in enumerate(items):
        expected = item["reference"]["error"]
        result = counter.account_record(item["record"])
        if expected is None or any(p.kind == "value-not-a-string" for p in result.problems):
            ok = (result.error is None) == (expected is None)
        else:
            ok = result.error == expected
        if not ok:
            mismatches.append((n, expected, result.error))
    assert mismatches == []


def test_counts_and_cuts_match_the_trainer(
    items: list[dict[str, Any]], counter: QwenTokenCounter
) -> None:
    mismatches = []
    for n, item in enumerate(items):
        reference = item["reference"]
        if reference["error"] is not None:
            continue
        for max_len_text, cut in reference["cuts"].items():
            max_len = int(max_len_text)
            result = counter.account_record(item["record"], max_len)
            got = (
                result.tokens,
                result.supervised_tokens,
                result.images,
                result.supervised_after_cut,
                result.cut_in_image,
                result.answer_cut,
                result.truncated,
                result.cut_at,
            )
            truncated = reference["tokens"] > max_len
            want = (
                reference["tokens"],
                reference["supervised"],
                reference["images"],
                cut["supervised_after_cut"],
                cut["cut_in_image"],
                cut["answer_cut"],
                truncated,
                max_len if truncated else None,
            )
            if got != want:
                mismatches.append((n, max_len, want, got))
    assert mismatches == []


def test_model_side_failures_match(items: list[dict[str, Any]], counter: QwenTokenCounter) -> None:
    mismatches = []
    for n, item in enumerate(items):
        reference = item["reference"]
        if reference["error"] is not None:
            continue
        result = counter.account_record(item["record"], max_len=1_000_000)
        predicted = any(p.fatal for p in result.problems if p.kind in MODEL_SIDE)
        if predicted != (reference["model_error"] is not None):
            mismatches.append((n, reference["model_error"], result.problems))
    assert mismatches == []


def test_exact_ids_and_labels(items: list[dict[str, Any]], counter: QwenTokenCounter) -> None:
    mismatches = []
    for n, item in enumerate(items):
        reference = item["reference"]
        if reference["error"] is not None:
            continue
        input_ids, labels = counter.encode_sample(item["record"])
        digest = hashlib.sha256(json.dumps([input_ids, labels]).encode()).hexdigest()
        if digest != reference["sha256"]:
            mismatches.append(n)
    assert mismatches == []
