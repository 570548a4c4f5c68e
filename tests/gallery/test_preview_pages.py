"""The gallery's index and static filter pages: counts per rule and file, a page set per rule,
severity and file, every sample with findings paged through (not a random few), and pages that
open offline in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import run_datakit
from PIL import Image


@pytest.fixture(scope="module")
def gallery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pages")
    (root / "img").mkdir()
    Image.new("RGB", (320, 240), (128, 128, 128)).save(root / "img" / "a.png")
    records = []
    for n in range(7):
        # a missing picture in every other sample
        path = f"img/missing-{n}.png" if n % 2 == 0 else "img/a.png"
        box = f"(100,{100 + n}),(500,500)"
        records.append({"id": f"s-{n}", "conversations": [
            {"from": "user", "value": f"Picture 1: <img>{path}</img>\nWhere is dog {n}?"},
            {"from": "assistant", "value": f"<ref>dog</ref><box>{box}</box>"}]})
    (root / "data.json").write_text(json.dumps(records), encoding="utf-8")
    (root / "out").mkdir()
    (root / "out" / "rule-Z999-3.html").write_text("stale", encoding="utf-8")
    result = run_datakit(["preview", "data.json", "--out", "out", "--with-findings",
                          "--page-size", "2"], cwd=root)
    assert result.returncode == 0, result.stderr
    return root / "out"


def _articles(page: str) -> list[str]:
    return re.findall(r'<article class="sample[^"]*" id="(sample-\d+)"', page)


def test_every_sample_with_findings_is_paged_through(gallery: Path) -> None:
    # samples 0, 2, 4, 6 have I003: all four, two per page
    pages = [gallery / "all.html", gallery / "all-2.html"]
    shown = [a for p in pages for a in _articles(p.read_text(encoding="utf-8"))]
    assert shown == ["sample-1", "sample-2", "sample-3", "sample-4"]
    assert not (gallery / "all-3.html").exists()
    index = (gallery / "index.html").read_text(encoding="utf-8")
    assert _articles(index) == ["sample-1", "sample-2"]
    assert '<a href="all-2.html">2</a> page 1 of 2' in index


def test_the_index_counts_per_rule_severity_and_file(gallery: Path) -> None:
    index = (gallery / "index.html").read_text(encoding="utf-8")
    rule = re.search(r'<tr><td><a href="rule-I003.html"><code>I003</code>[^<]*</a></td>'
                     r'<td class="sev-(\w+)">\w+</td><td class="n">(\d+)</td>'
                     r'<td class="n">(\d+)</td></tr>', index)
    assert rule is not None and rule.group(2, 3) == ("4", "4")
    assert '<a href="file-1.html">data.json</a></td><td class="n">4</td>' in index
    assert f'href="severity-{rule.group(1)}.html"' in index
    rule_pages = [gallery / "rule-I003.html", gallery / "rule-I003-2.html"]
    assert [a for p in rule_pages for a in _articles(p.read_text(encoding="utf-8"))] == [
        "sample-1", "sample-2", "sample-3", "sample-4"]


def test_stale_pages_are_removed_and_nothing_is_fetched(gallery: Path) -> None:
    assert not (gallery / "rule-Z999-3.html").exists()
    for page in gallery.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text and "<script" not in text


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_a_filter_page_renders_in_chromium(gallery: Path, tmp_path: Path) -> None:
    dom = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--no-first-run",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
         (gallery / "rule-I003-2.html").as_uri()],
        capture_output=True, text=True, timeout=60)
    assert dom.returncode == 0, dom.stderr
    assert _articles(dom.stdout) == ["sample-3", "sample-4"]
    assert 'href="index.html"' in dom.stdout
