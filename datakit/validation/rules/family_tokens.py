"""K for Qwen-family targets: what the framework's cut at its length limit does to a sample.

Counted exactly by ``datakit.family.tokens.account_sample`` (the framework's template, labels
and cut, every picture's pad tokens from its header size and the resize rule). Run only when
the target model is known (``FamilyTarget.model_known``) and every picture's size was read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from datakit.family.sample import Sample
from datakit.findings import Severity
from datakit.validation.context import RunContext
from datakit.validation.rule import Option, Rule
from datakit.validation.view import Collector, RecordView

_LEN = Option("max-len", int, 2048, "the framework's cut length (LLaMA-Factory cutoff_len, "
              "ms-swift max_length, model_max_length)")


Settings = tuple[tuple[str, object], ...]


def _records(framework: str, user: str, answer: str) -> str:
    if framework == "ms-swift":
        return ('[{"messages": [{"role": "user", "content": "' + user + '"}, {"role": '
                '"assistant", "content": "' + answer + '"}], "images": ["img/ok.jpg"]}]')
    return ('[{"image": "img/ok.jpg", "conversations": [{"from": "human", "value": "' + user
            + '"}, {"from": "gpt", "value": "' + answer + '"}]}]')


_USER = "<image>\\nDescribe."


def _example(max_len: int, bad_user: str = _USER, bad_answer: str = "dog " * 40,
             framework: str = "qwen-vl-finetune", extra: Settings = ()
             ) -> tuple[str, str, Settings]:
    """(bad, good, settings) for Qwen2-VL: the good record ("<image> Describe." answered
    "dog") is 30 tokens, img/ok.jpg 4 pads."""
    settings = (("target", "qwen2-vl"), ("framework", framework), ("max_len", max_len), *extra)
    return (_records(framework, bad_user, bad_answer.strip()),
            _records(framework, _USER, "dog"), settings)


# the pads of img/ok.jpg take tokens 22-25 after this text; the cut at 24 lands among them
_PADS = _example(24, bad_user="Describe the dog in the picture.<image>", bad_answer="dog")
_ANSWER = _example(40)
_NOTHING = _example(30, bad_user="<image>\\nDescribe the dog in the picture in a lot of detail.",
                    bad_answer="dog")
_DROPPED = _example(40, framework="ms-swift")
_RAISES = _example(40, framework="ms-swift", extra=(("truncation_strategy", "raise"),))

PADS_CUT = Rule(
    "K005", "token-cut-in-image-pads", Severity.ERROR, "record",
    "Qwen-family targets: the sample is longer than the framework's cut length and the cut "
    "lands inside a picture's <|image_pad|> run.",
    "The model still receives all of the picture's features but fewer pad tokens: training "
    "stops with \"Image features and image tokens do not match\" (LLaMA-Factory #5964: "
    "cutoff_len 1024 cut the second image; Qwen3-VL #556).",
    "Raise the cut length (cutoff_len, max_length, model_max_length, and max-len here), lower "
    "max-pixels, or drop pictures from the sample.",
    bad=_PADS[0], good=_PADS[1], example_settings=_PADS[2], options=(_LEN,),
)
ANSWER_CUT = Rule(
    "K006", "token-answer-cut-family", Severity.ERROR, "record",
    "Qwen-family targets: the framework's cut removes part of the supervised answer.",
    "The model is trained on a truncated answer and learns to stop mid-sentence.",
    "Shorten the sample or raise the cut length.",
    bad=_ANSWER[0], good=_ANSWER[1], example_settings=_ANSWER[2], options=(_LEN,),
)
NOTHING_SUPERVISED = Rule(
    "K007", "token-nothing-supervised", Severity.ERROR, "record",
    "Qwen-family targets: after the framework's cut no supervised token is left.",
    "The sample costs a step and teaches nothing; with many of them the loss is computed on "
    "few tokens and becomes noisy (or NaN on a batch of them).",
    "Shorten the prompt (fewer or smaller pictures) or raise the cut length.",
    bad=_NOTHING[0], good=_NOTHING[1], example_settings=_NOTHING[2], options=(_LEN,),
)
DROPPED = Rule(
    "K008", "swift-sample-dropped", Severity.WARNING, "record",
    "ms-swift: the sample is longer than max_length and truncation_strategy is delete (its "
    "default): ms-swift drops it.",
    "Dropped samples leave the training set without a word in most logs (ms-swift #1876, "
    "#6557): the data you trained on is not the data you checked.",
    "Raise --max_length (and max-len here), or shorten or split the sample.",
    bad=_DROPPED[0], good=_DROPPED[1], example_settings=_DROPPED[2], options=(_LEN,),
)
RAISES = Rule(
    "K009", "swift-sample-raises", Severity.ERROR, "record",
    "ms-swift: the sample is longer than max_length and truncation_strategy is raise: "
    "training stops with MaxLengthError.",
    "The run stops at the step that draws the sample, hours in.",
    "Raise --max_length (and max-len here), or shorten or split the sample.",
    bad=_RAISES[0], good=_RAISES[1], example_settings=_RAISES[2], options=(_LEN,),
)

RULES = (PADS_CUT, ANSWER_CUT, NOTHING_SUPERVISED, DROPPED, RAISES)
_CODES = tuple(rule.code for rule in RULES)


@dataclass(frozen=True, slots=True)
class TokenLength:
    """What the run's summary keeps of an accounted sample."""

    tokens: int


