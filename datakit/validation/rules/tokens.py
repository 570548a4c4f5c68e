"""K: exact token lengths, as Qwen-VL's tokenizer and finetune.py's preprocess compute them."""

from __future__ import annotations

from datakit.findings import Severity
from datakit.validation.context import RunContext
from datakit.validation.rule import Option, Rule
from datakit.validation.view import Collector, RecordView


def _long(answer_repeat: int, images: int = 1) -> str:
    pictures = "".join(f"Picture {i}: <img>img/ok.jpg</img>\\n" for i in range(1, images + 1))
    return (
        '[{"id": "a", "conversations": [{"from": "user", "value": "' + pictures + 'Describe."}, '
        '{"from": "assistant", "value": "' + "dog " * answer_repeat + '"}]}]'
    )


_OK = _long(10)

CUT_IN_IMAGE = Rule(
    "K001", "token-cut-in-image", Severity.ERROR, "record",
    "The sample is longer than max_len and the trainer's right cut lands inside an <img> span.",
    "finetune.py pads and then cuts every sample at model_max_length: a cut inside the 258 "
    "tokens of an image leaves unequal <img>/</img> counts and the model's image assertion "
    "crashes training (seen as a tensor-size RuntimeError).",
    "Drop images, shorten the text before them, or raise --model_max_length (and max-len).",
    bad=_long(10, images=8), good=_OK,
    options=(Option("max-len", int, 2048, "the trainer's model_max_length"),),
)
ANSWER_CUT = Rule(
    "K002", "token-answer-cut", Severity.ERROR, "record",
    "The sample is longer than max_len and the cut removes part of the last answer.",
    "The trainer silently trains on a truncated answer, or on nothing at all when the whole "
    "answer falls past the cut: wasted compute and a model that learns to stop mid-sentence.",
    "Shorten the sample, split the conversation, or raise max-len.",
    bad=_long(2100), good=_OK,
    options=(Option("max-len", int, 2048, "the trainer's model_max_length"),),
)
OVER_LIMIT = Rule(
    "K003", "token-over-limit", Severity.WARNING, "record",
    "The sample is longer than max_len, but the cut keeps every image and the last answer "
    "whole (it falls in a trailing user turn or the final newline).",
    "Only the final newline and padding are lost, but the sample sits at the limit: any edit "
    "that adds tokens tips it into a cut answer.",
    "Shorten the sample or raise max-len.",
    bad=_long(10)[:-3] + ', {"from": "user", "value": "' + "more " * 2100 + '"}]}]', good=_OK,
    options=(Option("max-len", int, 2048, "the trainer's model_max_length"),),
)
TOKENIZER_FAILURE = Rule(
    "K004", "tokenizer-failure", Severity.ERROR, "record",
    "Qwen-VL's tokenizer raises on this sample (e.g. a special token inside an <img> span).",
    "The trainer tokenises lazily: the exception surfaces mid-training, at the step that "
    "draws the sample.",
    "Remove tags and control tokens from inside <img>...</img>.",
    bad=(
        '[{"id": "a", "conversations": [{"from": "user", "value": "Picture 1: <img>img/<ref>'
        'ok.jpg</img>\\nWhat?"}, {"from": "assistant", "value": "x"}]}]'
    ),
    good=_OK,
    example_settings=(("images", "none"),),
)

RULES = (CUT_IN_IMAGE, ANSWER_CUT, OVER_LIMIT, TOKENIZER_FAILURE)

# Problems that other rules already name precisely (I001, T001, T002, T004).
_COVERED_ELSEWHERE = frozenset(
    {
        "image-content-too-long", "image-path-too-long-for-model", "unclosed-image",
        "unmatched-image-end", "control-token-in-text",
    }
)


def check(view: RecordView, emit: Collector, ctx: RunContext) -> None:
    counter = ctx.token_counter()
    if counter is None or not view.shape_ok or not view.messages:
        return
    if not view.plain:  # plain: every message an object with a known role and a string
        if any(role not in ("user", "assistant") for role in view.roles):
            return  # S005 names it; the trainer stops at the KeyError
        if len(view.messages) != len(view.roles):
            return  # S006 names it
    conversations = view.record["conversations"]
    sample = counter.account_sample(conversations, max_len=ctx.settings.max_len)
    view.extras["tokens"] = sample
    for problem in sample.problems:
        if problem.kind in _COVERED_ELSEWHERE:
            continue
        index = problem.message_index
        where = view.path(index) if index is not None else view.path()
        if problem.fatal:
            emit(TOKENIZER_FAILURE, problem.message, where, problem.offset)
    if sample.error is not None or not sample.truncated:
        return
    limit = ctx.settings.max_len
    head = f"{sample.tokens} tokens > max_len {limit}"
    if sample.cut_in_image:
        emit(CUT_IN_IMAGE, f"{head}: the cut at token {limit} lands inside an image",
             view.path(), None, {"tokens": sample.tokens})
    elif sample.answer_cut:
        kept = sample.supervised_after_cut
        emit(ANSWER_CUT, f"{head}: the last answer is cut ({kept} of {sample.supervised_tokens} "
             "supervised tokens survive)", view.path(), None, {"tokens": sample.tokens})
    else:
        emit(OVER_LIMIT, head, view.path(), None, {"tokens": sample.tokens})
