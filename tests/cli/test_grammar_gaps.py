"""The grammar on every subcommand: each one's --help offers the shared options it should,
preview and convert dialect read '-', every long command draws --progress on a terminal (and
only there by default), rules writes -o, and fix refuses '-' with a reason."""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from datakit.convert.progress import reported

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
REFCOCO = ROOT / "tests" / "data" / "refcoco"
DIALECTS = ROOT / "tests" / "data" / "dialects"
SWIFT = "ms_swift_multi_modal_1.jsonl"

OUTPUT = "-o, --output"
REPORT_FORMAT = "--output-format"
DATA_FORMAT = "--data-format"
PROGRESS = "--progress / --no-progress"
LONG_READER = {OUTPUT, REPORT_FORMAT, PROGRESS}
CONVERTER = {OUTPUT, DATA_FORMAT, PROGRESS}
# What each subcommand offers of the shared grammar (rule prints one rule's text; fix
# rewrites its inputs in place, so it writes no file of its own).
GRAMMAR = {
    "validate": LONG_READER, "stats": LONG_READER, "tokens": LONG_READER,
    "preview": {OUTPUT, PROGRESS}, "rules": {OUTPUT, REPORT_FORMAT}, "rule": set(),
    "fix": set(), "convert coco": CONVERTER, "convert refcoco": CONVERTER,
    "convert dialect": CONVERTER, "convert qwen-vl": CONVERTER,
}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _datakit(args: list[str], cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "datakit", *args], cwd=cwd, input=stdin,
                            capture_output=True, timeout=180)
    return subprocess.CompletedProcess(result.args, result.returncode,
                                       result.stdout.decode(), result.stderr.decode())


