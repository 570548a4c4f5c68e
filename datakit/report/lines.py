"""A finding as one line of text, and the line that stands for the findings not listed.

Shared by the text report (which styles the pieces with rich) and the GitHub log (which
writes them plain), so this module does not import rich. Every string that came from the
input is escaped (``safe.printable``): a finding is always exactly one line.
"""

from __future__ import annotations

from datakit.findings import Finding
from datakit.report.safe import printable, quoted

STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}

Piece = tuple[str, str]  # (text, rich style; "" for none)


def where(f: Finding) -> str:
    """``file:line:column`` as far as the finding knows them."""
    loc = f.location
    text = printable(loc.file)
    if loc.line is not None:
        text += f":{loc.line}"
        if loc.column is not None:
            text += f":{loc.column}"
    return text


def details(f: Finding, *, index: bool = True) -> list[str]:
    """The record index, id and JSON path (with the offset into the value)."""
    loc = f.location
    parts = []
    if index and loc.record_index is not None:
        parts.append(f"record {loc.record_index}")
    if loc.record_id is not None:
        parts.append(f"id {quoted(loc.record_id)}")
    if loc.json_path:
        offset = f" @{loc.char_offset}" if loc.char_offset is not None else ""
        parts.append(printable(loc.json_path) + offset)
    return parts


def finding_pieces(f: Finding) -> list[Piece]:
    style = STYLE[f.severity.value]
    line: list[Piece] = [
        (f"  {where(f)}: ", ""), (f.code, style), (" ", ""), (f.severity.value, style), (" ", ""),
        (f.name, "bold"), (f": {printable(f.message)}", ""),
    ]
    parts = details(f)
    if parts:
        line += [(" ", ""), (f"({', '.join(parts)})", "dim")]
    return line


def finding_line(f: Finding) -> str:
    return "".join(text for text, _ in finding_pieces(f))


def more_line(code: str, count: int) -> str:
    """What stands for the findings of one rule and file that are counted but not listed."""
    return (f"{count:,} more {code} finding{'s' if count != 1 else ''} not listed "
            "(--max-findings-per-rule 0 lists all)")
