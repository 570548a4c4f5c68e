"""Ctrl-C ends datakit cleanly: exit 130, one short line, no traceback."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sigint_exits_130_without_traceback(tmp_path: Path, jobs: str) -> None:
    record = {"id": "x", "conversations": [{"from": "user", "value": "hello " * 40},
                                           {"from": "assistant", "value": "world " * 40}]}
    # Long enough that 2 s is well before the end, on a fast machine too (distinct records:
    # a run that only counts duplicate findings is quick).
    with (tmp_path / "big.jsonl").open("w") as f:
        for i in range(200_000):
            record["id"] = str(i)
            record["conversations"][0]["value"] = f"hello {i} " * 40
            f.write(json.dumps(record) + "\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "datakit", "validate", "big.jsonl", "--jobs", jobs, "--no-cache",
         "--format", "json"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    time.sleep(2.0)
    assert proc.poll() is None, "finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "datakit: interrupted"
    assert out == ""
