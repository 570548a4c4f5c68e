"""No command writes over a file it reads, whichever option names it (the dataset,
``--templates``, ``--config``, the pyproject.toml in use, ``--tokenizer``, ``--font``), through
a relative path, a symlink or a hard link; nor writes two outputs to one file. Every refusal is
exit 2 before any work, and every input keeps its bytes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
COCO = DATA / "coco" / "mmdetection" / "coco_sample.json"
REFCOCO = DATA / "refcoco" / "qwen-eval" / "refcoco_testA.jsonl"
RECORD = {"id": "a", "conversations": [{"from": "user", "value": "hi"},
                                       {"from": "assistant", "value": "yo"}]}
REFUSED = "  fix: choose a different output path; datakit never overwrites its input"

# (arguments, first line of stderr); names are relative to the test folder
CASES: dict[str, tuple[list[str], str]] = {
    "coco-templates-as-output": (
        ["convert", "coco", "coco.json", "--templates", "tpl.json", "-o", "tpl.json"],
        "refusing to write tpl.json: it is the --templates file tpl.json"),
    "coco-templates-as-report": (
        ["convert", "coco", "coco.json", "--templates", "tpl.json", "-o", "o.json",
         "--report", "./sub/../tpl.json"],
        "refusing to write sub/../tpl.json: it is the --templates file tpl.json"),
    "coco-hard-link-to-input": (
        ["convert", "coco", "coco.json", "-o", "coco-hard.json"],
        "refusing to write coco-hard.json: it is the input file coco.json"),
    "refcoco-templates-as-holdout": (
        ["convert", "refcoco", "refcoco_testA.jsonl", "--split", "testA", "--templates",
         "rec.json", "-o", "o.json", "--emit-holdout", "rec.json"],
        "refusing to write rec.json: it is the --templates file rec.json"),
    "refcoco-report-is-holdout": (
        ["convert", "refcoco", "refcoco_testA.jsonl", "--split", "testA", "-o", "o.json",
         "--emit-holdout", "h.json", "--report", "h.json"],
        "--report and --emit-holdout are the same file"),
    "stats-output-is-dataset": (
        ["stats", "d.json", "--no-findings", "--output-format", "json", "-o", "d.json"],
        "refusing to write d.json: it is the input file d.json"),
    "stats-parquet-is-config": (
        ["stats", "d.json", "--no-findings", "--config", "cfg.toml", "--parquet", "cfg.toml"],
        "refusing to write cfg.toml: it is the --config file cfg.toml"),
    "stats-parquet-is-output": (
        ["stats", "d.json", "--no-findings", "--output-format", "json", "-o", "s.json", "--parquet",
         "s.json"],
        "--parquet and --output are the same file"),
    "tokens-output-is-found-pyproject": (
        ["tokens", "d.json", "-o", "pyproject.toml"],
        "refusing to write pyproject.toml: it is the configuration file {tmp}/pyproject.toml"),
    "tokens-output-is-tokenizer": (
        ["tokens", "d.json", "--tokenizer", "model", "-o", "model/qwen.tiktoken"],
        "refusing to write model/qwen.tiktoken: it is the --tokenizer file model/qwen.tiktoken"),
    "validate-report-is-dataset": (
        ["validate", "d.json", "--output-format", "json", "-o", "d.json"],
        "refusing to write d.json: it is the input file d.json"),
    "validate-report-is-holdout": (
        ["validate", "d.json", "--holdout", "rec.json", "--output-format", "json", "-o", "./rec.json"],
        "refusing to write rec.json: it is the --holdout file rec.json"),
    "preview-index-is-dataset": (
        ["preview", "gallery/index.html", "--output", "gallery", "--no-findings"],
        "refusing to write gallery/index.html: it is the input file gallery/index.html"),
    "preview-pictures-hold-font": (
        ["preview", "d.json", "--output", "gallery", "--no-findings", "--font",
         "gallery/images/0001-1.png"],
        "refusing to write in gallery/images: it holds the --font file "
        "gallery/images/0001-1.png"),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, int, str, dict]]:
    """Run every case at once (each in its own folder); their exit codes, stderr and the bytes
    of every file in the folder before the run."""
    running = {}
    for name, (args, _) in CASES.items():
        folder = tmp_path_factory.mktemp(name)
        shutil.copy(COCO, folder / "coco.json")
        os.link(folder / "coco.json", folder / "coco-hard.json")
        shutil.copy(REFCOCO, folder / "refcoco_testA.jsonl")
        (folder / "tpl.json").write_text('{"grounding": {"en": ["Where is {category}?"]}}')
        (folder / "rec.json").write_text('{"rec": {"en": ["Find {ref}."]}}')
        (folder / "d.json").write_text(json.dumps([RECORD]))
        (folder / "cfg.toml").write_text("[tool.datakit]\nmax-len = 100\n")
        (folder / "pyproject.toml").write_text("[tool.datakit]\nmax-len = 200\n")
        (folder / "sub").mkdir()
        (folder / "model").mkdir()
        (folder / "model" / "qwen.tiktoken").write_text("not read\n")
        (folder / "gallery" / "images").mkdir(parents=True)
        (folder / "gallery" / "index.html").write_text(json.dumps([RECORD]))
        (folder / "gallery" / "images" / "0001-1.png").write_text("not a font\n")
        before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        process = subprocess.Popen([sys.executable, "-m", "datakit", *args], cwd=folder,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        running[name] = (folder, process, before)
    out = {}
    for name, (folder, process, before) in running.items():
        _, err = process.communicate(timeout=120)
        out[name] = (folder, process.returncode, err, before)
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_output_that_is_an_input_is_refused(
    name: str, results: dict[str, tuple[Path, int, str, dict]]
) -> None:
    folder, code, err, before = results[name]
    expected = CASES[name][1].replace("{tmp}", str(folder))
    assert code == 2, err
    assert err.splitlines()[0] == f"datakit: error: {expected}"
    if "same file" in expected:
        assert err.splitlines()[1] == "  fix: name a different file for each"
    elif "holds" not in expected:
        assert err.splitlines()[1] == REFUSED
    after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before  # no input changed, nothing written
