"""Strings from the input are printed escaped: a path with a newline cannot forge a report line,
an ESC sequence cannot drive the terminal, a bidi override cannot reorder what is read. JSON
keeps them exact."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from datakit.report.safe import printable

_CONTROLS = ("\n", "\r", "\x1b", "\x07", "\x85", "\x9b", "\u202e", "\u2028", "\ufeff", "\ud800")


@pytest.mark.parametrize(("raw", "shown"), [
    ("img/a.jpg", "img/a.jpg"),
    ("a\nb", "a\\nb"),
    ("a\r\nb", "a\\r\\nb"),
    ("\x1b[2J\x1b[31mred", "\\x1b[2J\\x1b[31mred"),
    ("tab\there", "tab\\there"),
    ("c1 \x85 \x9b", "c1 \\x85 \\x9b"),
    ("abc\u202egpj.exe", "abc\\u202egpj.exe"),
    ("line\u2028sep", "line\\u2028sep"),
    ("zero\u200bwidth", "zero\\u200bwidth"),
    ("lone \ud800", "lone \\ud800"),
    ("图片\u3000一", "图片\u3000一"),  # ideographic space is text
    ("C:\\data\\x.jpg", "C:\\data\\x.jpg"),
])
def test_printable(raw: str, shown: str) -> None:
    assert printable(raw) == shown


def test_clean_text_is_returned_as_is() -> None:
    text = "images/中文 ok.jpg"
    assert printable(text) is text


_PATH = "img/x\n  forged.json:1: S001 error fake: injected\x1b[2J\u202e.jpg"
_ID = "id\x1b]0;title\x07"


def _dataset(folder: Path) -> Path:
    record = {"id": _ID, "conversations": [
        {"from": "user", "value": f"Picture 1: <img>{_PATH}</img>\nWhat is it?"},
        {"from": "assistant", "value": "a dog"}]}
    path = folder / "d.json"
    path.write_text(json.dumps([record]), encoding="utf-8")
    return path


def _validate(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "datakit", "validate", "d.json", "--no-cache", "--images",
         "exists", "--select", "I", *args],
        cwd=folder, capture_output=True, text=True, encoding="utf-8", errors="surrogateescape",
    )


def test_text_report_shows_a_hostile_path_on_one_line(tmp_path: Path) -> None:
    _dataset(tmp_path)
    out = _validate(tmp_path)
    assert out.returncode == 1, out.stderr
    lines = out.stdout.splitlines()
    assert "d.json" in lines  # the file's heading, then its findings by line:column
    finding = [x for x in lines if x.startswith("  1:")]
    assert finding == [
        "  1:96: I003 error image-missing: img/x\\n  forged.json:1: S001 error fake: "
        f"injected\\x1b[2J\\u202e.jpg does not exist (looked for {tmp_path}/img/x\\n  "
        "forged.json:1: S001 error fake: injected\\x1b[2J\\u202e.jpg) (id "
        "'id\\x1b]0;title\\x07', $[0].conversations[0].value @16)"
    ]
    assert not any(x.startswith("  forged.json") for x in lines)
    for control in _CONTROLS[1:]:
        assert control not in out.stdout


def test_github_annotations_escape_the_path(tmp_path: Path) -> None:
    _dataset(tmp_path)
    out = _validate(tmp_path, "--output-format", "github")
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("::error file=d.json,line=1,col=96,title=I003 image-missing::"
                               "img/x\\n  ")
    assert lines[1] == "datakit: 1 error(s), 0 warning(s) in 1 record(s)"
    for control in _CONTROLS[1:]:
        assert control not in out.stdout


def test_json_keeps_the_exact_strings(tmp_path: Path) -> None:
    _dataset(tmp_path)
    out = _validate(tmp_path, "--output-format", "json")
    finding = json.loads(out.stdout)["findings"][0]
    assert finding["message"].startswith(_PATH + " does not exist")
    assert finding["location"]["record_id"] == _ID


def test_file_names_with_markup_and_newlines(tmp_path: Path) -> None:
    name = "a[/]\n[bold]b\x1b[31m.jsonl"  # the folder "a[" and the file "]\n[bold]b..."
    (tmp_path / "a[").mkdir()
    (tmp_path / name).write_text("{}\n", encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "datakit", "validate", name, "--progress", "--images", "none"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert out.returncode == 1, out.stderr  # findings, not a crash in the progress bar
    assert "Traceback" not in out.stderr and "\x1b[31m" not in out.stderr
    heading = "a[/]\\n[bold]b\\x1b[31m.jsonl"
    assert heading in out.stdout.splitlines()
    assert f"{heading}\n  1:1: S002 error conversations-missing" in out.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "datakit", "validate", "no\nsuch\x1b[2J.json"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert missing.returncode == 1  # F007 file-not-found
    assert "no\\nsuch\\x1b[2J.json\n  F007 error " in missing.stdout
    assert "\x1b" not in missing.stdout


def _hostile_jsonl(folder: Path) -> str:
    name = "e\x1b[2Jvil.jsonl"
    record = {"id": "\x1b[31mX", "conversations": [
        {"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]}
    (folder / name).write_bytes(json.dumps(record).encode() + b"\n\xff\xfe bad\n")
    return name


def test_stats_and_tokens_escape_names_ids_and_messages(tmp_path: Path) -> None:
    name = _hostile_jsonl(tmp_path)
    stats = subprocess.run([sys.executable, "-m", "datakit", "stats", name, "--no-findings"],
                           cwd=tmp_path, capture_output=True, text=True)
    assert stats.returncode == 0
    assert "e\\x1b[2Jvil.jsonl:2: is not valid UTF-8 from here on" in stats.stdout
    assert "\x1b" not in stats.stdout + stats.stderr
    tokens = subprocess.run([sys.executable, "-m", "datakit", "tokens", name, "--output-format", "text"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert tokens.returncode == 1
    assert "  e\\x1b[2Jvil.jsonl:1 id=\\x1b[31mX: KeyError: 'human'" in tokens.stdout.splitlines()
    assert tokens.stderr.startswith("datakit: e\\x1b[2Jvil.jsonl:2: is not valid UTF-8")
    assert "\x1b" not in tokens.stdout + tokens.stderr


def test_a_converter_tally_prints_examples_and_the_title_as_text() -> None:
    import io

    from rich.console import Console

    from datakit.cli.tally_table import print_tally
    from datakit.convert.tally import Tally

    tally = Tally()
    tally.see("image", 2)
    tally.use("image")
    tally.skip("image", "malformed", "images[1]: file_name 'a\nb\x1b[2J.jpg'")
    out = io.StringIO()
    print_tally(tally, {"malformed"}, title="out[/]\x1b.json: 1 records",
                console=Console(file=out, width=200, color_system=None))
    text = out.getvalue()
    assert "out[/]\\x1b.json: 1 records" in text
    assert "  images[1]: file_name 'a\\nb\\x1b[2J.jpg'" in text.splitlines()
    assert "\x1b" not in text
