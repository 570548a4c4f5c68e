"""Every command in the README runs as written, from a fresh clone.

The blocks that start with ``cd samples`` run line by line on the bundled samples and must end
with the exit code the README states (``exit N`` in the line's comment; otherwise 1 for
``validate`` on ``broken``, 0 for the rest). Commands on data the repository does not hold
(COCO, RefCOCO) run in an empty folder: there they may only fail for the missing input, never
for an option, subcommand or value that datakit does not know, and never with an internal
error.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNKNOWN = ("No such option", "No such command", "Invalid value", "Got unexpected extra",
           "internal error", "Traceback")


def _blocks(readme: str) -> list[list[str]]:
    """The ``sh`` blocks, each as its commands (continuation lines joined)."""
    blocks = []
    for body in re.findall(r"```sh\n(.*?)```", readme, flags=re.S):
        commands: list[str] = []
        pending = ""
        for line in body.splitlines():
            pending += line.rstrip("\\").strip() + " " if line.endswith("\\") else line.strip()
            if line.endswith("\\"):
                continue
            if pending and not pending.startswith("#"):
                commands.append(pending)
            pending = ""
        blocks.append(commands)
    return blocks


def _expected(command: str) -> int:
    stated = re.search(r"#.*\bexit (\d+)", command)
    if stated:
        return int(stated.group(1))
    return 1 if command.startswith("datakit validate") and "broken" in command.split("#")[0] \
        else 0


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and the repository")
    target = tmp_path_factory.mktemp("readme") / "datakit"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True)
    return target


def _run(command: str, cwd: Path, clone: Path) -> subprocess.CompletedProcess[str]:
    # The clone's own code, through the installed `datakit` script.
    env = {**os.environ, "PYTHONPATH": str(clone), "NO_COLOR": "1"}
    env.pop("PRE_COMMIT", None)
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)


def _datakit_lines(commands: list[str]) -> list[str]:
    return [c for c in commands if c.startswith("datakit ")]


def test_the_readme_has_sample_blocks() -> None:
    blocks = _blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert sum(1 for b in blocks if b[:1] == ["cd samples"]) >= 2


def test_sample_commands_end_as_stated(clone: Path) -> None:
    if shutil.which("datakit") is None:
        pytest.skip("the datakit script is not installed")
    failures = []
    for block in _blocks((clone / "README.md").read_text(encoding="utf-8")):
        if block[:1] != ["cd samples"]:
            continue
        for command in _datakit_lines(block):
            result = _run(command, clone / "samples", clone)
            if result.returncode != _expected(command) or "Traceback" in result.stderr:
                failures.append(f"{command}: exit {result.returncode}\n{result.stderr[-600:]}")
    assert failures == []


def _judged(samples: Path, clone: Path) -> tuple[list[str], dict[str, int]]:
    result = _run("datakit validate . --output-format json", samples, clone)
    import json

    document = json.loads(result.stdout)
    return [f["path"] for f in document["files"]], document["summary"]["findings"]


def _tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) by relative path, with its sha256."""
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file() or path.is_symlink()}


def test_what_the_commands_write_is_never_judged_as_data(clone: Path, tmp_path: Path) -> None:
    # The quickstart writes its outputs outside the dataset folder (../rows.parquet,
    # ../preview/), so samples/ is byte for byte what the clone holds; and `datakit validate .`
    # in it checks what it checked before.
    if shutil.which("datakit") is None:
        pytest.skip("the datakit script is not installed")
    fresh = tmp_path / "datakit"
    subprocess.run(["git", "clone", "--quiet", str(clone), str(fresh)], check=True)
    samples = fresh / "samples"
    tree = _tree(samples)
    before = _judged(samples, fresh)
    assert _tree(samples) == tree  # validate itself leaves nothing behind
    ran = []
    for block in _blocks((fresh / "README.md").read_text(encoding="utf-8")):
        if block[:1] == ["cd samples"]:
            for command in _datakit_lines(block):
                _run(command, samples, fresh)
                ran.append(command)
    assert any("-o ../" in command for command in ran)  # the outputs the README names
    after = _tree(samples)
    changed = sorted(name for name in tree.keys() | after.keys()
                     if tree.get(name) != after.get(name))
    assert changed == []
    assert (fresh / "rows.parquet").is_file() and (fresh / "preview" / "index.html").is_file()
    assert _judged(samples, fresh) == before


def test_commands_on_outside_data_know_every_option(clone: Path, tmp_path: Path) -> None:
    if shutil.which("datakit") is None:
        pytest.skip("the datakit script is not installed")
    failures = []
    for block in _blocks((clone / "README.md").read_text(encoding="utf-8")):
        if block[:1] == ["cd samples"]:
            continue
        for command in _datakit_lines(block):
            # Output folders named by the commands exist, so only the inputs are missing.
            for word in shlex.split(command.split("#")[0]):
                if "/" in word and not word.startswith("-") and word.endswith("/"):
                    (tmp_path / word).mkdir(parents=True, exist_ok=True)
            result = _run(command, tmp_path, clone)
            if any(marker in result.stderr for marker in UNKNOWN) or result.returncode == 3:
                failures.append(f"{command}: exit {result.returncode}\n{result.stderr[-600:]}")
    assert failures == []
