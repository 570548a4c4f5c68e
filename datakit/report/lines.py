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
    text = printable(f.location.file)
    at = line_column(f)
    return f"{text}:{at}" if at else text


def line_column(f: Finding) -> str:
    """``line:column``, ``line``, or "" when the finding has no line (Parquet, a whole file)."""
    loc = f.location
    if loc.line is None:
        return ""
    return f"{loc.line}:{loc.column}" if loc.column is not None else str(loc.line)


def details(f: Finding, *, index: bool = True) -> list[str]:
    """The record index (unless the JSON path names it), id and JSON path (with the offset
    into the value)."""
    loc = f.location
    parts = []
    if index and loc.record_index is not None and not loc.json_path:
        parts.append(f"record {loc.record_index}")
    if loc.record_id is not None:
        parts.append(f"id {quoted(loc.record_id)}")
    if loc.json_path:
        offset = f" @{loc.char_offset}" if loc.char_offset is not None else ""
        parts.append(printable(loc.json_path) + offset)
    return parts


def finding_pieces(f: Finding, *, with_file: bool = False) -> list[Piece]:
    """A finding as the full report lists it under its file's heading (``with_file`` for a
    line that stands alone)."""
    style = STYLE[f.severity.value]
    at = where(f) if with_file else line_column(f)
    line: list[Piece] = [
        (f"  {at}: " if at else "  ", ""), (f.code, style), (" ", ""), (f.severity.value, style),
        (" ", ""), (f.name, "bold"), (f": {printable(f.message)}", ""),
    ]
    parts = details(f)
    if parts:
        line += [(" ", ""), (f"({', '.join(parts)})", "dim")]
    return line


def concise_line(f: Finding) -> str:
    """``path:line:col: CODE message``, as ruff's concise format."""
    return f"{where(f)}: {f.code} {printable(f.message)}"


def more_line(code: str, count: int) -> str:
    """What stands for the findings of one rule and file that are counted but not listed."""
    return (f"{count:,} more {code} finding{'s' if count != 1 else ''} not listed "
            "(--max-findings-per-rule 0 lists all)")
