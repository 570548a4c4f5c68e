"""Token accounting: the spec's test vectors and each rule of the tokenizer and ``preprocess``.

The golden comparison with the real trainer is in test_tokens_golden.py; these cases pin the
individual behaviours with readable inputs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from datakit.qwenvl.sample_tokens import SampleTokens
from datakit.qwenvl.text_tokens import SPECIAL_RE, TokenProblem
from datakit.qwenvl.tokens import QwenTokenCounter, account_records
from datakit.qwenvl.vocab import SPECIAL_IDS

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "qwen_vl_readme.json"
# fmt: off
IDENTITY_0_IDS = [
    151644, 8948, 198, 2610, 525, 264, 10950, 17847, 13, 151645, 198, 151644, 872, 198, 108386,
    151645, 198, 151644, 77091, 198, 104198, 48, 16948, 19625, 43, 11, 46944, 100143, 104916,
    31196, 104197, 104949, 1773, 151645, 198,
]
# fmt: on


@pytest.fixture(scope="module")
def counter() -> QwenTokenCounter:
    return QwenTokenCounter.load()


def _user(value: Any) -> dict[str, Any]:
    return {"from": "user", "value": value}


def _assistant(value: Any) -> dict[str, Any]:
    return {"from": "assistant", "value": value}


@pytest.mark.parametrize(
    ("sample_id", "tokens", "supervised", "images"),
    [("identity_0", 35, 22, 0), ("identity_1", 341, 48, 1), ("identity_2", 573, 29, 2)],
)
def test_readme_vectors(
    counter: QwenTokenCounter, sample_id: str, tokens: int, supervised: int, images: int
) -> None:
    record = next(r for r in json.loads(VECTORS.read_text("utf-8")) if r["id"] == sample_id)
    assert counter.account_sample(record) == SampleTokens(
        tokens, supervised, images, 2048, supervised_after_cut=supervised
    )
    input_ids, labels = counter.encode_sample(record)
    assert (len(input_ids), sum(label != -100 for label in labels)) == (tokens, supervised)


def test_identity_0_ids(counter: QwenTokenCounter) -> None:
    record = json.loads(VECTORS.read_text("utf-8"))[0]
    assert counter.encode_sample(record)[0] == IDENTITY_0_IDS
    padded, labels = counter.encode_sample(record, max_len=40)
    assert padded == [*IDENTITY_0_IDS, *[151643] * 5]
    assert labels[-5:] == [-100] * 5


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("Picture 1: ", [24669, 220, 16, 25, 220]),
        ("你好", [108386]),
        ("12345", [16, 17, 18, 19, 20]),
        ("<|im_end|>", [151645]),
        ("<|extra_204|><|extra_205|>", [151850, *[27, 91, 15460, 62, 17, 15, 20, 91, 29]]),
    ],
)
def test_encode_text(counter: QwenTokenCounter, text: str, ids: list[int]) -> None:
    assert counter.encode_text(text) == ids
    assert counter.count_text(text).tokens == len(ids)


def test_box_is_19_tokens(counter: QwenTokenCounter) -> None:
    text = "<box>(588,499),(725,789)</box>"
    assert counter.count_text(text).tokens == 19 == len(counter.encode_text(text))


def test_image_is_bytes_then_padding(counter: QwenTokenCounter) -> None:
    ids = counter.encode_text("<img>ab/é</img>")
    assert ids[:6] == [151857, 97, 98, 47, 0xC3, 0xA9]
    assert ids[6:] == [151859] * 251 + [151858]
    assert counter.count_text("x<img>ab/é</img>y") == counter.count_text("x<img></img>y")
    assert counter.count_text("<img>ab/é</img>").tokens == 258


def test_nfc_first(counter: QwenTokenCounter) -> None:
    assert counter.encode_text("e\u0301") == counter.encode_text("\u00e9")
    # '>' + U+0338 composes to U+226F: the closing tag is gone, the image is unclosed.
    result = counter.count_text("<img>a.jpg</img\u003e\u0338")
    assert result.error == "ValueError: Unclosed image token"


def test_special_regex_matches_exactly_the_vocabulary() -> None:
    for token in SPECIAL_IDS:
        assert SPECIAL_RE.fullmatch(token), token
    for near_miss in ("<|extra_205|>", "<|extra_05|>", "<IMG>", "< img>", "</img >", "<|im_end"):
        assert SPECIAL_RE.search(near_miss) is None, near_miss


@pytest.mark.parametrize(
    ("n_bytes", "error", "kind"),
    [
        (254, None, None),
        (255, None, "image-path-too-long-for-model"),
        (256, None, "image-path-too-long-for-model"),
        (257, "ValueError: The content in <img>..</img> is too long", "image-content-too-long"),
    ],
)
def test_image_path_limits(
    counter: QwenTokenCounter, n_bytes: int, error: str | None, kind: str | None
) -> None:
    path = "中" * ((n_bytes - 1) // 3) + "a" * ((n_bytes - 1) % 3 + 1)
    assert len(path.encode()) == n_bytes
    result = counter.count_text(f"Picture 1: <img>{path}</img>\n")
    assert result.error == error
    assert [p.kind for p in result.problems] == ([kind] if kind else [])
    assert all(p.offset == 11 and p.fatal for p in result.problems)


def test_special_token_inside_image(counter: QwenTokenCounter) -> None:
    result = counter.count_text("<img>abc def<ref>x</img>")
    assert result.error == ("TypeError: sequence item 2: expected a bytes-like object, str found")
    assert result.problems[0].kind == "special-token-in-image"
    assert result.problems[0].offset == 12
    with pytest.raises(TypeError, match="sequence item 2"):
        counter.encode_text("<img>abc def<ref>x</img>")


def test_unclosed_image_raises_in_encode_text(counter: QwenTokenCounter) -> None:
    with pytest.raises(ValueError, match="Unclosed image token"):
        counter.encode_text("a <img>b")


def test_control_tokens_and_stray_image_end(counter: QwenTokenCounter) -> None:
    result = counter.count_text("a<|im_end|>b</img><|endoftext|>")
    assert [(p.kind, p.offset, p.fatal) for p in result.problems] == [
        ("control-token-in-text", 1, False),
        ("unmatched-image-end", 12, False),
        ("control-token-in-text", 18, False),
    ]
    assert result.tokens == len(counter.encode_text("a<|im_end|>b</img><|endoftext|>"))


def test_stray_image_end_is_fatal_with_an_image(counter: QwenTokenCounter) -> None:
    sample = [_user("<img>a.jpg</img>"), _assistant("</img>")]
    (problem,) = counter.account_sample(sample).problems
    assert problem == TokenProblem(
        "unmatched-image-end", problem.message, message_index=1, offset=0, fatal=True
    )


def test_leading_assistant_is_dropped(counter: QwenTokenCounter) -> None:
    with_lead = counter.account_sample([_assistant("ignored"), _user("hi"), _assistant("yo")])
    without = counter.account_sample([_user("hi"), _assistant("yo")])
    assert (with_lead.tokens, with_lead.supervised_tokens) == (
        without.tokens,
        without.supervised_tokens,
    )
    assert [p.kind for p in with_lead.problems] == ["leading-assistant-dropped"]
    only_lead = counter.account_sample([_assistant("a"), _assistant("b")])
    assert (only_lead.tokens, only_lead.supervised_tokens) == (11 + 1 + 5, 3 + 1 + 3)


@pytest.mark.parametrize(
    ("sample", "error", "kind"),
    [
        (
            {"conversations": [{"from": "human", "value": "hi"}]},
            "KeyError: 'human'",
            "unknown-role",
        ),
        (
            {"conversations": [_user("a"), {"from": "gpt", "value": "b"}]},
            "KeyError: 'gpt'",
            "unknown-role",
        ),
        ({"conversations": []}, "IndexError: list index out of range", "empty-conversations"),
        ({"id": 1}, "KeyError: 'conversations'", "malformed"),
        ({"conversations": [{"value": "a"}]}, "KeyError: 'from'", "malformed"),
        ({"conversations": [_user("a"), {"from": "user"}]}, "KeyError: 'value'", "malformed"),
        (
            {"conversations": [None]},
            "TypeError: 'NoneType' object is not subscriptable",
            "malformed",
        ),
        (
            {"conversations": "hi"},
            "TypeError: string indices must be integers, not 'str'",
            "malformed",
        ),
        ({"conversations": {"from": "user"}}, "KeyError: 0", "malformed"),
        (
            {"conversations": [{"from": ["user"], "value": "a"}]},
            "TypeError: unhashable type: 'list'",
            "unknown-role",
        ),
        (
            {"conversations": [_user(None)]},
            "ValueError: value is null, not a string",
            "value-not-a-string",
        ),
        (
            {"conversations": [_user(["a"])]},
            "ValueError: value is an array, not a string",
            "value-not-a-string",
        ),
    ],
)
def test_trainer_failures_are_reported(
    counter: QwenTokenCounter, sample: dict[str, Any], error: str, kind: str
) -> None:
    result = counter.account_sample(sample)
    assert (result.error, result.tokens, result.supervised_tokens) == (error, 0, 0)
    assert kind in [p.kind for p in result.problems]


def test_first_error_wins_and_later_problems_are_kept(counter: QwenTokenCounter) -> None:
    result = counter.account_sample([_user("<img>a"), {"from": "gpt", "value": "b"}])
    assert result.error == "ValueError: Unclosed image token"
    assert [(p.kind, p.message_index) for p in result.problems] == [
        ("unclosed-image", 0),
        ("unknown-role", 1),
    ]


@pytest.mark.parametrize("record", [None, 3, "text", [1, 2], [[]], {"conversations": [[]]}])
def test_never_raises_on_json_shapes(counter: QwenTokenCounter, record: Any) -> None:
    assert counter.account_record(record).error is not None


def _image_sample() -> list[dict[str, str]]:
    # system 11 | user: 3 + ("Picture 1: " 5 + image 258 + "\n" 1 = 264) + 2 | assistant "yes"
    return [_user("Picture 1: <img>a.jpg</img>\n"), _assistant("yes")]


def test_total_layout(counter: QwenTokenCounter) -> None:
    result = counter.account_sample(_image_sample(), max_len=2048)
    assert (result.tokens, result.supervised_tokens, result.images) == (11 + 269 + 6, 3 + 3 + 4, 1)


@pytest.mark.parametrize(
    ("max_len", "cut_in_image", "supervised_after_cut", "answer_cut"),
    [
        (11, False, 3, True),  # cut right after the system block
        (19, False, 4, True),  # the image starts at 11 + 3 + 5 = 19: cut before it is harmless
        (20, True, 4, True),  # <img> kept, </img> dropped
        (276, True, 4, True),  # </img> is at 19 + 257 = 276
        (277, False, 4, True),
        (280, False, 6, True),  # user turn whole (its <|im_end|> at 278, newline at 279)
        (283, False, 7, True),  # assistant <|im_start|> at 280 kept; "yes" is at 283
        (284, False, 8, True),  # "yes" kept, its <|im_end|> (284) cut
        (285, False, 9, False),  # only the final newline is cut: the answer is whole
    ],
)
def test_cut_fields(
    counter: QwenTokenCounter,
    max_len: int,
    cut_in_image: bool,
    supervised_after_cut: int,
    answer_cut: bool,
) -> None:
    result = counter.account_sample(_image_sample(), max_len=max_len)
    input_ids, labels = counter.encode_sample(_image_sample(), max_len=max_len)
    assert result.truncated and result.cut_at == max_len
    assert result.supervised_after_cut == sum(label != -100 for label in labels)
    assert (result.cut_in_image, result.supervised_after_cut, result.answer_cut) == (
        cut_in_image,
        supervised_after_cut,
        answer_cut,
    )
    assert (151857 in input_ids and 151858 not in input_ids) == cut_in_image


def test_account_records_streams(tmp_path: Path) -> None:
    records = json.loads(VECTORS.read_text("utf-8"))
    results = list(account_records([*records, "bad"], max_len=100))
    assert [(r.tokens, r.truncated, r.cut_at) for r in results] == [
        (35, False, None),
        (341, True, 100),
        (573, True, 100),
        (0, False, None),
    ]
    assert results[3].error == "TypeError: string indices must be integers, not 'str'"


def test_max_len_must_be_positive(counter: QwenTokenCounter) -> None:
    with pytest.raises(ValueError, match="max_len"):
        counter.account_sample([_user("a")], max_len=0)


def test_the_piece_memo_stays_within_its_budget_and_exact(
    counter: QwenTokenCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datakit.qwenvl.text_tokens import TextScanner

    monkeypatch.setattr(TextScanner, "_CACHE_CHARS", 500)
    encoding = counter.encoding
    scanner = TextScanner(encoding.encode_ordinary)
    pieces = [f"piece {n} 狗{'x' * (n % 40)}" for n in range(300)] + ["Picture 1: "] * 50
    for round_ in range(2):
        for piece in pieces:
            assert scanner.count_plain(piece) == len(encoding.encode_ordinary(piece)), piece
            assert scanner._cached_chars <= 500
            assert scanner._cached_chars == sum(map(len, scanner._cache)), round_
    assert "Picture 1: " in scanner._cache  # the newest pieces are kept
