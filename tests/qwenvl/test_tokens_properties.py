"""Properties: the fast counter agrees with the exact ids on any text; nothing JSON-shaped raises."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datakit.qwenvl.tokens import QwenTokenCounter

COUNTER = QwenTokenCounter.load()

# Pieces that exercise every branch: tags, control tokens, near misses, NFC changes, CRLF.
PIECES = [
    "<img>",
    "</img>",
    "<ref>",
    "</ref>",
    "<box>",
    "</box>",
    "<quad>",
    "</quad>",
    "<imgpad>",
    "<|im_end|>",
    "<|endoftext|>",
    "<|extra_7|>",
    "<|extra_205|>",
    "<im",
    "g>",
    ">\u0338",
    "e\u0301",
    "(1,2),(3,4)",
    "(12,3)",
    "Picture 1: ",
    "a.jpg",
    "中文",
    "😀",
    "\r\n",
    " ",
    "7",
    "x" * 100,
    "é" * 90,
]
texts = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), max_size=12).map("".join)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["from", "value", "conversations", "id"]) | st.text(max_size=3),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)
messages = st.fixed_dictionaries(
    {"from": st.sampled_from(["user", "assistant", "human"]), "value": texts}
)


def _encode_or_error(text: str) -> Any:
    try:
        return len(COUNTER.encode_text(text))
    except (ValueError, TypeError) as exc:
        return f"{type(exc).__name__}: {exc}"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_count_matches_exact_encoding(text: str) -> None:
    result = COUNTER.count_text(text)
    expected = _encode_or_error(text)
    assert (result.error if result.error is not None else result.tokens) == expected


@settings(max_examples=150, deadline=None)
@given(st.lists(messages, max_size=5), st.integers(min_value=1, max_value=700))
def test_sample_matches_exact_build(conversations: list[dict[str, str]], max_len: int) -> None:
    result = COUNTER.account_sample(conversations, max_len=max_len)
    try:
        input_ids, labels = COUNTER.encode_sample(conversations)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        assert result.error == f"{type(exc).__name__}: {exc}"
        return
    assert result.error is None
    assert (result.tokens, result.supervised_tokens) == (
        len(input_ids),
        sum(label != -100 for label in labels),
    )
    cut_labels = labels[:max_len]
    assert result.supervised_after_cut == sum(label != -100 for label in cut_labels)
    kept = input_ids[:max_len]
    assert result.cut_in_image == (kept.count(151857) > kept.count(151858) - _stray_ends(kept))


def _stray_ends(ids: list[int]) -> int:
    """</img> tokens that close no span (typed as text), which the cut does not create."""
    depth, stray = 0, 0
    for token in ids:
        if token == 151857:
            depth += 1
        elif token == 151858:
            if depth:
                depth -= 1
            else:
                stray += 1
    return stray


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_never_raises(value: Any) -> None:
    COUNTER.account_record(value)
    COUNTER.account_sample(value)
    if isinstance(value, list):
        COUNTER.account_sample({"conversations": value})
