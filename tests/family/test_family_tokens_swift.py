"""ms-swift's ids, labels and truncation for the Qwen2-VL family, checked by hand against
swift/template/base.py and templates/qwen.py."""

from __future__ import annotations

import pytest

from datakit.family.profiles import FRAMEWORKS, MODELS
from datakit.family.sample import Image, ImageSlot, Sample, Text, Turn
from datakit.family.tokens import FrameworkOptions, account_sample, encode_sample
from datakit.family.vision import resize_rule

IM_START, IM_END, NL = 151644, 151645, 198
USER, ASSISTANT, SYSTEM = 872, 77091, 8948
VS, PAD, VE = 151652, 151655, 151653
HELPFUL = [2610, 525, 264, 10950, 17847, 13]
DOG = [9064, 374, 279, 5562, 30]  # "Where is the dog?"
SOFA = [1925, 279, 31069, 13]  # "On the sofa."
CAT = [3036, 279, 8251, 30]  # "And the cat?"
OUTSIDE = [41365, 13]  # "Outside."
SWIFT = FRAMEWORKS["ms-swift"]


def _two_rounds(slot: bool = True) -> Sample:
    first = (ImageSlot(0), Text("\nWhere is the dog?")) if slot else (Text("\nWhere is the dog?"),)
    return Sample(
        turns=(
            Turn("user", first),
            Turn("assistant", (Text("On the sofa."),)),
            Turn("user", (Text("And the cat?"),)),
            Turn("assistant", (Text("Outside."),)),
        ),
        images=(Image("a.jpg"),),
    )


def test_every_answer_and_its_end_are_supervised() -> None:
    model = MODELS["qwen2-vl"]
    encoded = encode_sample(_two_rounds(), model, SWIFT, resize_rule(model, SWIFT), [(640, 428)])
    assert encoded.image_pad_counts == (345,)
    prompt1 = [IM_START, SYSTEM, NL, *HELPFUL, IM_END, NL, IM_START, USER, NL, VS]
    prompt1_end = [VE, NL, *DOG, IM_END, NL, IM_START, ASSISTANT, NL]
    prompt2 = [IM_START, USER, NL, *CAT, IM_END, NL, IM_START, ASSISTANT, NL]
    ids = [
        *prompt1, *[PAD] * 345, *prompt1_end, *SOFA, IM_END, NL, *prompt2, *OUTSIDE, IM_END, NL
    ]
    assert encoded.input_ids == ids
    ignored = len(prompt1) + 345 + len(prompt1_end)
    assert encoded.labels == [
        *[-100] * ignored, *SOFA, IM_END, NL, *[-100] * len(prompt2), *OUTSIDE, IM_END, NL
    ]


def test_a_missing_image_tag_goes_in_front_of_the_first_message() -> None:
    model = MODELS["qwen2.5-vl"]
    rule = resize_rule(model, SWIFT)
    with_tag = encode_sample(_two_rounds(), model, SWIFT, rule, [(640, 428)])
    without = encode_sample(_two_rounds(slot=False), model, SWIFT, rule, [(640, 428)])
    assert with_tag == without


def test_qwen3vl_pixel_bounds_and_no_system() -> None:
    model = MODELS["qwen3-vl"]
    rule = resize_rule(model, SWIFT)
    # qwen_vl_utils: 4..16384 tokens of 32x32 pixels; 640x428 -> 640x416, 20 x 13.
    assert (rule.min_pixels, rule.max_pixels) == (4096, 16_777_216)
    encoded = encode_sample(_two_rounds(), model, SWIFT, rule, [(640, 428)])
    assert encoded.image_pad_counts == (260,)
    assert encoded.input_ids[:4] == [IM_START, USER, NL, VS]


@pytest.mark.parametrize(
    ("strategy", "cut", "kept"),
    [("delete", "dropped", 0), ("raise", "raises", 0), ("right", "through-answer", 290)],
)
def test_truncation_strategies(strategy: str, cut: str, kept: int) -> None:
    model = MODELS["qwen3-vl"]
    rule = resize_rule(model, SWIFT)
    tokens = account_sample(
        _two_rounds(), model, SWIFT, rule, [(640, 428)], 290, truncation_strategy=strategy
    )
    assert (tokens.length, tokens.label_count, tokens.cut, tokens.kept_length) == (
        298, 10, cut, kept)


def test_right_truncation_keeps_every_pad() -> None:
    model = MODELS["qwen2-vl"]
    rule = resize_rule(model, SWIFT)
    tokens = account_sample(
        _two_rounds(), model, SWIFT, rule, [(640, 428)], 360,
        options=FrameworkOptions(truncation_strategy="right"),
    )
    # 345 pads are protected; 15 other tokens fit: the system block and "<|im_start|>user\n"
    # and <|vision_start|>; no answer token survives.
    assert (tokens.cut, tokens.kept_length, tokens.kept_label_count) == (
        "nothing-supervised", 360, 0)


@pytest.mark.parametrize("stop", ["<|endoftext|>", "<|im_end|>"])
def test_a_last_answer_ending_in_a_stop_word_gets_no_suffix(stop: str) -> None:
    # Template._swift_encode adds the suffix only when the last answer does not end in one of
    # template_meta.stop_words; an earlier answer keeps its chat_sep.
    model = MODELS["qwen3-vl"]
    stop_id = {"<|endoftext|>": 151643, "<|im_end|>": IM_END}[stop]
    sample = Sample(
        turns=(
            Turn("user", (Text("Where is the dog?"),)),
            Turn("assistant", (Text("On the sofa." + stop),)),
            Turn("user", (Text("And the cat?"),)),
            Turn("assistant", (Text("Outside." + stop),)),
        ),
        images=(),
    )
    encoded = encode_sample(sample, model, SWIFT, resize_rule(model, SWIFT), [])
    prompt1 = [IM_START, USER, NL, *DOG, IM_END, NL, IM_START, ASSISTANT, NL]
    prompt2 = [IM_START, USER, NL, *CAT, IM_END, NL, IM_START, ASSISTANT, NL]
    first = [*SOFA, stop_id, IM_END, NL]
    assert encoded.input_ids == [*prompt1, *first, *prompt2, *OUTSIDE, stop_id]
    assert encoded.labels == [
        *[-100] * len(prompt1), *first, *[-100] * len(prompt2), *OUTSIDE, stop_id
    ]
