"""Writes a validation report in the format asked for, to stdout or atomically to a file."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import TextIO

from datakit.validation.report import Report

# Width of a piped full report: wide enough that no line or table cell is wrapped.
_PIPE_WIDTH = 10_000


def emit_report(report: Report, output_format: str, output: Path | None,
                statistics: bool = False) -> None:
    from datakit.validation.registry import RULES

    if output_format == "github":
        _github_summary(report)
    if statistics:
        from datakit.report.concise import render_statistics, statistics_json

        text = statistics_json(report) if output_format == "json" else (
            render_statistics(report))
    elif output_format == "full":
        if output is None:
            _full_to_stdout(report)
            return
        text = _full(report, None, colour=False)
    elif output_format == "concise":
        from datakit.report.concise import render_concise

        text = render_concise(report)
    elif output_format == "json":
        from datakit.report.machine import render_json

        text = render_json(report)
    elif output_format == "sarif":
        from datakit.report.sarif import render_sarif

        text = render_sarif(report, RULES)
    else:
        from datakit.report.github import render_github

        text = render_github(report)
    if output is None:
        sys.stdout.write(text)
        return
    from datakit.io.atomic import atomic_writer

    with atomic_writer(output) as handle:
        handle.write(text.encode("utf-8"))


def _full_to_stdout(report: Report) -> None:
    colour = colour_wanted()
    if not report.findings and not colour:
        # A clean run in a pre-commit hook or CI: the summary alone, without loading rich.
        sys.stdout.write(f"{report.summary()} in {report.elapsed_s:.2f} s\n")
        return
    _full(report, sys.stdout, colour=colour)


def _full(report: Report, out: TextIO | None, *, colour: bool) -> str:
    """The full report through rich: to ``out``, or returned when ``out`` is None."""
    from rich.console import Console

    from datakit.report.text import render_text
    from datakit.validation.registry import RULES

    buffer = io.StringIO() if out is None else None
    console = Console(file=buffer if buffer is not None else out,
                      highlight=False, soft_wrap=True,
                      width=None if colour and sys.stdout.isatty() else _PIPE_WIDTH,
                      color_system="auto" if colour else None)
    render_text(report, console, RULES)
    return buffer.getvalue() if buffer is not None else ""


def _github_summary(report: Report) -> None:
    """Append the Markdown job summary when GitHub Actions provides the file for it."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    from datakit.report.github import step_summary
    from datakit.validation.registry import RULES

    text = step_summary(report, RULES)
    try:
        # The runner creates the file and collects what each step appends.
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        sys.stderr.write(f"datakit: cannot write the job summary to {target}: {exc.strerror}"
                         " (GITHUB_STEP_SUMMARY); the annotations are written anyway\n")


def colour_wanted() -> bool:
    """Whether rich would style the output: a terminal, or colour forced by the environment."""
    forced = os.environ.get("FORCE_COLOR") or os.environ.get("TTY_COMPATIBLE") == "1"
    return bool(forced) or sys.stdout.isatty()
