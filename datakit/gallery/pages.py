"""The gallery's pages: ``index.html`` (counts per rule, severity and file, each a link to its
filter pages, then the first page of samples) and static pages of ``page_size`` samples each:
``all-N.html`` for every sample, ``rule-CODE-N.html``, ``severity-LEVEL-N.html`` and
``file-K-N.html`` for the samples a rule, a severity or a file holds (page 1 has no ``-N``).

Plain HTML links, no script: every page opens from disk, offline, in any browser. Every page
shares ``images/``.
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from datakit.gallery.html import SampleView, page_html, sample_html

PAGE_SIZE = 25
OUR_PAGE = re.compile(r"(all|rule-[A-Za-z0-9]+|severity-[a-z]+|file-\d+)(-\d+)?\.html")
_SEVERITIES = ("error", "warning", "info")

CSS = """
nav.pager { margin: 0 0 14px; font-size: 14px; }
nav.pager a, nav.pager span { display: inline-block; padding: 2px 8px; margin: 0 2px 4px 0;
  border: 1px solid #d0d4da; border-radius: 4px; background: #fff; text-decoration: none; }
nav.pager span.current { background: #1d3557; color: #fff; }
section.summary { display: flex; flex-wrap: wrap; gap: 16px; margin: 0 0 18px; }
section.summary table { border-collapse: collapse; background: #fff; font-size: 13px; }
section.summary th, section.summary td { border: 1px solid #d0d4da; padding: 3px 8px;
  text-align: left; }
section.summary td.n { text-align: right; }
"""


@dataclass(frozen=True)
class PageSet:
    """The samples one filter shows, and the name of its first page."""

    stem: str  # "all", "rule-B002", ...
    title: str
    numbers: list[int]  # 1-based gallery numbers of its samples

    def name(self, page: int) -> str:
        return f"{self.stem}.html" if page == 1 else f"{self.stem}-{page}.html"


def page_sets(views: Sequence[SampleView]) -> list[PageSet]:
    """Every sample, then one set per rule, severity and file (in that order)."""
    by_rule: dict[str, list[int]] = {}
    by_severity: dict[str, list[int]] = {}
    by_file: dict[str, list[int]] = {}
    for number, view in enumerate(views, 1):
        by_file.setdefault(view.file, []).append(number)
        for code in sorted({f.code for f in view.findings}):
            by_rule.setdefault(code, []).append(number)
        for severity in sorted({f.severity.value for f in view.findings}):
            by_severity.setdefault(severity, []).append(number)
    sets = [PageSet("all", "all samples", list(range(1, len(views) + 1)))]
    sets += [PageSet(f"rule-{code}", f"rule {code}", by_rule[code]) for code in sorted(by_rule)]
    sets += [PageSet(f"severity-{s}", f"severity {s}", by_severity[s])
             for s in _SEVERITIES if s in by_severity]
    sets += [PageSet(f"file-{k}", f"file {name}", numbers)
             for k, (name, numbers) in enumerate(by_file.items(), 1)]
    return sets


def write_pages(out: Path, views: Sequence[SampleView], title: str, notes: Sequence[str],
                page_size: int = PAGE_SIZE) -> list[str]:
    """Write ``index.html`` and every filter page (atomically); the names written."""
    articles = [sample_html(number, view) for number, view in enumerate(views, 1)]
    sets = page_sets(views)
    summary = _summary(views, sets)
    written: list[str] = []
    for page_set in sets:
        pages = max(1, math.ceil(len(page_set.numbers) / page_size))
        for page in range(1, pages + 1):
            chosen = page_set.numbers[(page - 1) * page_size:page * page_size]
            body = [_pager(page_set, page, pages, home=page_set.stem != "all" or page > 1)]
            body += [articles[n - 1] for n in chosen]
            if pages > 1:
                body.append(body[0])
            heading = f"{page_set.title}: {len(page_set.numbers)} sample(s)"
            text = page_html(title, notes, [f"<h2 class=\"set\">{html.escape(heading)}</h2>",
                                            *body], CSS, empty=not chosen)
            name = page_set.name(page)
            _write(out / name, text)
            written.append(name)
    first = sets[0]
    pages = max(1, math.ceil(len(first.numbers) / page_size))
    body = [summary, _pager(first, 1, pages, home=False),
            *(articles[n - 1] for n in first.numbers[:page_size])]
    _write(out / "index.html", page_html(title, notes, body, CSS,
                                                          empty=not views))
    return written


def _write(path: Path, text: str) -> None:
    from datakit.io.atomic import atomic_writer

    with atomic_writer(path) as handle:
        handle.write(text.encode("utf-8"))


def remove_stale_pages(out: Path, written: Sequence[str]) -> None:
    """Filter pages a previous run left that this run did not write."""
    keep = set(written)
    for entry in out.iterdir():
        if OUR_PAGE.fullmatch(entry.name) and entry.name not in keep:
            entry.unlink(missing_ok=True)


def _pager(page_set: PageSet, page: int, pages: int, home: bool) -> str:
    out = ["<nav class=\"pager\">"]
    if home:
        out.append("<a href=\"index.html\">&#8962; index</a>")
    if pages > 1:
        for n in range(1, pages + 1):
            if n == page:
                out.append(f"<span class=\"current\">{n}</span>")
            else:
                out.append(f"<a href=\"{page_set.name(n)}\">{n}</a>")
        out.append(f" page {page} of {pages}")
    out.append("</nav>\n")
    return "".join(out)


def _summary(views: Sequence[SampleView], sets: Sequence[PageSet]) -> str:
    """Counts per rule, severity and file, each linked to its filter pages."""
    e = html.escape
    findings: Counter[str] = Counter()
    names: dict[str, tuple[str, str]] = {}
    per_severity: Counter[str] = Counter()
    per_file: dict[str, list[int]] = {}
    for view in views:
        counts = per_file.setdefault(view.file, [0, 0, 0])
        counts[0] += 1
        counts[1] += bool(view.findings)
        counts[2] += len(view.findings)
        for f in view.findings:
            findings[f.code] += 1
            per_severity[f.severity.value] += 1
            names.setdefault(f.code, (f.name, f.severity.value))
    stems = {s.stem: s for s in sets}
    out = ["<section class=\"summary\">"]
    if findings:
        out.append("<table class=\"rules\"><tr><th>rule</th><th>severity</th><th>findings</th>"
                   "<th>samples</th></tr>")
        for code in sorted(findings):
            name, severity = names[code]
            samples = len(stems[f"rule-{code}"].numbers)
            out.append(f"<tr><td><a href=\"rule-{e(code)}.html\"><code>{e(code)}</code> "
                       f"{e(name)}</a></td><td class=\"sev-{e(severity)}\">{e(severity)}</td>"
                       f"<td class=\"n\">{findings[code]}</td><td class=\"n\">{samples}</td></tr>")
        out.append("</table><table class=\"severities\"><tr><th>severity</th><th>findings</th>"
                   "<th>samples</th></tr>")
        for severity in _SEVERITIES:
            if severity in per_severity:
                samples = len(stems[f"severity-{severity}"].numbers)
                out.append(f"<tr><td class=\"sev-{severity}\"><a href=\"severity-{severity}"
                           f".html\">{severity}</a></td><td class=\"n\">"
                           f"{per_severity[severity]}</td><td class=\"n\">{samples}</td></tr>")
        out.append("</table>")
    out.append("<table class=\"files\"><tr><th>file</th><th>samples</th><th>with findings</th>"
               "<th>findings</th></tr>")
    for k, (name, (samples, flagged, count)) in enumerate(per_file.items(), 1):
        out.append(f"<tr><td><a href=\"file-{k}.html\">{e(name)}</a></td>"
                   f"<td class=\"n\">{samples}</td><td class=\"n\">{flagged}</td>"
                   f"<td class=\"n\">{count}</td></tr>")
    out.append("</table></section>\n")
    return "".join(out)
