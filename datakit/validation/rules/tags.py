"""T: the tag grammar (<img>, <ref>, <box>, <quad>) and literal special tokens."""

from __future__ import annotations

import re

from datakit.findings import Severity
from datakit.validation.context import RunContext
from datakit.validation.rule import Rule
from datakit.validation.view import Collector, RecordView

_OK = '[{"id": "a", "conversations": [{"from": "user", "value": "Picture 1: <img>img/ok.jpg</img>\\nWhere is the dog?"}, {"from": "assistant", "value": "<ref>dog</ref><box>(10,20),(500,600)</box>"}]}]'  # noqa: E501


def _bad(answer: str) -> str:
    return (
        '[{"id": "a", "conversations": [{"from": "user", "value": "Picture 1: '
        '<img>img/ok.jpg</img>\\nWhere is the dog?"}, {"from": "assistant", "value": "'
        + answer + '"}]}]'
    )


UNCLOSED = Rule(
    "T001", "unclosed-tag", Severity.ERROR, "record",
    "An <img>, <ref>, <box> or <quad> is never closed.",
    "An unclosed <img> makes the tokenizer raise 'Unclosed image token' mid-training; an "
    "unclosed <ref> or <box> teaches the model to leave tags open.",
    "Close the tag (</img>, </ref>, </box>, </quad>).",
    bad=_bad("<ref>dog<box>(10,20),(500,600)</box>"), good=_OK,
)
STRAY = Rule(
    "T002", "stray-closing-tag", Severity.ERROR, "record",
    "A closing tag has no opening tag before it.",
    "The closing tag is a special token: the model learns to emit it out of place.",
    "Add the opening tag or remove the stray one.",
    bad=_bad("dog</ref><box>(10,20),(500,600)</box>"), good=_OK,
)
NESTED = Rule(
    "T003", "nested-tag", Severity.ERROR, "record",
    "A tag opens inside <ref>, <box> or <quad>.",
    "Qwen-VL's grounding grammar is flat: <ref>TEXT</ref><box>...</box>. Nested tags are never "
    "seen at inference and break box extraction from the model's answers.",
    "Close the ref before the box: <ref>dog</ref><box>(x1,y1),(x2,y2)</box>.",
    bad=_bad("<ref>dog<box>(10,20),(500,600)</box></ref>"), good=_OK,
)
SPECIAL_TOKEN = Rule(
    "T004", "literal-special-token", Severity.ERROR, "record",
    "A control token (<|im_start|>, <|im_end|>, <|endoftext|>, <|extra_N|>, <imgpad>) appears "
    "as text.",
    "Qwen's tokenizer allows special tokens everywhere: a literal <|im_end|> ends the turn in "
    "the middle of the text and the model learns a broken chat template.",
    "Remove or escape the token (e.g. write it with a space: < |im_end| >).",
    bad=_bad("done<|im_end|>"), good=_OK,
)

RULES = (UNCLOSED, STRAY, NESTED, SPECIAL_TOKEN)

_SPECIAL_RE = re.compile(r"<\|(?:im_start|im_end|endoftext|extra_(?:20[0-4]|1?\d?\d))\|>|<imgpad>")
_BY_KIND = {"unclosed-tag": UNCLOSED, "stray-closing-tag": STRAY, "nested-tag": NESTED}


def check(view: RecordView, emit: Collector, ctx: RunContext) -> None:
    for message in view.messages:
        value = message.value
        if "<" not in value:
            continue
        problems = () if message.paired else message.parsed.problems
        special = "<|" in value or "<imgpad>" in value
        if not (problems or special):
            continue
        path = view.path(message.index)
        for problem in problems:
            rule = _BY_KIND.get(problem.kind)
            if rule is not None:
                emit(rule, problem.message, path, problem.start)
        if special:
            for m in _SPECIAL_RE.finditer(value):
                emit(SPECIAL_TOKEN, f"literal {m.group(0)} becomes a control token", path,
                     m.start())
