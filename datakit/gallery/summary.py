"""What a preview run says: the notes in the gallery's header and the lines on the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datakit.gallery.fonts import LabelFont
    from datakit.gallery.options import PreviewOptions, PreviewResult


def notes_for(
    paths: Sequence[str | Path],
    candidates: int,
    shown: int,
    options: PreviewOptions,
    font: LabelFont,
) -> list[str]:
    """The gallery header's notes: what was chosen from what, and the label font."""
    names = ", ".join(str(p) for p in paths)
    how: list[str] = []
    if options.ids:
        how.append("chosen ids")
    if options.with_findings:
        how.append("samples with findings")
    if options.sample is not None:
        how.append(f"a random {options.sample} (seed {options.seed})")
    if shown > options.page_size:
        how.append(f"{options.page_size} per page")
    font_note = f"Label font: {font.name}." if font.cjk else (
        f"Label font: {font.name}, which has no Chinese glyphs (install fonts-noto-cjk or "
        "pass --font)."
    )
    findings = "" if options.findings else " Findings not checked (--no-findings)."
    return [
        f"{shown} sample(s) of {candidates} candidate(s) from {names}; "
        f"selection: {', '.join(how) or 'all'}.",
        f"{font_note}{findings}",
    ]


def describe(result: PreviewResult) -> list[str]:
    """Short lines for the terminal about what was written."""
    lines = [f"wrote {result.samples} sample(s), {result.pictures_written} picture(s), "
             f"{result.boxes_drawn} box(es) to {result.index_html}"]
    if result.pictures_failed:
        failed = ", ".join(f"{reason} {n}" for reason, n in sorted(result.pictures_failed.items()))
        lines.append(f"pictures not drawn: {failed}")
    if result.boxes_faulty:
        lines.append(f"{result.boxes_faulty} box(es) with findings drawn dashed"
                     + (f", {result.boxes_ambiguous} of them ambiguous (P004: drawn on each "
                        "picture they may mark)" if result.boxes_ambiguous else ""))
    if result.boxes_undrawable:
        lines.append(f"{result.boxes_undrawable} box(es) could not be placed on a picture")
    if result.cjk_labels and not result.font_cjk:
        lines.append("note: no CJK font found; Chinese labels show as empty boxes "
                     "(install fonts-noto-cjk, or pass --font FILE)")
    for problem in result.problems:
        where = f":{problem.line}" if problem.line else ""
        lines.append(f"{problem.file}{where}: {problem.message}")
    return lines

