"""The JSON Schemas in ``schemas/`` (shipped as ``datakit.schemas``), loaded and compiled.

The schema files are the single source of truth for record shape. On the hot path a compiled
validator (fastjsonschema) answers yes/no in about a microsecond; only a record that fails is
explained again with jsonschema, which names every fault with its JSON path.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

RECORD_SCHEMA = "qwen-vl-record.schema.json"
FILE_SCHEMA = "qwen-vl-file.schema.json"


def schema_names() -> list[str]:
    return sorted(
        p.name for p in resources.files("datakit.schemas").iterdir() if p.name.endswith(".json")
    )


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    text = resources.files("datakit.schemas").joinpath(name).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@dataclass(frozen=True, slots=True)
class SchemaViolation:
    """One way a record breaks the schema: where (``json_path`` relative to the record, as
    ``$.conversations[0].from``), what the schema said, and the offending value's repr."""

    json_path: str
    keyword: str
    message: str


@functools.cache
def record_checker() -> Callable[[Any], bool]:
    """A fast yes/no check of one record against ``qwen-vl-record.schema.json``."""
    import fastjsonschema

    schema = dict(load_schema(RECORD_SCHEMA))
    # fastjsonschema knows drafts 4-7; this schema uses only keywords those drafts share.
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    compiled = fastjsonschema.compile(schema)
    error_type = fastjsonschema.JsonSchemaValueException

    def check(record: Any) -> bool:
        try:
            compiled(record)
        except error_type:
            return False
        return True

    return check


def explain_record(record: Any) -> Iterator[SchemaViolation]:
    """Every schema violation of one record, in a stable order (by path, then keyword)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(load_schema(RECORD_SCHEMA))
    errors = sorted(
        validator.iter_errors(record), key=lambda e: (_path(e.absolute_path), e.validator)
    )
    for error in errors:
        yield SchemaViolation(_path(error.absolute_path), str(error.validator), error.message)


def _path(parts: Any) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
