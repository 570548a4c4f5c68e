"""D: problems only the whole dataset shows: duplicates and evaluation leakage."""

from __future__ import annotations

from datakit.findings import Severity
from datakit.validation.rule import Rule

_A = '{"id": "a", "conversations": [{"from": "user", "value": "hi"}, {"from": "assistant", "value": "hello"}]}'  # noqa: E501
_B = '{"id": "b", "conversations": [{"from": "user", "value": "bye"}, {"from": "assistant", "value": "ciao"}]}'  # noqa: E501

DUPLICATE_ID = Rule(
    "D001", "duplicate-id", Severity.ERROR, "dataset",
    "Two records (in any of the files checked together) share an id.",
    "Ids are the only handle on a sample: duplicates mean a merge went wrong, and every report, "
    "preview and fix that names the id hits the wrong record.",
    "Give each record a unique id (prefix ids with their source when merging datasets).",
    bad="[" + _A + ", " + _B.replace('"b"', '"a"') + "]", good="[" + _A + ", " + _B + "]",
)
DUPLICATE_SAMPLE = Rule(
    "D002", "duplicate-sample", Severity.WARNING, "dataset",
    "Two records have identical conversations.",
    "Exact duplicates are trained on twice per epoch: they skew the mix and, across a "
    "train/eval split, inflate evaluation scores.",
    "Remove the copies (keep one).",
    bad="[" + _A + ", " + _A.replace('"a"', '"c"') + "]", good="[" + _A + ", " + _B + "]",
)
HOLDOUT_LEAK = Rule(
    "D003", "holdout-leak", Severity.ERROR, "record",
    "An image of the --holdout set (evaluation images) appears in the training data.",
    "RefCOCO's val and test images are COCO train2014 images: a mix of COCO train and RefCOCO "
    "evaluation leaks them, and the benchmark measures memory instead of grounding.",
    "Remove the samples that use held-out images (datakit convert refcoco --emit-holdout "
    "writes the list).",
    bad=(
        '[{"id": "a", "conversations": [{"from": "user", "value": "Picture 1: <img>img/ok.jpg'
        '</img>\\nWhat?"}, {"from": "assistant", "value": "x"}]}]'
    ),
    good=_A.join("[]"),
    example_settings=(("holdout", ("holdout.txt",)),),
)

RULES = (DUPLICATE_ID, DUPLICATE_SAMPLE, HOLDOUT_LEAK)
