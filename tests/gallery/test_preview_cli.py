"""`datakit preview` as a user runs it: exit codes, the gallery's content, offline and escaped."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import run_datakit
from PIL import Image


def _user(value: str) -> dict[str, str]:
    return {"from": "user", "value": value}


def _assistant(value: str) -> dict[str, str]:
    return {"from": "assistant", "value": value}


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    (tmp_path / "img").mkdir()
    Image.new("RGB", (320, 240), (90, 90, 90)).save(tmp_path / "img" / "a.png")
    records = [
        {"id": "clean", "conversations": [
            _user("Picture 1: <img>img/a.png</img>\nWhere is it?"),
            _assistant("<ref>门</ref><box>(100,100),(500,500)</box>")]},
        {"id": "<script>alert(\"id\")</script>", "conversations": [
            _user("Picture 1: <img>img/a.png</img>\n<b>bold?</b> & 'quotes' \"too\""),
            _assistant("<ref><i>x</i></ref><box>(10,10),(1200,500)</box>")]},
        {"id": "remote", "conversations": [
            _user("Picture 1: <img>https://example.invalid/a.jpg</img>\nand?"),
            _assistant("<ref>a</ref><box>(1,1),(2,2)</box>")]},
    ]
    (tmp_path / "data.json").write_text(json.dumps(records, ensure_ascii=False),
                                        encoding="utf-8")
    return tmp_path


def test_gallery_with_findings_is_offline_and_escaped(dataset: Path) -> None:
    result = run_datakit(["preview", "data.json", "--output", "gallery", "--with-findings"],
                         cwd=dataset)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"wrote 2 sample(s), 1 picture(s), 1 box(es) to {Path('gallery') / 'index.html'}",
        "pictures not drawn: URL 1",
        "1 box(es) with findings drawn dashed",
    ]
    page = (dataset / "gallery" / "index.html").read_text(encoding="utf-8")
    # only the samples the validator flags (B002: 1200 is off the grid; a remote image), with
    # their findings marked
    assert page.count("<article") == 2
    assert "<code>B002</code>" in page
    assert re.search(r'<mark class="sev-error"><span class="tag box faulty"', page)
    assert page.count('class="sample flagged"') == 2
    # every piece of data escaped
    assert "<script" not in page and "<b>" not in page and "<i>" not in page
    assert "id &lt;script&gt;alert(&quot;id&quot;)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold?&lt;/b&gt; &amp; &#x27;quotes&#x27; &quot;too&quot;" in page
    # offline: nothing remote, pictures by relative path, and they exist
    for banned in ("<link", "<script", "@import", "url(", "//fonts", "cdn"):
        assert banned not in page.lower()
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert sources == ["images/0001-1.png"]
    assert (dataset / "gallery" / sources[0]).is_file()


def test_urls_are_never_fetched_and_stale_pictures_go(dataset: Path) -> None:
    first = run_datakit(["preview", "data.json", "--output", "g", "--no-findings",
                         "--sample", "3"], cwd=dataset)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[1] == "pictures not drawn: URL 1"
    assert sorted(p.name for p in (dataset / "g" / "images").iterdir()) == [
        "0001-1.png", "0002-1.png"]
    page = (dataset / "g" / "index.html").read_text(encoding="utf-8")
    assert "URL: not fetched (datakit never uses the network)" in page
    (dataset / "g" / "images" / "keep-me.txt").write_text("mine", encoding="utf-8")
    again = run_datakit(["preview", "data.json", "--output", "g", "--no-findings", "--ids",
                         "remote"], cwd=dataset)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in (dataset / "g" / "images").iterdir()) == ["keep-me.txt"]


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (["nope.json", "--output", "o"],
         "datakit: error: nope.json: no such file\n  fix: check the path\n"),
        (["data.json", "--output", "o", "--no-findings", "--ids", "clean,ghost"],
         "datakit: error: no record has the id(s) ghost\n"
         "  fix: check the ids (they are matched as text, exactly)\n"),
        (["data.json", "--output", "o", "--with-findings", "--no-findings"],
         "datakit: error: --with-findings needs the validation run that --no-findings skips\n"
         "  fix: drop one of the two options\n"),
        (["data.json", "--output", "o", "--font", "missing.ttf"],
         "datakit: error: font file missing.ttf not found\n"
         "  fix: give a .ttf/.ttc/.otf file, or leave --font out\n"),
    ],
    ids=["missing-file", "unknown-id", "contradictory", "missing-font"],
)
def test_usage_errors_exit_2(dataset: Path, args: list[str], stderr: str) -> None:
    result = run_datakit(["preview", *args], cwd=dataset)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", stderr)


def test_output_is_required(dataset: Path) -> None:
    result = run_datakit(["preview", "data.json"], cwd=dataset)
    assert result.returncode == 2
    assert "Missing option '--output' / '-o'" in result.stderr
    assert "Traceback" not in result.stderr
