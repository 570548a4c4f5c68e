"""What the Qwen-family rules share, so that no rule module imports another: the ms-swift
example records of their docs, the JSON paths of a record's turns and fields, every picture's
sizes (read once per record), and P007, which both the reader's problems (``family_record``)
and the placeholders left in the texts (``family_images``) report. Not a rule family itself:
P007 is listed by ``family_images``.
"""

from __future__ import annotations

from collections.abc import Mapping

from datakit.family.sample import Sample
from datakit.findings import Severity
from datakit.validation import family_api
from datakit.validation.context import RunContext
from datakit.validation.rule import Rule
from datakit.validation.view import RecordView

QWEN2 = (("target", "qwen2-vl"), ("framework", "ms-swift"))


def swift(user: str, answer: str, images: str = '["img/ok.jpg"]', roles: str = "user") -> str:
    """A one-record ms-swift file (JSON array) with the given user text, answer and images."""
    return ('[{"messages": [{"role": "' + roles + '", "content": "' + user + '"}, '
            '{"role": "assistant", "content": "' + answer + '"}], "images": ' + images + '}]')


ANSWER = "<|object_ref_start|>the dog<|object_ref_end|><|box_start|>(10,20),(500,600)<|box_end|>"
OK = swift("<image>Where is the dog?", ANSWER)

OBJECTS_MISMATCH = Rule(
    "P007", "swift-objects-mismatch", Severity.ERROR, "record",
    "ms-swift: the <ref-object> and <bbox> placeholders of the texts do not match the refs "
    "and boxes of \"objects\" one for one.",
    "ms-swift hands out objects.ref and objects.bbox in order to the placeholders and checks "
    "neither count: a placeholder left over is trained as the literal text <bbox>, an object "
    "left over is dropped.",
    "Give objects exactly one ref per <ref-object> and one bbox per <bbox>, in order.",
    bad=swift("<image>Find <ref-object>", "<bbox><bbox>",
              '["img/ok.jpg"], "objects": {"ref": ["dog"], "bbox": [[4, 6, 50, 40]]}'),
    good=swift("<image>Find <ref-object>", "<bbox>",
               '["img/ok.jpg"], "objects": {"ref": ["dog"], "bbox": [[4, 6, 50, 40]]}'),
    example_settings=QWEN2,
)


def path_of(view: RecordView, field: str) -> str:
    """The JSON path of a reader problem's field (``messages[1].content``)."""
    if not field:
        return view.path()
    return f"{view.path()}{'' if field.startswith('[') else '.'}{field}"


def turn_paths(view: RecordView, sample: Sample) -> list[str]:
    """The JSON path of each turn's text, where the record's messages map one to one."""
    record = view.record
    for key, text in (("messages", "content"), ("conversations", "value")):
        turns = record.get(key) if isinstance(record, Mapping) else None
        if isinstance(turns, list) and len(turns) == len(sample.turns):
            return [f"{view.path()}.{key}[{i}].{text}" for i in range(len(turns))]
    return [view.path()] * len(sample.turns)


def pictures_of(view: RecordView, sample: Sample, ctx: RunContext) -> list[family_api.Picture]:
    """Every picture of the sample with its sizes (read once per record)."""
    found = view.extras.get("family_pictures")
    if found is None:
        target = ctx.target
        assert target is not None
        rule = family_api.target_rule(target)
        found = view.extras["family_pictures"] = family_api.pictures(
            [image.path for image in sample.images], ctx.images, rule)
    return list(found)
