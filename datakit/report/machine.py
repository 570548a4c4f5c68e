"""Machine-readable reports: JSON (schemas/validate-report.schema.json) and GitHub annotations."""

from __future__ import annotations

import json

from datakit.findings import Finding
from datakit.validation.report import Report


def render_json(report: Report) -> str:
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n"


def render_github(report: Report) -> str:
    """GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` per finding."""
    lines = [_annotation(f) for f in report.findings]
    counts = report.counts()
    lines.append(
        f"datakit: {counts['error']} error(s), {counts['warning']} warning(s) in "
        f"{report.records} record(s)"
    )
    return "\n".join(lines) + "\n"


def _annotation(f: Finding) -> str:
    level = {"error": "error", "warning": "warning", "info": "notice"}[f.severity.value]
    loc = f.location
    props = [f"file={_prop(loc.file)}"]
    if loc.line is not None:
        props.append(f"line={loc.line}")
    if loc.column is not None:
        props.append(f"col={loc.column}")
    props.append(f"title={_prop(f'{f.code} {f.name}')}")
    where = []
    if loc.record_id is not None:
        where.append(f"id {loc.record_id!r}")
    if loc.json_path:
        offset = f" @{loc.char_offset}" if loc.char_offset is not None else ""
        where.append(loc.json_path + offset)
    text = f.message + (f" ({', '.join(where)})" if where else "")
    return f"::{level} {','.join(props)}::{_data(text)}"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