def check(view: RecordView, emit: Collector, ctx: RunContext) -> None:
    sample: Sample | None = view.extras.get("family")
    target = ctx.target
    if sample is None or target is None or not target.model_known:
        return
    if not any(code in ctx.severities for code in _CODES) or not sample.turns:
        return
    from datakit.validation.rules.family_common import pictures_of

    sizes = [p.resized_px and p.source_px for p in pictures_of(view, sample, ctx)]
    if any(size is None for size in sizes):
        return  # an image not found or not read: I003-I006 say so, the cost is unknown
    from datakit.family.profiles import framework, model
    from datakit.family.tokens import account_sample
    from datakit.validation.family_api import target_rule

    options = {}
    if target.truncation_strategy is not None and target.framework == "ms-swift":
        options["truncation_strategy"] = target.truncation_strategy
    tokenizer = ctx.settings.tokenizer
    if tokenizer is not None:  # a path in [tool.datakit] is relative to its file
        tokenizer = str(Path(ctx.settings.base_dir) / tokenizer)
    counted = account_sample(sample, model(target.model), framework(target.framework),
                             target_rule(target), [s for s in sizes if s is not None],
                             target.max_len, tokenizer=tokenizer, **options)
    if counted.error is not None:
        return  # the record rules name why the framework refuses the sample
    view.extras["tokens"] = TokenLength(counted.length)
    cut = counted.cut
    if cut is None or cut == "through-prompt":
        return
    head = f"{counted.length:,} tokens > {target.max_len:,} ({target.framework})"
    where = view.path()
    data = {"tokens": counted.length, "max_len": target.max_len}
    if cut == "inside-image-pads":
        picture = (counted.cut_picture or 0) + 1
        pads = counted.image_pad_counts[picture - 1] if counted.image_pad_counts else 0
        emit(PADS_CUT, f"{head}: the cut at token {target.max_len:,} lands inside the "
             f"{pads:,} image pads of picture {picture}: \"Image features and image tokens do "
             "not match\" at training", where, None, data)
    elif cut == "nothing-supervised":
        emit(NOTHING_SUPERVISED, f"{head}: no supervised token survives the cut (of "
             f"{counted.label_count:,})", where, None, data)
    elif cut == "through-answer":
        emit(ANSWER_CUT, f"{head}: the answer is cut ({counted.kept_label_count:,} of "
             f"{counted.label_count:,} supervised tokens survive)", where, None, data)
    elif cut == "dropped":
        emit(DROPPED, f"{head}: ms-swift drops the sample (truncation_strategy delete)", where,
             None, data)
    elif cut == "raises":
        emit(RAISES, f"{head}: ms-swift raises MaxLengthError (truncation_strategy raise)",
             where, None, data)
