"""SIGTERM and SIGHUP during a write end datakit like Ctrl-C: no temporary file left, the old
output unchanged, worker processes gone, no traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson

from datakit.io.atomic import TEMP_MARKER


def _leftovers(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if TEMP_MARKER in p.name)


def _big_coco(path: Path, images: int, per_image: int) -> None:
    document = {
        "images": [{"id": i, "file_name": f"{i:012d}.jpg", "width": 640, "height": 480}
                   for i in range(images)],
        "annotations": [
            {"id": i * per_image + k, "image_id": i, "category_id": 1 + k % 3,
             "bbox": [k * 3.5, k * 2.25, 40.5, 30.25], "iscrowd": 0, "area": 1.0}
            for i in range(images) for k in range(per_image)
        ],
        "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c"}],
    }
    path.write_bytes(orjson.dumps(document))


def _signal_mid_write(proc: subprocess.Popen[str], folder: Path, signum: int) -> list[int]:
    """Wait until the temporary output has data, then send ``signum``; the children of the
    process at that moment (its workers)."""
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        temps = _leftovers(folder)
        if temps and temps[0].stat().st_size > 0:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "finished before it could be signalled"
    children_file = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    children = [int(p) for p in children_file.read_text().split()] if children_file.exists() \
        else []
    proc.send_signal(signum)
    return children


def test_sigterm_during_a_conversion_leaves_no_temporary_file(tmp_path: Path) -> None:
    source = tmp_path / "big.json"
    _big_coco(source, images=10_000, per_image=6)
    out = tmp_path / "out.json"
    out.write_text("old output\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "datakit", "convert", "coco", str(source), "-o", str(out),
         "--task", "grounding,detection"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    _signal_mid_write(proc, tmp_path, signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "datakit: interrupted"
    assert out.read_text(encoding="utf-8") == "old output\n"
    assert _leftovers(tmp_path) == []


def test_sighup_stops_the_workers_with_the_command(tmp_path: Path) -> None:
    record = {"id": "x", "conversations": [
        {"from": "user", "value": "hello " * 60}, {"from": "assistant", "value": "world " * 60}]}
    with (tmp_path / "big.jsonl").open("w", encoding="utf-8") as handle:
        for n in range(50_000):
            record["id"] = str(n)
            handle.write(json.dumps(record) + "\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "datakit", "tokens", "big.jsonl", "-o", "rows.jsonl", "--jobs", "2"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "DATAKIT_PARALLEL_MIN_BYTES": "0"},
    )
    children = _signal_mid_write(proc, tmp_path, signal.SIGHUP)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert _leftovers(tmp_path) == [] and not (tmp_path / "rows.jsonl").exists()
    assert children, "the pool had not started"
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(Path(f"/proc/{pid}").exists() for pid in children)


def test_the_handlers_raise_once_and_leave_an_ignored_sighup_alone() -> None:
    from datakit.cli.signals import Terminated, terminate_cleanly

    saved = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGHUP)}
    try:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
        terminate_cleanly()
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        raised = None
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)  # the handler runs at the next bytecode boundary
        except Terminated as exc:
            raised = exc
        assert raised is not None and raised.signum == signal.SIGTERM
        assert isinstance(raised, KeyboardInterrupt)
        # a second SIGTERM during the clean-up would kill at once
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)