def _on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """Exit code and stderr (colour codes removed) of a run whose stderr is a terminal."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "100"}
    process = subprocess.Popen([sys.executable, "-m", "datakit", *args], cwd=cwd, env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 1 << 16)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    code = process.wait(timeout=180)
    return code, _ANSI.sub("", b"".join(chunks).decode("utf-8", "replace"))


def _grammar_of(help_text: str) -> set[str]:
    offered = set()
    for line in help_text.splitlines():
        for flag in (OUTPUT, REPORT_FORMAT, DATA_FORMAT, PROGRESS):
            if re.match(rf"\s+{re.escape(flag)}(\s|$)", line):
                offered.add(flag)
    return offered


def _subcommands(help_text: str) -> list[str]:
    section = re.split(r"\n(?:Commands|Sources):\n", help_text)[1]
    return [line.split()[0] for line in section.splitlines() if re.match(r"  \S", line)]


def test_every_subcommand_offers_the_shared_grammar(tmp_path: Path) -> None:
    names = _subcommands(_datakit(["--help"], tmp_path).stdout)
    names = [n for n in names if n != "convert"] + [
        f"convert {n}" for n in _subcommands(_datakit(["convert", "--help"], tmp_path).stdout)]
    assert sorted(names) == sorted(GRAMMAR)  # a new command gets its row here
    for name in names:
        result = _datakit([*name.split(), "--help"], tmp_path)
        assert result.returncode == 0, result.stderr
        assert (name, _grammar_of(result.stdout)) == (name, GRAMMAR[name])
        # Old spellings work but are not offered, save validate's, which says what replaced it.
        old = [line for line in result.stdout.splitlines()
               if re.match(r"\s+(--format|--out)\b", line)]
        assert old == ([] if name != "validate" else
                       [next(line for line in old if "Deprecated: use --output-format" in line)])


def test_preview_reads_standard_input_as_stdin(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES / "images", tmp_path / "images")
    lines = (SAMPLES / "grounding.jsonl").read_bytes()
    first = _datakit(["preview", "-", "-o", "g1", "--no-findings", "--sample", "3"], tmp_path,
                     lines)
    assert (first.returncode, first.stdout, first.stderr) == (
        0, "wrote 3 sample(s), 3 picture(s), 4 box(es) to g1/index.html\n", "")
    again = _datakit(["preview", "-", "-o", "g2", "--no-findings", "--sample", "3"], tmp_path,
                     lines)
    assert again.returncode == 0
    page = (tmp_path / "g1" / "index.html").read_text(encoding="utf-8")
    # The choice and the names do not depend on where the copy of standard input was put.
    assert page == (tmp_path / "g2" / "index.html").read_text(encoding="utf-8")
    assert "&lt;stdin&gt; record " in page and "datakit-stdin-" not in page


def test_preview_of_standard_input_finds_its_findings(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES / "images", tmp_path / "images")
    broken = (SAMPLES / "broken" / "B002-box-out-of-grid.json").read_bytes()
    result = _datakit(["preview", "-", "-o", "g", "--with-findings"], tmp_path, broken)
    assert (result.returncode, result.stdout) == (
        0, "wrote 1 sample(s), 1 picture(s), 1 box(es) to g/index.html\n"
           "1 box(es) with findings drawn dashed\n"), result.stderr
    assert "B002" in (tmp_path / "g" / "index.html").read_text(encoding="utf-8")


def test_convert_dialect_reads_standard_input(tmp_path: Path) -> None:
    named = _datakit(["convert", "dialect", SWIFT, "--target", "qwen2-vl", "-o",
                      str(tmp_path / "a.jsonl"), "--report", str(tmp_path / "a.json"), "-q"],
                     DIALECTS)
    piped = _datakit(["convert", "dialect", "-", "--target", "qwen2-vl", "-o",
                      str(tmp_path / "b.jsonl"), "--report", str(tmp_path / "b.json"), "-q"],
                     DIALECTS, (DIALECTS / SWIFT).read_bytes())
    assert (named.returncode, piped.returncode, piped.stderr) == (0, 0, "")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    report = json.loads((tmp_path / "b.json").read_text())
    assert (report["inputs"], report["output"]["format"]) == (["<stdin>"], "jsonl")


def test_convert_dialect_data_format(tmp_path: Path) -> None:
    v1 = _datakit(["convert", "dialect", SWIFT, "--target", "qwen-vl", "--data-format", "jsonl",
                   "-o", str(tmp_path / "v1.jsonl"), "-q"], DIALECTS)
    assert (v1.returncode, v1.stderr) == (0, "")
    lines = (tmp_path / "v1.jsonl").read_text(encoding="utf-8").splitlines()
    assert [sorted(json.loads(line)) for line in lines[:1]] == [["conversations"]]
    default = _datakit(["convert", "dialect", SWIFT, "--target", "qwen-vl",
                        "-o", str(tmp_path / "v1.json"), "-q"], DIALECTS)
    assert default.returncode == 0
    assert [json.loads(line) for line in lines] == json.loads(
        (tmp_path / "v1.json").read_text(encoding="utf-8"))
    misfit = _datakit(["convert", "dialect", SWIFT, "--target", "qwen2-vl", "--data-format",
                       "json", "-o", str(tmp_path / "x.json")], DIALECTS)
    assert (misfit.returncode, misfit.stderr) == (2, (
        "datakit: error: --data-format json does not fit --layout ms-swift, which is written "
        "as JSON Lines\n  fix: drop --data-format: the layout decides it\n"))
    assert not (tmp_path / "x.json").exists()


def test_convert_dialect_says_a_folder_is_one_file_too_many(tmp_path: Path) -> None:
    result = _datakit(["convert", "dialect", ".", "--target", "qwen-vl", "-o",
                       str(tmp_path / "x.json")], DIALECTS)
    assert (result.returncode, result.stderr) == (2, (
        "datakit: error: . is a folder; convert dialect rewrites one file into one\n"
        "  fix: name one dataset file in it, and run once per file\n"))


def test_fix_refuses_standard_input_with_a_reason(tmp_path: Path) -> None:
    result = _datakit(["fix", "-"], tmp_path, b"[]")
    assert (result.returncode, result.stdout, result.stderr) == (2, "", (
        "datakit: error: datakit fix rewrites files in place; standard input ('-') cannot be "
        "rewritten\n  fix: save it to a file and name that (datakit validate - checks standard "
        "input)\n"))


def test_rules_writes_its_list_to_a_file(tmp_path: Path) -> None:
    shown = _datakit(["rules", "--output-format", "json"], tmp_path)
    written = _datakit(["rules", "--output-format", "json", "-o", "rules.json"], tmp_path)
    assert (written.returncode, written.stdout, written.stderr) == (0, "", "")
    assert (tmp_path / "rules.json").read_text(encoding="utf-8") == shown.stdout
    codes = [row["code"] for row in json.loads(shown.stdout)]
    table = _datakit(["rules", "-o", "rules.txt"], tmp_path)
    assert (table.returncode, table.stdout, table.stderr) == (0, "", "")
    text = (tmp_path / "rules.txt").read_text(encoding="utf-8")
    assert "\x1b[" not in text
    rows = [line.split("│")[1].strip() for line in text.splitlines() if line.startswith("│")]
    assert rows == codes  # one unfolded row per rule, in the catalogue's order
    (tmp_path / "folder").mkdir()
    refused = _datakit(["rules", "-o", "folder"], tmp_path)
    assert (refused.returncode, refused.stderr) == (
        2, "datakit: error: cannot write folder: it is a directory\n  fix: give a file name\n")


@pytest.mark.parametrize("target", ["qwen-vl", "qwen2-vl"])
def test_convert_refcoco_progress_on_a_terminal(target: str, tmp_path: Path) -> None:
    args = ["convert", "refcoco", "data/refcoco/refs(unc).p", "--target", target, "-q"]
    code, shown = _on_a_terminal([*args, "-o", str(tmp_path / "a.json")], REFCOCO)
    assert code == 1  # the fixture's faulty refs
    assert re.search(r"refs [━ ]+10/10 ", shown), shown
    code, quiet = _on_a_terminal([*args, "--no-progress", "-o", str(tmp_path / "b.json")],
                                 REFCOCO)
    assert (code, quiet) == (1, "")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_convert_dialect_progress_on_a_terminal(tmp_path: Path) -> None:
    args = ["convert", "dialect", SWIFT, "--target", "qwen2-vl", "-q"]
    code, shown = _on_a_terminal([*args, "--progress", "-o", str(tmp_path / "a.jsonl")],
                                 DIALECTS)
    assert code == 0
    assert re.search(r"records [━ ]+\d+/\? ", shown), shown
    assert _on_a_terminal([*args, "--no-progress", "-o", str(tmp_path / "b.jsonl")],
                          DIALECTS) == (0, "")


def test_preview_progress_on_a_terminal(tmp_path: Path) -> None:
    shutil.copy(SAMPLES / "grounding.json", tmp_path)
    shutil.copytree(SAMPLES / "images", tmp_path / "images")
    code, shown = _on_a_terminal(["preview", "grounding.json", "-o", "g"], tmp_path)
    assert code == 0
    for stage in ("grounding.json 7 records", "grounding.json: choosing 7 records",
                  "drawing 7 records"):
        assert stage in " ".join(shown.split()), shown
    code, quiet = _on_a_terminal(["preview", "grounding.json", "-o", "h", "--no-progress"],
                                 tmp_path)
    assert (code, quiet) == (0, "")


def test_reported_tells_every_few_items_and_at_the_end() -> None:
    calls: list[tuple[int, int | None]] = []

    def tell(done: int, total: int | None) -> None:
        calls.append((done, total))

    assert list(reported([10, 11, 12, 13, 14], tell, every=2)) == [10, 11, 12, 13, 14]
    assert calls == [(2, 5), (4, 5), (5, 5)]
    calls.clear()
    assert list(reported(iter("abc"), tell, every=2)) == ["a", "b", "c"]
    assert calls == [(2, None), (3, None)]
    items = [1, 2]
    assert reported(items, None) is items  # no progress: the items untouched, no wrapper
