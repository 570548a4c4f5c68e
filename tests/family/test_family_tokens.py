"""Exact ids, labels and cut verdicts of the family token accounting, checked by hand against
the frameworks' code (LLaMA-Factory template.py / supervised.py, qwen-vl-finetune
data_processor.py) and the documented tokenizer vector."""

from __future__ import annotations

import pytest

from datakit.family.encoding import load_encoder
from datakit.family.profiles import FRAMEWORKS, MODELS
from datakit.family.sample import Image, ImageSlot, Sample, Text, Turn
from datakit.family.tokens import account_sample, encode_sample
from datakit.family.vision import ResizeRule, image_pad_tokens, resize_rule

IM_START, IM_END, NL = 151644, 151645, 198
USER, ASSISTANT, SYSTEM = 872, 77091, 8948
VS, PAD, VE = 151652, 151655, 151653
HELPFUL = [2610, 525, 264, 10950, 17847, 13]  # "You are a helpful assistant."
DOG = [9064, 374, 279, 5562, 30]  # "Where is the dog?"
SOFA = [1925, 279, 31069, 13]  # "On the sofa."
SYSTEM_BLOCK = [IM_START, SYSTEM, NL, *HELPFUL, IM_END, NL]


def _sample(question: str = "\nWhere is the dog?", pictures: int = 1) -> Sample:
    slots = tuple(ImageSlot(i) for i in range(pictures))
    return Sample(
        turns=(
            Turn("user", (*slots, Text(question))),
            Turn("assistant", (Text("On the sofa."),)),
        ),
        images=tuple(Image(f"{i}.jpg") for i in range(pictures)),
    )


def _without_pads(ids: list[int]) -> list[int]:
    return [i for i in ids if i != PAD]


def test_documented_vector() -> None:
    encoder = load_encoder(MODELS["qwen2-vl"])
    text = "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Where is the dog?<|im_end|>\n"
    assert encoder.encode(text) == [IM_START, USER, NL, VS, PAD, VE, *DOG, IM_END, NL]


@pytest.mark.parametrize(
    ("size", "pads"), [((640, 428), 345), ((1000, 1000), 1296), ((27, 300), 11), ((4000, 3000), 15301)]
)
def test_pad_counts_of_the_processor(size: tuple[int, int], pads: int) -> None:
    vision = MODELS["qwen2-vl"].vision
    assert vision is not None
    assert image_pad_tokens(size, ResizeRule(vision, 3136, 12_845_056)) == pads


def test_llamafactory_qwen2vl_ids_and_labels() -> None:
    model, framework = MODELS["qwen2-vl"], FRAMEWORKS["llama-factory"]
    encoded = encode_sample(_sample(), model, framework, resize_rule(model, framework), [(640, 428)])
    assert encoded.image_pad_counts == (345,)
    prompt = [*SYSTEM_BLOCK, IM_START, USER, NL, VS, VE, NL, *DOG, IM_END, NL, IM_START, ASSISTANT, NL]
    answer = [*SOFA, IM_END, NL]
    assert _without_pads(encoded.input_ids) == prompt + answer
    assert encoded.input_ids.count(PAD) == 345
    assert encoded.labels == [-100] * (len(prompt) + 345) + answer


def test_qwen_vl_finetune_strips_user_text_and_labels_from_the_answer() -> None:
    model, framework = MODELS["qwen2.5-vl"], FRAMEWORKS["qwen-vl-finetune"]
    encoded = encode_sample(_sample(), model, framework, resize_rule(model, framework), [(640, 428)])
    # 640x428 within [784, 50176] pixels: 252x168 after smart_resize, 9 x 6 tokens.
    assert encoded.image_pad_counts == (54,)
    prompt = [*SYSTEM_BLOCK, IM_START, USER, NL, VS, VE, *DOG, IM_END, NL, IM_START, ASSISTANT, NL]
    answer = [*SOFA, IM_END, NL]
    assert _without_pads(encoded.input_ids) == prompt + answer
    assert encoded.labels == [-100] * (len(prompt) + 54) + answer


def test_qwen3vl_has_no_default_system() -> None:
    model = MODELS["qwen3-vl"]
    for name in ("llama-factory", "qwen-vl-finetune"):
        framework = FRAMEWORKS[name]
        encoded = encode_sample(_sample(), model, framework, resize_rule(model, framework), [(640, 428)])
        assert encoded.input_ids[:3] == [IM_START, USER, NL]


