"""Per-sample facts: exact token figures and exact content counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from datakit.io.records import RawRecord
from datakit.qwenvl.tokens import QwenTokenCounter
from datakit.statistics.sample import analyse_raw, analyse_record

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "qwen_vl_readme.json"


@pytest.fixture(scope="module")
def counter() -> QwenTokenCounter:
    return QwenTokenCounter.load()


def test_readme_samples(counter: QwenTokenCounter) -> None:
    records = json.loads(VECTORS.read_text(encoding="utf-8"))
    facts = [analyse_record("r.json", i, None, r, counter, 2048) for i, r in enumerate(records)]
    assert [(f.record_id, f.tokens, f.supervised_tokens, f.turns, f.images, f.boxes, f.refs)
            for f in facts] == [
        ("identity_0", 35, 22, 2, 0, 0, ()),
        ("identity_1", 341, 48, 4, 1, 1, ("格子衬衫",)),
        ("identity_2", 573, 29, 2, 2, 0, ()),
    ]
    assert [(f.han_chars, f.latin_letters) for f in facts] == [(16, 6), (32, 0), (31, 0)]
    assert facts[1].box_sizes_norm1000 == ((137, 290),)
    assert facts[2].image_paths == ("assets/mm_tutorial/Chongqing.jpeg",
                                    "assets/mm_tutorial/Beijing.jpeg")
    assert not any(f.truncated or f.rejected for f in facts)


def test_cut_samples_and_odd_boxes(counter: QwenTokenCounter) -> None:
    record = {"id": 7, "conversations": [
        {"from": "user", "value": "Picture 1: <img>a.jpg</img>\n" + "word " * 40},
        {"from": "assistant", "value": "<ref>x</ref><box>(5,5),(5,9)</box><box>(1,2)</box>"},
    ]}
    facts = analyse_record("f", 0, 3, record, counter, 300)
    assert (facts.record_id, facts.truncated, facts.cut_in_image, facts.answer_cut) == (
        "7", True, False, True)
    assert (facts.boxes, facts.malformed_boxes, facts.inverted_boxes) == (2, 1, 1)
    assert facts.box_sizes_norm1000 == ()
    early = analyse_record("f", 0, 3, record, counter, 100)
    assert early.cut_in_image


def test_rejected_records_still_have_facts(counter: QwenTokenCounter) -> None:
    human = {"id": "h", "conversations": [{"from": "human", "value": "hi"}]}
    facts = analyse_record("f", 1, None, human, counter, 2048)
    assert (facts.trainer_error, facts.tokens, facts.turns, facts.rejected) == (
        "KeyError: 'human'", 0, 1, True)
    broken = analyse_raw(RawRecord("f", 2, 5, 1, 0, raw=b'{"id": '), counter, 2048)
    assert broken.parse_error is not None and broken.parse_error.startswith("invalid JSON")
    assert (broken.index, broken.line, broken.record_id, broken.tokens) == (2, 5, None, 0)


def test_same_conversations_give_the_same_fingerprint(counter: QwenTokenCounter) -> None:
    a = {"id": "a", "conversations": [{"value": "x", "from": "user"}]}
    b = {"id": "b", "conversations": [{"from": "user", "value": "x"}]}
    c = {"id": "a", "conversations": [{"from": "user", "value": "y"}]}
    fa, fb, fc = (analyse_record("f", 0, None, r, counter, 2048) for r in (a, b, c))
    assert fa.fingerprint == fb.fingerprint != fc.fingerprint
    assert fa.id_digest == fc.id_digest != fb.id_digest
