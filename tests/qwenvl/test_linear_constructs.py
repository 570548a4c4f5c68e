"""One value made of a construct repeated costs time and memory in proportion to its length.

Each construct (every tag and closing tag, picture labels, every kind of special token,
broken boxes, backslashes...) is repeated to fill a value of N and of 8N characters; the
parser, the quick tag scan and the token accounting must take less than 16 times as long on
the larger one (linear work takes ~8 times, quadratic work ~64). At these sizes the quadratic
paths this guards against (a search to the end of the value per unclosed tag, a list of
problems rebuilt per problem) took 15 to 50 times as long. Memory is deterministic enough to
hold to a tighter bound.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable

import pytest

from datakit.qwenvl import grammar, tag_scan
from datakit.qwenvl.tokens import QwenTokenCounter

COUNTER = QwenTokenCounter.load()

CONSTRUCTS = [
    # every tag, opening and closing, alone and in broken pairs
    "<img>", "</img>", "<ref>", "</ref>", "<box>", "</box>", "<quad>", "</quad>",
    "<ref></box>", "<img><ref>", "<ref><img>", "<box><quad>", "</ref><ref>", "<img></ref>",
    # broken and well-formed contents
    "<box>(1,", "<quad>(1,", "<box>(1234567890", "<box>(1, 2)</box>", "<box>(1,2),(3,4)</box>",
    "<ref>a<box>(1,2),(3,4)</box></ref>", "<img>a<|im_end|></img>", "<img>" + "p" * 300 + "</img>",
    # picture labels, with and without their image
    "Picture 1: <img>", "Picture 1: ", "Picture 1:", "Picture 123456789:", "Picture 1: <img>a</img>",
    # every kind of special token
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|extra_0|>", "<|extra_204|>", "<imgpad>",
    # text that only looks special, backslashes, quotes, non-ASCII
    "<", "<|", "\\", '"', "é中😀", "e\u0301",
]
SMALL_CHARS = 16_000
GROWTH = 8
MAX_RATIO = 16  # linear: ~8; quadratic: ~64
FLOOR_SECONDS = 0.01  # noise on tiny times


def _value(construct: str, chars: int) -> str:
    return construct * (chars // len(construct))


def _best_seconds(work: Callable[[str], object], value: str, runs: int) -> float:
    """CPU time of this process (not wall time: other processes on a busy machine must not
    count), the best of a few runs, without the garbage collector (which would bill one run
    for what earlier tests left)."""
    best = float("inf")
    gc.disable()
    try:
        for _ in range(runs):
            start = time.process_time()
            work(value)
            best = min(best, time.process_time() - start)
    finally:
        gc.enable()
    return best


def _peak_bytes(work: Callable[[str], object], value: str) -> int:
    tracemalloc.start()
    try:
        work(value)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _quick_scan(value: str) -> object:
    """What the record rules ask of a value before (or instead of) the full parse."""
    if not tag_scan.tags_paired(value):
        return None
    return (tag_scan.image_paths(value), tag_scan.labels_in_order(value, 1),
            tag_scan.sound_boxes(value))


def _sample(value: str) -> object:
    return COUNTER.account_sample(
        [{"from": "user", "value": value}, {"from": "assistant", "value": value}]
    )


WORK: dict[str, Callable[[str], object]] = {
    "parse_value": grammar.parse_value,
    "tag_scan": _quick_scan,
    "account_sample": _sample,  # count_text of each value, and what a sample adds
}


@pytest.mark.parametrize("construct", CONSTRUCTS)
def test_time_is_linear_in_the_value(construct: str) -> None:
    small, large = _value(construct, SMALL_CHARS), _value(construct, SMALL_CHARS * GROWTH)
    slow = []
    for name, work in WORK.items():
        for runs in (1, 4):  # measured again, more carefully, before it counts as slow
            small_time = _best_seconds(work, small, runs + 1)
            large_time = _best_seconds(work, large, runs)
            if large_time <= MAX_RATIO * small_time + FLOOR_SECONDS:
                break
        else:
            slow.append(f"{name}: {small_time:.4f} s -> {large_time:.4f} s")
    assert slow == [], f"{construct!r} x{GROWTH} costs more than x{MAX_RATIO}: {slow}"


@pytest.mark.parametrize("construct", ["<ref>", "</img>", "Picture 1: <img>", "<|im_end|>"])
def test_memory_is_linear_in_the_value(construct: str) -> None:
    small, large = _value(construct, SMALL_CHARS), _value(construct, SMALL_CHARS * 4)
    for name, work in WORK.items():
        small_peak, large_peak = _peak_bytes(work, small), _peak_bytes(work, large)
        assert large_peak < 6 * small_peak + (256 << 10), (name, small_peak, large_peak)
