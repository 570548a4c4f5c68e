"""No record, however hostile, makes a rule raise: every problem becomes a finding."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datakit.findings import Finding
from datakit.io.records import RawRecord
from datakit.validation import registry
from datakit.validation.settings import Settings
from datakit.validation.worker import Job, check_batch

_JOB = Job(
    Settings(images="none", cache=False),
    tuple(sorted(registry.severities((), (), ()).items())),
    frozenset({"ok.jpg"}),
)

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_pieces = [
    *"<>/()|,.-0123456789 \n\r\u0301é狗🐶",
    "<img>", "</img>", "<ref>", "</ref>", "<box>", "</box>", "<quad>", "</quad>", "<|im_end|>",
    "<|extra_204|>", "<imgpad>", "Picture 1: ", "Picture 2:", "(1,2),(3,4)", "(999,1000)",
    "img/ok.jpg", "a" * 300,
]
_soup = st.lists(st.sampled_from(_pieces), max_size=40).map("".join)
_message = st.fixed_dictionaries(
    {"from": st.sampled_from(["user", "assistant", "human", "gpt", "User", ""]) | _json,
     "value": _soup | _json},
) | _json
_record = st.fixed_dictionaries(
    {"conversations": st.lists(_message, max_size=6) | _json},
    optional={"id": st.text(max_size=5) | st.integers() | _json},
) | _json


def _run(records: list[object]) -> list[Finding]:
    batch = []
    for i, record in enumerate(records):
        raw = json.dumps(record, ensure_ascii=False).encode("utf-8", "surrogatepass")
        batch.append(RawRecord("hostile.json", i, i + 1, 1, 0, raw))
    return check_batch((_JOB, batch)).findings


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_record, min_size=1, max_size=4))
def test_any_record_yields_findings_not_exceptions(records: list[object]) -> None:
    for finding in _run(records):
        assert finding.code in registry.RULES
        assert finding.location.record_index is not None
        assert finding.message


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["user", "assistant"]), _soup), min_size=1, max_size=6))
def test_tag_soup_conversations(turns: list[tuple[str, str]]) -> None:
    record = {"id": "x", "conversations": [{"from": r, "value": v} for r, v in turns]}
    findings = _run([record])
    for finding in findings:
        offset = finding.location.char_offset
        if offset is not None:
            index = int(finding.location.json_path.split("conversations[")[1].split("]")[0])  # type: ignore[union-attr]
            assert 0 <= offset <= len(turns[index][1])
