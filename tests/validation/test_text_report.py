"""The text report: the same characters with and without colour, one line per finding."""

from __future__ import annotations

import io
import re
from pathlib import Path

from rich.console import Console

from datakit import validate
from datakit.report.text import render_text
from datakit.validation.registry import RULES
from datakit.validation.report import Report

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _report() -> Report:
    broken = sorted(str(p) for p in (SAMPLES / "broken").glob("*.json*"))
    return validate(broken, images="none")


def _render(report: Report, terminal: bool) -> str:
    out = io.StringIO()
    console = Console(file=out, force_terminal=terminal, width=100, color_system=(
        "truecolor" if terminal else None), highlight=False, soft_wrap=True)
    render_text(report, console, RULES)
    return out.getvalue()


def test_plain_and_coloured_reports_hold_the_same_text() -> None:
    report = _report()
    assert len(report.findings) > 15
    plain = _render(report, terminal=False)
    coloured = _render(report, terminal=True)
    assert "\x1b[" not in plain
    assert "\x1b[1;31m" in coloured  # errors in bold red
    assert _ANSI.sub("", coloured) == plain


def test_one_line_per_finding_with_its_location() -> None:
    report = _report()
    plain = _render(report, terminal=False)
    files = {f.location.file for f in report.findings}
    under: dict[str, list[str]] = {}  # the file's name is written once, as the heading
    heading = ""
    for x in plain.splitlines():
        if x in files:
            heading = x
        elif x.startswith("  "):
            under.setdefault(heading, []).append(x)
    for finding in report.findings:
        loc = finding.location
        head = "  " + (f"{loc.line}:{loc.column}: " if loc.line is not None else "")
        if loc.line is not None and loc.column is None:
            head = f"  {loc.line}: "
        line = next(x for x in under[loc.file]
                    if x.startswith(head) and f" {finding.code} " in x and finding.message in x)
        if loc.json_path:
            assert loc.json_path in line
    assert sum(1 for x in plain.splitlines() if x in files) == len(files)  # a heading per file


def test_a_clean_run_without_colour_prints_rich_s_summary_without_rich() -> None:
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from datakit.cli import main\n"
        "sys.argv = ['datakit', 'validate', 'grounding.json', '--images', 'none']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    print('rich' in sys.modules, exit.code)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=SAMPLES, capture_output=True,
                         text=True, env={"PATH": "/usr/bin:/bin"}, check=True)
    summary, modules = out.stdout.splitlines()
    assert modules == "False 0"
    report = validate([str(SAMPLES / "grounding.json")], images="none")
    rendered = _render(report, terminal=False).strip()
    assert re.sub(r" in [0-9.]+ s$", "", summary) == re.sub(r" in [0-9.]+ s$", "", rendered)
