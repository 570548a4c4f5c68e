"""A record the view calls plain passes the record schema: skipping the validator for it never
changes a verdict, and the skip turns itself off when the schema changes."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from datakit.schema import RECORD_SCHEMA, load_schema, record_checker
from datakit.validation.rules import record as record_rule
from datakit.validation.view import make_view

_scalar = st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2, 2) | st.sampled_from(
    ["user", "assistant", "human", "", "User", "x"])
_value = _scalar | st.lists(_scalar, max_size=2) | st.dictionaries(st.sampled_from(["from"]),
                                                                      _scalar, max_size=1)
_message = st.dictionaries(st.sampled_from(["from", "value", "extra"]), _value, max_size=3) | _value
_record = st.dictionaries(
    st.sampled_from(["id", "conversations", "other"]),
    st.lists(_message, max_size=3) | _value,
    max_size=3,
) | _value


@settings(max_examples=400, deadline=None)
@given(record=_record)
def test_plain_records_pass_the_schema(record: Any) -> None:
    view = make_view("f.json", 0, 1, record)
    if view.plain:
        assert record_checker()(record)
        assert Draft202012Validator(load_schema(RECORD_SCHEMA)).is_valid(record)


def test_usual_records_are_plain() -> None:
    for record in (
        {"id": "a", "conversations": [{"from": "user", "value": "hi"}]},
        {"id": 7, "conversations": [{"from": "assistant", "value": ""}], "extra": None},
        {"conversations": [{"from": "user", "value": "q", "x": 1}, {"from": "user", "value": "q"}]},
    ):
        assert make_view("f.json", 0, 1, record).plain, record
    for record in (
        {"id": None, "conversations": [{"from": "user", "value": "hi"}]},
        {"id": True, "conversations": [{"from": "user", "value": "hi"}]},
        {"id": 1.0, "conversations": [{"from": "user", "value": "hi"}]},
        {"id": "a", "conversations": []},
        {"id": "a", "conversations": [{"from": "human", "value": "hi"}]},
        {"id": "a", "conversations": [{"from": "user", "value": 1}]},
        {"id": "a", "conversations": [["user", "hi"]]},
    ):
        assert not make_view("f.json", 0, 1, record).plain, record


def test_the_shortcut_matches_the_shipped_schema() -> None:
    # If this fails, the schema changed: update PLAIN_SHAPE and make_view together.
    assert record_rule.plain_passes_schema()


def test_another_schema_turns_the_shortcut_off() -> None:
    stricter = copy.deepcopy(load_schema(RECORD_SCHEMA))
    stricter["properties"]["id"]["minLength"] = 3
    assert record_rule.schema_constraints(stricter) != record_rule.PLAIN_SHAPE
    annotated = copy.deepcopy(load_schema(RECORD_SCHEMA))
    annotated["properties"]["id"]["description"] = "changed words only"
    assert record_rule.schema_constraints(annotated) == record_rule.PLAIN_SHAPE
