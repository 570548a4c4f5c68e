"""SARIF 2.1.0, for code-scanning upload (``github/codeql-action/upload-sarif``) and IDEs.

Every rule is described in ``tool.driver.rules`` (summary, why, fix); each listed finding is a
result with its file and region. Columns count Unicode code points, as the other formats do,
and ``endColumn`` points just past the value. Findings counted but not listed
(``--max-findings-per-rule``) are said in the invocation's notifications.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from datakit import __version__
from datakit.findings import Finding
from datakit.report.lines import more_line
from datakit.validation.report import Report
from datakit.validation.rule import Rule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def render_sarif(report: Report, rules: dict[str, Rule]) -> str:
    ordered = sorted(rules)
    index = {code: i for i, code in enumerate(ordered)}
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "datakit",
            "version": __version__,
            "rules": [_rule(rules[code]) for code in ordered],
        }},
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index) for f in report.findings],
        "invocations": [_invocation(report)],
    }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, ensure_ascii=False, indent=2) + "\n"


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.why},
        "help": {
            "text": f"{rule.fix} (datakit rule {rule.code})",
            "markdown": f"**Why:** {rule.why}\n\n**Fix:** {rule.fix}\n\n`datakit rule {rule.code}`",
        },
        "defaultConfiguration": {"level": _LEVELS[rule.severity.value]},
        "properties": {"scope": rule.scope},
    }


def _result(f: Finding, index: dict[str, int]) -> dict[str, Any]:
    loc = f.location
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(loc.file)}}
    if loc.line is not None:
        region: dict[str, int] = {"startLine": loc.line}
        if loc.column is not None:
            region["startColumn"] = loc.column
        if loc.end_line is not None and loc.end_column is not None:
            region["endLine"] = loc.end_line
            region["endColumn"] = loc.end_column
        physical["region"] = region
    location: dict[str, Any] = {"physicalLocation": physical}
    if loc.json_path:
        location["logicalLocations"] = [{"fullyQualifiedName": loc.json_path, "kind": "element"}]
    result: dict[str, Any] = {
        "ruleId": f.code,
        "level": _LEVELS[f.severity.value],
        "message": {"text": f.message},
        "locations": [location],
    }
    if f.code in index:
        result["ruleIndex"] = index[f.code]
    properties = {key: value for key, value in (
        ("recordIndex", loc.record_index), ("recordId", loc.record_id),
        ("charOffset", loc.char_offset)) if value is not None}
    if properties:
        result["properties"] = properties
    return result


def _invocation(report: Report) -> dict[str, Any]:
    notes = [
        {"level": "note", "message": {"text": f"{file}: {more_line(code, count)}"},
         "descriptor": {"id": code}}
        for (file, code), count in sorted(report.omitted.items())
    ]
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation


def _uri(file: str) -> str:
    """A relative URI reference for a path as the report names it (``<stdin>`` included)."""
    return quote(file.replace("\\", "/"), safe="/")
