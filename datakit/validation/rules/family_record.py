"""S, T, P for Qwen-family targets: the record as its framework reads it.

The record is read once (``datakit.family.layouts``) into a ``Sample``, kept in the view for
the other family rules; the reader's problems become findings: the layout's structure (S009),
the model's markup with its offset in the text (T005) and the count of ``<image>``
placeholders against the record's images (P005).
"""

from __future__ import annotations

from datakit.findings import Severity
from datakit.validation.context import RunContext
from datakit.validation.rule import Rule
from datakit.validation.rules.family_common import (
    ANSWER,
    OBJECTS_MISMATCH,
    OK,
    QWEN2,
    path_of,
    swift,
)
from datakit.validation.view import Collector, RecordView

STRUCTURE = Rule(
    "S009", "family-record-structure", Severity.ERROR, "record",
    "Qwen-family targets: the record is not laid out as its framework reads it (a role the "
    "framework does not know, a text that is not a string, images that are not a list of "
    "paths, ...).",
    "LLaMA-Factory, ms-swift and qwen-vl-finetune each read their own keys and role names; "
    "anything else raises in the data loader or is dropped without a word, after the job "
    "started.",
    "Write the record in the framework's layout (the message names the key and what it "
    "needs); `datakit convert --target` writes it right.",
    bad=swift("<image>Where is the dog?", ANSWER, roles="human"), good=OK,
    example_settings=QWEN2,
)
MARKUP = Rule(
    "T005", "family-markup-malformed", Severity.ERROR, "record",
    "Qwen-family targets: grounding markup the model's parsers do not read: an unpaired "
    "<|box_start|>, <|box_start|><|box_start|>, a box of three numbers, decimals or negative "
    "coordinates, a ```json block that does not parse, bbox_2d of the wrong arity, ...",
    "The model learns the text exactly as written: a malformed target teaches it to answer "
    "with boxes that nobody (Qwen's own tools included) reads back (ms-swift #5280).",
    "Write each box as the model's markup wants it (the message gives the offset): Qwen2-VL "
    "<|object_ref_start|>label<|object_ref_end|><|box_start|>(x1,y1),(x2,y2)<|box_end|>, "
    "Qwen2.5-VL and Qwen3-VL {\"bbox_2d\": [x1, y1, x2, y2], \"label\": ...} in a JSON list.",
    bad=swift("<image>Where is the dog?",
              "<|object_ref_start|>the dog<|object_ref_end|><|box_start|>(10,20),(500)<|box_end|>"),
    good=OK, example_settings=QWEN2,
)
IMAGE_COUNT = Rule(
    "P005", "family-image-count", Severity.ERROR, "record",
    "Qwen-family targets: the texts hold a different number of <image> placeholders than the "
    "record lists images.",
    "Each framework pairs the n-th <image> with the n-th image: LLaMA-Factory raises "
    "\"The number of images does not match the number of <image> tokens\", qwen-vl-finetune "
    "fails the sample (and silently trains on the next one instead), ms-swift misplaces "
    "pictures.",
    "Write exactly one <image> per listed image, in order, in the user turns.",
    bad='[{"image": "img/ok.jpg", "conversations": [{"from": "human", "value": "<image>\\n'
        '<image>\\nWhat is it?"}, {"from": "gpt", "value": "A dog."}]}]',
    good='[{"image": "img/ok.jpg", "conversations": [{"from": "human", "value": "<image>\\n'
         'What is it?"}, {"from": "gpt", "value": "A dog."}]}]',
    example_settings=(("target", "qwen2-vl"), ("framework", "qwen-vl-finetune")),
)

RULES = (STRUCTURE, MARKUP, IMAGE_COUNT)


def check(view: RecordView, emit: Collector, ctx: RunContext) -> None:
    target = ctx.target
    record = view.record
    if target is None or not isinstance(record, dict):
        if not isinstance(record, dict):
            from datakit.validation.rules.record import RECORD_NOT_OBJECT

            emit(RECORD_NOT_OBJECT, "record is not an object", view.path())
        return
    from datakit.validation import family_api

    result = family_api.read(record, target)
    view.extras["family"] = result.sample
    for problem in result.problems:
        where = path_of(view, problem.field)
        offset = problem.offset if problem.offset >= 0 else None
        if problem.kind == "image-count":
            emit(IMAGE_COUNT, problem.message, where)
        elif problem.kind == "objects-unused":
            emit(OBJECTS_MISMATCH, problem.message, where)
        elif offset is not None:
            emit(MARKUP, problem.message, where, offset, {"kind": problem.kind})
        else:
            emit(STRUCTURE, problem.message, where, None, {"kind": problem.kind})
