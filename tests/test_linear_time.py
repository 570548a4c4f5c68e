"""Growth fuzzing: a record grown four times larger costs about four times as much, not 16.

Each case repeats a random motif of Qwen-VL constructs (every tag and closing tag, picture
labels, every kind of special token, backslashes, quotes, non-ASCII text, box coordinates)
to fill one message value of 64 KB and of 256 KB, writes it as a JSON array or JSON Lines
file (in the user or the assistant turn), and runs the whole validation engine, default
rules and all, and the token accounting on both. Linear work takes ~4 times as long on the
larger file; the bound is 8 times, so a quadratic path (~16 times) fails here rather than
hanging a user's pre-commit hook on one bad line.

The cases are seeded: a failure names its motif, and reproduces.
"""

from __future__ import annotations

import gc
import json
import random
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from datakit.io import reader, structural
from datakit.qwenvl.tokens import QwenTokenCounter
from datakit.validation.api import validate
from datakit.validation.settings import Settings

ATOMS = [
    # tags, opening and closing
    "<img>", "</img>", "<ref>", "</ref>", "<box>", "</box>", "<quad>", "</quad>",
    # picture labels
    "Picture 1: ", "Picture 2:", "Picture 123456789: ", "Picture ",
    # every kind of special token, and near misses
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|extra_0|>", "<|extra_204|>",
    "<|extra_205|>", "<imgpad>", "<|", "|>", "<", ">",
    # what goes inside tags: paths, names, coordinates, good and broken
    "img/a.jpg", "dog", "(1,2),(3,4)", "(10,20),(5,6)", "(0,0),(999,999)", "(1, 2)",
    "(1234567890,", "(", ")", ",", "7",
    # text that the readers and the tokenizer must escape or normalise
    "\\", '"', "\\\"", "\n", "\r\n", "\t", " ", "é", "e\u0301", "中文", "😀", "\ud800",
]
# whole units, well formed and not, so that motifs hold more than fragments
MOLECULES = [
    "Picture 1: <img>img/a.jpg</img>\n", "<img>img/a.jpg</img>", "<ref>a dog</ref>",
    "<box>(10,20),(300,400)</box>", "<box>(300,400),(10,20)</box>", "<box>(1, 2)</box>",
    "<quad>(1,2),(3,4),(5,6),(7,8)</quad>", "<ref>a<box>(1,2),(3,4)</box></ref>",
    "<img>" + "p" * 300 + "</img>", "<img>a<|im_end|></img>",
]
# What once took minutes at a megabyte (issue #14): kept as cases of their own.
REPORTED = ["<ref>", "<img>", "<box>(1,", "<ref></box>", "Picture 1: <img>", "<|im_end|>", "\\",
            # malformed boxes, and boxes that alternate with pictures (P004 per box)
            "<box>(1, 2)</box>", "Picture 1: <img>img/a.jpg</img>\n<box>(10,20),(300,400)</box>"]
SMALL_BYTES = 64 << 10
GROWTH = 4
MAX_RATIO = 8
FLOOR_SECONDS = 0.05  # noise on small times
CASES = 10


def _motif(rng: random.Random) -> str:
    return "".join(rng.choice(rng.choice([ATOMS, MOLECULES])) for _ in range(rng.randint(1, 4)))


