"""The one shape every check, converter and reporter speaks: a frozen finding with its location."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(str, enum.Enum):
    """How much a finding matters. Ordered: ``ERROR`` > ``WARNING`` > ``INFO``."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding points.

    ``line`` and ``column`` are 1-based positions in the file (JSON and JSONL alike), the
    column counted in characters of the line as an editor shows it; ``end_line`` and
    ``end_column`` are the position just past the offending value, where known (see
    ``io.positions``); ``record_index`` is the 0-based position of the record in its file;
    ``json_path`` is a JSONPath such as ``$[12].conversations[3].value``; ``char_offset`` is a
    0-based offset into the string that ``json_path`` names.

    While a run checks records, ``line`` is the line of the record's first byte and
    ``record_offset``/``record_column`` tell where that byte is, so that the few findings
    that are reported can be placed on their value afterwards by reading just that record.
    """

    file: str
    line: int | None = None
    column: int | None = None
    record_index: int | None = None
    record_id: str | None = None
    json_path: str | None = None
    char_offset: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    record_offset: int | None = None
    record_column: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "record_index": self.record_index,
            "record_id": self.record_id,
            "json_path": self.json_path,
            "char_offset": self.char_offset,
            "end_line": self.end_line,
            "end_column": self.end_column,
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in the data: a rule code, its name, severity, message and location."""

    code: str
    name: str
    severity: Severity
    message: str
    location: Location
    fix: str | None = None
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "fix": self.fix,
            "location": self.location.as_dict(),
        }
