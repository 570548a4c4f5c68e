"""The worker pool never changes what validate reports: the same findings, in the same order,
with --jobs 1 and --jobs 2, on a file large enough to span many batches of every worker."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from datakit.io.jobs import jobs_for_file

RECORDS = 2600  # five batches of 512 and a bit: both workers get several


def _record(i: int, rng: random.Random) -> dict[str, Any] | str:
    image = f"img/{rng.randrange(40)}.jpg"
    question = f"Picture 1: <img>{image}</img>\nWhere is the dog {i}?"
    answer = f"<ref>dog</ref><box>({rng.randrange(500)},10),({rng.randrange(500, 999)},900)</box>"
    record: dict[str, Any] = {"id": f"s{i}", "conversations": [
        {"from": "user", "value": question}, {"from": "assistant", "value": answer}]}
    damage = rng.randrange(40)
    turns = record["conversations"]
    if damage == 0:
        turns[0]["from"] = "human"
    elif damage == 1:
        record["id"] = f"s{rng.randrange(i + 1)}"  # may repeat an id from any earlier batch
    elif damage == 2:
        turns[0]["value"] = question.replace(image, "img/missing.jpg")
    elif damage == 3:
        turns[1]["value"] = "<ref>dog</ref><box>(900,10),(100,1200)</box>"
    elif damage == 4:
        turns[1]["value"] = "dog " * 2100
    elif damage == 5:
        turns[1]["value"] = "<ref>dog<box>(1,2),(3,4)</box><|im_end|>"
    elif damage == 6:
        return json.dumps(record).replace('"conversations":', '"conversations"')
    elif damage == 7:
        del record["id"]
        record["conversations"] = [{"from": "user", "value": "Where is the dog 0?"},
                                   {"from": "assistant", "value": "here"}]  # duplicate sample
    return record


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("jobs")
    (root / "img").mkdir()
    for n in range(40):
        size = (64, 48) if n % 7 else (8, 8)  # some too small
        Image.new("RGB", size, (n * 5, 0, 0)).save(root / "img" / f"{n}.jpg")
    rng = random.Random(7)
    lines = []
    for i in range(RECORDS):
        record = _record(i, rng)
        lines.append(record if isinstance(record, str) else json.dumps(record, ensure_ascii=False))
    (root / "data.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "data.json").write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")
    return root


def _findings(root: Path, name: str, jobs: int) -> list[dict[str, Any]]:
    env = dict(os.environ, DATAKIT_PARALLEL_MIN_BYTES="0")
    out = subprocess.run(
        [sys.executable, "-m", "datakit", "validate", *name.split(), "--jobs", str(jobs), "--format",
         "json", "--no-cache"],
        cwd=root, env=env, capture_output=True, text=True,
    )
    assert out.returncode == 1, out.stderr
    findings: list[dict[str, Any]] = json.loads(out.stdout)["findings"]
    return findings


@pytest.mark.slow
@pytest.mark.parametrize("name", ["data.jsonl", "data.json", "data.jsonl data.json"])
def test_same_findings_in_the_same_order(dataset: Path, name: str) -> None:
    serial = _findings(dataset, name, 1)
    assert {f["code"] for f in serial} >= {"S005", "D001", "D002", "I003", "I007", "B002",
                                           "B003", "K002", "T001", "T004", "F001"}
    assert _findings(dataset, name, 2) == serial


def test_the_pool_threshold_can_be_lowered(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    small = tmp_path / "a.jsonl"
    small.write_text("{}\n", encoding="utf-8")
    assert jobs_for_file(str(small), 2) == 1
    monkeypatch.setenv("DATAKIT_PARALLEL_MIN_BYTES", "0")
    assert jobs_for_file(str(small), 2) == 2
