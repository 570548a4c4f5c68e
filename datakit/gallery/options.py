"""What ``write_preview`` is asked to do and what it did."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from datakit.gallery.pages import PAGE_SIZE
from datakit.io.records import FileProblem
from datakit.validation.settings import Settings


@dataclass(frozen=True)
class PreviewOptions:
    """What to preview and how. ``sample=None`` keeps every candidate; ``findings=False``
    skips validation (then ``with_findings`` is impossible)."""

    sample: int | None = 20
    seed: int = 0
    ids: tuple[str, ...] = ()
    with_findings: bool = False
    findings: bool = True
    settings: Settings = field(default_factory=Settings)
    max_side: int = 1024
    font: str | None = None
    labels: bool = True
    page_size: int = PAGE_SIZE


@dataclass
class PreviewResult:
    index_html: Path
    samples: int
    candidates: int
    pictures_written: int = 0
    pictures_failed: Counter[str] = field(default_factory=Counter)
    boxes_drawn: int = 0
    boxes_undrawable: int = 0
    boxes_faulty: int = 0  # drawn dashed: boxes with findings (ambiguous ones included)
    boxes_ambiguous: int = 0
    font_name: str = ""
    font_cjk: bool = False
    cjk_labels: bool = False
    problems: list[FileProblem] = field(default_factory=list)
    pages: int = 0  # filter pages written besides index.html
