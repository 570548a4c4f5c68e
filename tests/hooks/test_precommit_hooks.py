"""The published hooks, run by the real pre-commit on commits in a temporary git repository."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from precommit_repo import (
    PUBLISHED,
    Repo,
    as_local_hook,
    local_config,
    published_hooks,
)

HOOK_NAMES = {
    "datakit-validate": "datakit validate",
    "datakit-validate-images": "datakit validate (with image files)",
    "datakit-validate-fast": "datakit validate (no token checks)",
}
FIX_HOOK_NAMES = {"datakit-fix": "datakit fix"}  # run in test_fix_hook.py


def test_the_manifest_is_valid_and_publishes_the_documented_hooks() -> None:
    done = Repo(PUBLISHED.parent, {}).run(sys.executable, "-m", "pre_commit",
                                          "validate-manifest", str(PUBLISHED))
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    hooks = published_hooks()
    assert [(h["id"], h["entry"]) for h in hooks] == [
        ("datakit-validate", "datakit validate --images none"),
        ("datakit-validate-images", "datakit validate --images header"),
        ("datakit-validate-fast", "datakit validate --images none --extend-ignore K"),
        ("datakit-fix", "datakit fix"),
    ]
    for hook in hooks:
        assert hook["language"] == "python"
        assert hook["require_serial"] is True
        assert hook["name"] == {**HOOK_NAMES, **FIX_HOOK_NAMES}[hook["id"]]
        assert "args" not in hook  # the fixed arguments live in entry; users' args add to them


@pytest.mark.parametrize(
    ("name", "matched"),
    [("train.json", True), ("data/val.jsonl", True), ("a.json.gz", True), ("b.jsonl.gz", True),
     ("part-0.parquet", True), ("notes.txt", False), ("a.json.bak", False), ("x.geojson", False),
     ("image.png", False), ("archive.gz", False)],
)
def test_files_pattern(name: str, matched: bool) -> None:
    for hook in published_hooks():
        assert bool(re.search(hook["files"], name)) is matched


def _record(record_id: str, question: str, answer: str, image: str = "images/cat.png"
            ) -> dict[str, Any]:
    return {"id": record_id, "conversations": [
        {"from": "user", "value": f"Picture 1: <img>{image}</img>\n{question}"},
        {"from": "assistant", "value": answer},
    ]}


def _dataset_repo(make_repo: Callable[[], Repo]) -> Repo:
    repo = make_repo()
    hooks = [as_local_hook(h) for h in published_hooks() if h["id"] in HOOK_NAMES]
    repo.write(".pre-commit-config.yaml", local_config(hooks))
    repo.write("pyproject.toml", '[tool.datakit]\nmax-len = 400\nexclude = ["configs/*"]\n')
    (repo.root / "images").mkdir()
    Image.new("RGB", (320, 240), (200, 100, 50)).save(repo.root / "images" / "cat.png")
    repo.write("train.json", json.dumps([
        _record("t1", "Where is the cat?", "<ref>the cat</ref><box>(100,120),(600,880)</box>"),
        _record("t2", "What colour is the cat?", "Orange, with a white chest."),
    ], indent=1))
    # Not datasets: an object (skipped by default), and an array of settings (excluded).
    repo.write("package.json", json.dumps({"name": "my-dataset", "version": "1.0.0"}))
    repo.write("configs/schedule.json", json.dumps([{"lr": 0.0001, "epochs": 3}]))
    done = repo.pre_commit("install")
    assert done.returncode == 0, done.stdout + done.stderr
    return repo


def _hook_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("datakit validate")]


def _status(name: str, status: str) -> str:
    return f"{name}{'.' * (79 - len(name) - len(status))}{status}"


@pytest.mark.slow
def test_commits_through_the_published_hooks(make_repo: Callable[[], Repo]) -> None:
    repo = _dataset_repo(make_repo)

    repo.git("add", ".")
    clean = repo.run("git", "commit", "-m", "Add the training set")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert _hook_lines(clean.stdout + clean.stderr) == [
        _status(name, "Passed") for name in HOOK_NAMES.values()
    ]

    lines = [
        _record("v1", "Find the cat.", "<ref>the cat</ref><box>(100,120),(600,880)</box>"),
        _record("v2", "Where is the tail?", "<ref>the tail</ref><box>(500,500),(100,100)</box>"),
        _record("v3", "Is there a dog?", "No.", image="images/dog.png"),
        _record("v4", "Describe the picture.",
                "An orange cat sits on a wooden floor next to a window. " * 12),
    ]
    repo.write("val.jsonl", "".join(json.dumps(r) + "\n" for r in lines))
    repo.write("package.json", json.dumps({"name": "my-dataset", "version": "1.0.1"}))
    repo.git("add", "val.jsonl", "package.json")
    broken = repo.run("git", "commit", "-m", "Add the validation set")
    output = broken.stdout + broken.stderr
    assert broken.returncode == 1, output
    assert _hook_lines(output) == [_status(name, "Failed") for name in HOOK_NAMES.values()]

    # under the file's heading, each finding at the value's line:column
    b003 = ("  2:170: B003 error box-corners-swapped: <box>(500,500),(100,100)</box>: "
            "corners are not top-left, bottom-right (id 'v2', "
            "$[1].conversations[1].value @19)")
    i003 = ("  3:75: I003 error image-missing: images/dog.png does not exist (looked for "
            f"{repo.root / 'images' / 'dog.png'}) (id 'v3', "
            "$[2].conversations[0].value @16)")
    k002 = ("  4:1: K002 error token-answer-cut: 446 tokens > max_len 400: the last "
            "answer is cut (120 of 166 supervised tokens survive) (id 'v4', $[3])")
    sections = _sections(output)
    assert _findings(sections["datakit-validate"]) == [b003, k002]
    assert _findings(sections["datakit-validate-images"]) == [b003, i003, k002]
    assert _findings(sections["datakit-validate-fast"]) == [b003]
    skipped = ("datakit: skipped package.json: a JSON object with no Qwen-VL records, not a "
               "dataset (an array of records) (list it in [tool.datakit] include to check it "
               "anyway)")
    for section in sections.values():
        assert section.count(skipped) == 1
        assert "F002" not in section and "S002" not in section and "schedule" not in section
    assert repo.git("log", "--format=%s").stdout == "Add the training set\n"


def _sections(output: str) -> dict[str, str]:
    """Each failed hook's block of output, by hook id."""
    parts = re.split(r"^- hook id: ", output, flags=re.MULTILINE)[1:]
    return {part.split("\n", 1)[0]: part for part in parts}


def _findings(section: str) -> list[str]:
    return [line for line in section.splitlines() if re.match(r"  \S+:\d+: [A-Z]\d{3} ", line)]


@pytest.mark.slow
def test_hooks_on_all_files_see_every_file_in_one_run(
    make_repo: Callable[[], Repo], tmp_path: Path
) -> None:
    # Duplicate ids across two files: found only because require_serial hands every file to
    # one datakit process.
    repo = _dataset_repo(make_repo)
    repo.write("more.json", json.dumps([
        _record("t1", "Is the cat asleep?", "No, its eyes are open."),
    ]))
    repo.git("add", ".")
    done = repo.pre_commit("run", "datakit-validate-fast", "--all-files")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert _findings(output) == [
        # pre-commit passes files in `git ls-files` order: more.json comes first.
        "  2:2: D001 error duplicate-id: id 't1' is also used by more.json record 0 "
        "(line 1) (id 't1', $[0])"
    ]
    headings = [x for x in output.splitlines() if x in ("more.json", "train.json")]
    assert headings == ["train.json"]  # the only file with a finding
