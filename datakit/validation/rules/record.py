"""S: record shape, as the trainer reads it (the schema in schemas/ is the source of truth).

A record that passes the compiled schema check costs one call; a failing one is explained by
jsonschema and each violation is mapped to the rule that names it.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from datakit.findings import Severity
from datakit.schema import RECORD_SCHEMA, explain_record, load_schema, record_checker
from datakit.shown import shown
from datakit.validation.context import RunContext
from datakit.validation.rule import Rule
from datakit.validation.view import Collector, RecordView

_OK = '[{"id": "a", "conversations": [{"from": "user", "value": "hi"}, {"from": "assistant", "value": "hello"}]}]'  # noqa: E501

RECORD_NOT_OBJECT = Rule(
    "S001", "record-not-object", Severity.ERROR, "record",
    "An item of the top-level array is not a JSON object.",
    "The trainer reads sample['conversations'] and crashes with TypeError on a list or string.",
    "Make every item an object with a \"conversations\" list.",
    bad='[["user", "hi"]]', good=_OK,
)
CONVERSATIONS_MISSING = Rule(
    "S002", "conversations-missing", Severity.ERROR, "record",
    "The record has no \"conversations\" list.",
    "The trainer raises KeyError: 'conversations' (or iterates a string character by character).",
    "Add \"conversations\": [{\"from\": \"user\", \"value\": ...}, ...]; LLaVA-style "
    "\"messages\" or ShareGPT files must be converted.",
    bad='[{"id": "a", "messages": [{"role": "user", "content": "hi"}]}]', good=_OK,
)
CONVERSATIONS_EMPTY = Rule(
    "S003", "conversations-empty", Severity.ERROR, "record",
    "\"conversations\" is an empty list.",
    "The trainer indexes the first message and raises IndexError.",
    "Remove the record or give it its turns.",
    bad='[{"id": "a", "conversations": []}]', good=_OK,
)
MESSAGE_NOT_OBJECT = Rule(
    "S004", "message-not-object", Severity.ERROR, "record",
    "A message in \"conversations\" is not an object.",
    "The trainer reads message['from'] and crashes with TypeError.",
    "Write each message as {\"from\": \"user\"|\"assistant\", \"value\": \"...\"}.",
    bad='[{"id": "a", "conversations": ["hi", {"from": "assistant", "value": "x"}]}]', good=_OK,
)
UNKNOWN_ROLE = Rule(
    "S005", "unknown-role", Severity.ERROR, "record",
    "A message's \"from\" is missing or not exactly \"user\" or \"assistant\".",
    "finetune.py maps roles through a dict {user, assistant}: \"human\", \"gpt\", \"system\" or "
    "\"User\" raise KeyError in the middle of training (also on the first message).",
    "Use \"user\" for human/question turns and \"assistant\" for gpt/answer turns; there are "
    "no per-sample system prompts in Qwen-VL.",
    bad='[{"id": "a", "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "x"}]}]',  # noqa: E501
    good=_OK,
)
VALUE_NOT_STRING = Rule(
    "S006", "value-not-string", Severity.ERROR, "record",
    "A message's \"value\" is missing or not a string.",
    "The tokenizer needs text: a number, null or list raises deep inside tokenisation.",
    "Make \"value\" a string (quote numbers, join lists).",
    bad='[{"id": "a", "conversations": [{"from": "user", "value": 42}, {"from": "assistant", "value": "x"}]}]',  # noqa: E501
    good=_OK,
)
ID_MISSING = Rule(
    "S007", "id-missing", Severity.WARNING, "record",
    "The record has no \"id\".",
    "The trainer never reads it, but it is the only handle a person has on a sample: without it "
    "findings, stats and previews can only point at positions that change with every edit.",
    "Give every record a unique string id.",
    bad='[{"conversations": [{"from": "user", "value": "hi"}, {"from": "assistant", "value": "x"}]}]',  # noqa: E501
    good=_OK,
)
ID_INVALID = Rule(
    "S008", "id-invalid-type", Severity.WARNING, "record",
    "\"id\" is neither a string nor an integer.",
    "Floats, lists or null ids cannot be compared reliably; duplicates and references break.",
    "Use a string or integer id.",
    bad='[{"id": 1.5, "conversations": [{"from": "user", "value": "hi"}, {"from": "assistant", "value": "x"}]}]',  # noqa: E501
    good=_OK,
)

RULES = (
    RECORD_NOT_OBJECT, CONVERSATIONS_MISSING, CONVERSATIONS_EMPTY, MESSAGE_NOT_OBJECT,
    UNKNOWN_ROLE, VALUE_NOT_STRING, ID_MISSING, ID_INVALID,
)

_MESSAGE_PATH = re.compile(r"^\$\.conversations\[(\d+)\](?:\.(from|value))?$")
_FIX_ROLE = {"human": "user", "gpt": "assistant", "User": "user", "Assistant": "assistant"}


# The record schema's constraints that ``RecordView.plain`` stands for. While the schema says
# exactly this, a plain record passes it without running the validator; when the schema
# changes, every record goes through the validator until this (and ``make_view``) follow.
PLAIN_SHAPE: dict[str, Any] = {
    "$defs": {"message": {
        "properties": {"from": {"enum": ["user", "assistant"]}, "value": {"type": "string"}},
        "required": ["from", "value"], "type": "object"}},
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "properties": {
        "conversations": {"items": {"$ref": "#/$defs/message"}, "minItems": 1, "type": "array"},
        "id": {"type": ["string", "integer"]}},
    "required": ["conversations"],
    "type": "object",
}
_ANNOTATIONS = frozenset({"title", "description", "$comment", "examples"})


def schema_constraints(node: Any) -> Any:
    """A schema without its annotations: only what decides validity."""
    if isinstance(node, dict):
        return {k: schema_constraints(v) for k, v in node.items() if k not in _ANNOTATIONS}
    if isinstance(node, list):
        return [schema_constraints(v) for v in node]
    return node


@functools.cache
def plain_passes_schema() -> bool:
    return bool(schema_constraints(load_schema(RECORD_SCHEMA)) == PLAIN_SHAPE)


def check(view: RecordView, emit: Collector, ctx: RunContext) -> None:
    record = view.record
    if isinstance(record, dict) and "id" not in record:
        emit(ID_MISSING, "record has no \"id\"", view.path())
    if view.plain and plain_passes_schema():
        return
    if record_checker()(record):
        return
    base = view.path()
    for violation in explain_record(record):
        path, keyword = violation.json_path, violation.keyword
        full = base + path[1:]
        if path == "$":
            if keyword == "type":
                emit(RECORD_NOT_OBJECT, f"record is {_kind(record)}, not an object", full)
            elif keyword == "required":
                emit(CONVERSATIONS_MISSING, "record has no \"conversations\"", full)
        elif path == "$.id":
            emit(ID_INVALID, f"\"id\" is {_kind(record.get('id'))}", full)
        elif path == "$.conversations":
            if keyword == "minItems":
                emit(CONVERSATIONS_EMPTY, "\"conversations\" is empty", full)
            else:
                got = _kind(record.get("conversations"))
                emit(CONVERSATIONS_MISSING, f"\"conversations\" is {got}, not a list", full)
        else:
            m = _MESSAGE_PATH.match(path)
            if m is None:
                continue
            message = record["conversations"][int(m.group(1))]
            field = m.group(2)
            if field is None and keyword == "type":
                emit(MESSAGE_NOT_OBJECT, f"message is {_kind(message)}, not an object", full)
            elif field is None and keyword == "required":
                missing = "from" if "from" not in message else "value"
                rule = UNKNOWN_ROLE if missing == "from" else VALUE_NOT_STRING
                emit(rule, f"message has no \"{missing}\"", f"{full}.{missing}")
            elif field == "from":
                role = message.get("from")
                hint = _FIX_ROLE.get(role) if isinstance(role, str) else None
                text = (f"\"from\" is {shown(role)}; the trainer knows only \"user\" and "
                        "\"assistant\"")
                emit(UNKNOWN_ROLE, text + (f" (use \"{hint}\")" if hint else ""), full)
            elif field == "value":
                emit(VALUE_NOT_STRING, f"\"value\" is {_kind(message.get('value'))}", full)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({shown(value)})"
    if isinstance(value, str):
        return f"a string ({value[:40]!r})"
    if isinstance(value, list):
        return "a list"
    return "an object"