def test_llamafactory_cut_inside_the_image_pads() -> None:
    model, framework = MODELS["qwen2-vl"], FRAMEWORKS["llama-factory"]
    rule = resize_rule(model, framework)
    tokens = account_sample(_sample(), model, framework, rule, [(640, 428)], max_len=100)
    assert (tokens.length, tokens.label_count, tokens.cut, tokens.cut_picture) == (
        378, 6, "inside-image-pads", 0)
    assert (tokens.kept_length, tokens.kept_label_count) == (100, 6)
    fits = account_sample(_sample(), model, framework, rule, [(640, 428)], max_len=378)
    assert (fits.cut, fits.kept_length) == (None, 378)


def _long_answer_sample(words: int) -> Sample:
    return Sample(
        turns=(
            Turn("user", (ImageSlot(0), Text("\nWhere is the dog?"))),
            Turn("assistant", (Text(" dog" * words),)),
        ),
        images=(Image("0.jpg"),),
    )


def test_finetune_cut_verdicts() -> None:
    model, framework = MODELS["qwen2-vl"], FRAMEWORKS["qwen-vl-finetune"]
    rule = resize_rule(model, framework)
    sample = _sample()  # 32 text tokens around 54 pads; the answer is the last 6
    assert account_sample(sample, model, framework, rule, [(640, 428)], 30).cut == (
        "inside-image-pads")
    answer_cut = account_sample(sample, model, framework, rule, [(640, 428)], 83)
    assert (answer_cut.cut, answer_cut.kept_label_count) == ("through-answer", 3)
    nothing = account_sample(sample, model, framework, rule, [(640, 428)], 80)
    assert (nothing.cut, nothing.kept_label_count) == ("nothing-supervised", 0)


def test_llamafactory_shares_the_cutoff_between_prompt_and_answer() -> None:
    model, framework = MODELS["qwen2-vl"], FRAMEWORKS["llama-factory"]
    rule = resize_rule(model, framework)
    # 100 answer tokens + <|im_end|>\n; prompt 27 + 345 pads: at 200 the answer keeps
    # int(200 * 102 / 474) = 43 tokens and the prompt 157, which ends inside the pads.
    tokens = account_sample(_long_answer_sample(100), model, framework, rule, [(640, 428)], 200)
    assert (tokens.length, tokens.label_count) == (474, 102)
    assert (tokens.cut, tokens.kept_length, tokens.kept_label_count) == (
        "inside-image-pads", 200, 43)


def test_llamafactory_options_change_labels() -> None:
    model, framework = MODELS["qwen2-vl"], FRAMEWORKS["llama-factory"]
    rule = resize_rule(model, framework)
    encoded = encode_sample(_sample(), model, framework, rule, [(640, 428)], train_on_prompt=True)
    assert encoded.labels == encoded.input_ids
    with pytest.raises(TypeError, match="unknown framework option"):
        encode_sample(_sample(), model, framework, rule, [(640, 428)], cutoff=5)


def test_llamafactory_qwen3_reasoning_template_supervises_an_empty_thought() -> None:
    model, framework = MODELS["qwen3-vl"], FRAMEWORKS["llama-factory"]
    rule = resize_rule(model, framework)
    think = [151667, 271, 151668, 271]  # <think> "\n\n" </think> "\n\n"
    plain = encode_sample(_sample(), model, framework, rule, [(640, 428)])
    reasoning = encode_sample(
        _sample(), model, framework, rule, [(640, 428)], llamafactory_template="qwen3_vl"
    )
    assert [t for t in reasoning.labels if t != -100] == [*think, *SOFA, IM_END, NL]
    assert [t for t in plain.labels if t != -100] == [*SOFA, IM_END, NL]
    off = encode_sample(
        _sample(), model, framework, rule, [(640, 428)],
        llamafactory_template="qwen3_vl", enable_thinking=False,
    )
    assert off.input_ids == reasoning.input_ids
    assert [t for t in off.labels if t != -100] == [*SOFA, IM_END, NL]


def test_rejected_samples_say_why() -> None:
    model = MODELS["qwen2-vl"]
    for name, words in (("llama-factory", "does not match"), ("qwen-vl-finetune", "unused")):
        framework = FRAMEWORKS[name]
        rule = resize_rule(model, framework)
        tokens = account_sample(_sample(pictures=1), model, framework, rule, [(640, 428)] * 1, 99)
        assert tokens.error is None
        two = Sample(_sample().turns, images=(Image("a.jpg"), Image("b.jpg")))
        tokens = account_sample(two, model, framework, rule, [(640, 428)] * 2, 2048)
        assert tokens.error is not None and words in tokens.error