def _value(motif: str, size: int) -> str:
    return motif * max(1, size // len(motif.encode("utf-8", "surrogatepass")))


def _record(value: str, turn: str) -> dict[str, Any]:
    user = value if turn == "user" else "Picture 1: <img>img/a.jpg</img>\nWhat is this?"
    answer = value if turn == "assistant" else "<ref>a dog</ref><box>(1,2),(300,400)</box>"
    return {"id": "grown", "conversations": [{"from": "user", "value": user},
                                             {"from": "assistant", "value": answer}]}


def _write(path: Path, record: dict[str, Any]) -> None:
    plain = _record("hello", "user") | {"id": "plain"}
    records = [plain, record, plain | {"id": "plain-2"}]
    if path.suffix == ".jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    else:
        text = json.dumps(records, ensure_ascii=False, indent=1)
    path.write_bytes(text.encode("utf-8", "surrogatepass"))


def _cpu_seconds(work: Callable[[], object], runs: int) -> float:
    """Best CPU time of this process (a busy machine's other processes do not count)."""
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best


def _cases() -> list[Any]:
    rng = random.Random(20260514)
    motifs = [*REPORTED, *(_motif(rng) for _ in range(CASES))]
    cases = []
    for n, motif in enumerate(motifs):
        suffix, turn = rng.choice([".json", ".jsonl"]), rng.choice(["user", "assistant"])
        numpy_index = n % 2 == 0  # the structural index of large files, on small ones too
        cases.append(pytest.param(motif, suffix, turn, numpy_index, id=f"{n}-{motif!r}"))
    return cases


COUNTER = QwenTokenCounter.load()
SETTINGS = Settings(jobs=1, cache=False)


@pytest.mark.parametrize(("motif", "suffix", "turn", "numpy_index"), _cases())
def test_a_grown_record_costs_linear_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, motif: str, suffix: str, turn: str,
    numpy_index: bool,
) -> None:
    if numpy_index:
        monkeypatch.setattr(structural, "_index_in_python", lambda chunk: False)
    monkeypatch.chdir(tmp_path)  # image paths resolve here, where there are none
    files, records = [], []
    for size in (SMALL_BYTES, SMALL_BYTES * GROWTH):
        record = _record(_value(motif, size), turn)
        path = tmp_path / f"d{size}{suffix}"
        _write(path, record)
        files.append(path)
        records.append(record)
    validate(files[0], settings=SETTINGS)  # warm: the tokenizer and rules load once

    slow = []
    for name, work in [
        ("validate", [lambda f=f: validate(f, settings=SETTINGS) for f in files]),
        ("account_record", [lambda r=r: COUNTER.account_record(r) for r in records]),
    ]:
        for runs in (1, 3):  # measured again, more carefully, before it counts as slow
            small = _cpu_seconds(work[0], runs + 1)
            large = _cpu_seconds(work[1], runs)
            if large <= MAX_RATIO * small + FLOOR_SECONDS:
                break
        else:
            slow.append(f"{name}: {small:.3f} s -> {large:.3f} s")
    assert slow == [], f"{motif!r} x{GROWTH} ({suffix}, {turn}) costs over x{MAX_RATIO}: {slow}"


def _peak_bytes(work: Callable[[], object]) -> int:
    """Peak memory of ``work``, reads left out: the reader's 16 MB read buffer, freed at once,
    would be the peak of any small file."""
    read_chunks = reader.read_chunks
    peaks = [0]

    def without_reads(*args: Any, **kwargs: Any) -> Iterator[bytes]:
        chunks = read_chunks(*args, **kwargs)
        while True:
            peaks.append(tracemalloc.get_traced_memory()[1])
            chunk = next(chunks, None)
            tracemalloc.reset_peak()
            if chunk is None:
                return
            yield chunk

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader, "read_chunks", without_reads)
        tracemalloc.start()
        try:
            work()
            return max(*peaks, tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()


@pytest.mark.parametrize("motif", ["<ref>", "Picture 1: <img>img/a.jpg</img><box>(1, 2)"])
def test_a_grown_record_costs_linear_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, motif: str
) -> None:
    monkeypatch.chdir(tmp_path)
    files = []
    for size in (SMALL_BYTES // 4, SMALL_BYTES // 4 * GROWTH):  # tracemalloc is slow
        files.append(tmp_path / f"d{size}.json")
        _write(files[-1], _record(_value(motif, size), "assistant"))
    validate(files[0], settings=SETTINGS)
    small, large = [_peak_bytes(lambda f=f: validate(f, settings=SETTINGS)) for f in files]
    assert large < 6 * small + (1 << 20), (small, large)
