"""One local Ray cluster (2 CPUs, on 127.0.0.1) for this folder's tests, generated shards, and a
time limit on every test here, so that a stuck cluster fails a test instead of hanging the
suite."""

from __future__ import annotations

import contextlib
import json
import random
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

SHARDS = 4
RECORDS_PER_SHARD = 700  # two batches of 512 in each shard
# Far above what a test or the cluster's start takes (seconds; ~10 s on 2 busy cores).
TEST_SECONDS = 120
START_SECONDS = 120
HERE = Path(__file__).resolve().parent


@contextlib.contextmanager
def _deadline(seconds: int, what: str) -> Iterator[None]:
    """Fail (not hang) past ``seconds``: a blocked ``ray.get`` or ``ray.init`` checks for
    signals, so the alarm's exception reaches the test (Ray wraps it in a SystemError)."""
    if sys.platform == "win32":  # no SIGALRM; the subprocesses keep their own timeouts
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"{what} ran past {seconds} s")

    before = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, before)


@pytest.fixture(autouse=True)
def _time_limit(request: pytest.FixtureRequest) -> Iterator[None]:
    with _deadline(TEST_SECONDS, request.node.nodeid):
        yield


@pytest.fixture
def ray_cluster() -> str:
    """The address of a local cluster that subprocesses can join, started by the first test
    that asks; the tests skip where Ray cannot be imported."""
    ray = pytest.importorskip(
        "ray", reason="Ray is not installed (no Ray wheel for this platform or Python; "
        'pip install "datakit[ray]" where there is one)')
    if not ray.is_initialized():
        with _deadline(START_SECONDS, "starting the local Ray cluster"):
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                     _node_ip_address="127.0.0.1")
    return str(ray.get_runtime_context().gcs_address)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """The cluster (and this process's part in it) ends with the last test of this folder,
    before the rest of the suite forks its process pools."""
    ray = sys.modules.get("ray")
    if ray is not None and (nextitem is None or nextitem.path.parent != HERE):
        ray.shutdown()


def _record(shard: int, i: int, rng: random.Random) -> dict[str, Any] | str:
    image = f"img/{rng.randrange(20)}.jpg"
    question = f"Picture 1: <img>{image}</img>\nWhere is the dog {shard}.{i}?"
    answer = f"<ref>dog</ref><box>({rng.randrange(500)},10),({rng.randrange(500, 999)},900)</box>"
    record: dict[str, Any] = {"id": f"s{shard}-{i}", "conversations": [
        {"from": "user", "value": question}, {"from": "assistant", "value": answer}]}
    turns = record["conversations"]
    damage = rng.randrange(30)
    if damage == 0:
        turns[0]["from"] = "human"
    elif damage == 1:  # an id of this shard or of an earlier one
        record["id"] = f"s{rng.randrange(shard + 1)}-{rng.randrange(i + 1)}"
    elif damage == 2:
        turns[0]["value"] = question.replace(image, "img/missing.jpg")
    elif damage == 3:
        turns[1]["value"] = "<ref>dog</ref><box>(900,10),(100,1200)</box>"
    elif damage == 4:
        turns[1]["value"] = "dog " * 2100
    elif damage == 5:
        return json.dumps(record).replace('"conversations":', '"conversations"')
    elif damage == 6:  # the same sample in every shard
        del record["id"]
        record["conversations"] = [{"from": "user", "value": "Where is the dog 0?"},
                                   {"from": "assistant", "value": "here"}]
    return record


@pytest.fixture(scope="session")
def shards(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``shard-N.jsonl`` (and shard-3 as one JSON array) with duplicates within and across
    shards, broken records, missing and too-small images, and a folder of images."""
    root = tmp_path_factory.mktemp("shards")
    (root / "img").mkdir()
    for n in range(20):
        size = (64, 48) if n % 7 else (8, 8)
        Image.new("RGB", size, (n * 9, 0, 0)).save(root / "img" / f"{n}.jpg")
    rng = random.Random(19)
    for shard in range(SHARDS):
        rows = [_record(shard, i, rng) for i in range(RECORDS_PER_SHARD)]
        texts = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)
                 for row in rows]
        if shard == SHARDS - 1:
            (root / f"shard-{shard}.json").write_text("[\n" + ",\n".join(texts) + "\n]\n")
        else:
            (root / f"shard-{shard}.jsonl").write_text("\n".join(texts) + "\n")
    (root / "holdout.txt").write_text("img/3.jpg\n")
    (root / "binary.jsonl").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    return root


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, every Ray test goes to one worker, which starts one cluster."""
    for item in items:
        if item.path.parent == HERE:
            item.add_marker(pytest.mark.xdist_group("ray"))
