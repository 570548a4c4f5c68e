"""``datakit convert coco`` never writes an empty training file: zero usable samples exit 1
with the reason in one line (2 when the file is not one the command reads), and an earlier
output at that path is left exactly as it was."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from coco_checks import DATUMARO_INSTANCES, SAMPLE

from datakit.io.atomic import TEMP_MARKER

OLD = b'[{"id": "earlier output"}]\n'


def _datakit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "datakit", *args], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    ("args", "message", "fix"),
    [
        (
            [str(SAMPLE), "--limit", "0"],
            "datakit: error: no usable sample: 3 annotations seen, none used (3 beyond-limit); "
            "3 images seen, none used (3 beyond-limit); {out} not written",
            "  fix: raise --limit",
        ),
        (
            [str(DATUMARO_INSTANCES / "annotations" / "instances_val.json"),
             "--image-root", "{tmp}"],
            "datakit: error: no usable sample: 2 annotations seen, none used (2 image-skipped); "
            "1 image seen, none used (1 file-missing); {out} not written",
            "  fix: check --image-root: the images must be found under it by file_name",
        ),
    ],
    ids=["limit-0", "wrong-image-root"],
)
def test_zero_usable_samples_exit_1_and_keep_the_old_output(
    tmp_path: Path, args: list[str], message: str, fix: str
) -> None:
    out = tmp_path / "out.json"
    out.write_bytes(OLD)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = _datakit("convert", "coco", *argv, "-o", str(out))
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert lines[-2:] == [message.replace("{out}", str(out)), fix]
    # the tally table (its title names the output, wrapped), then why, item by item
    assert any(line.startswith("image ") for line in lines)
    assert out.read_bytes() == OLD
    assert sorted(p.name for p in tmp_path.iterdir() if TEMP_MARKER in p.name) == []


def test_no_output_and_no_report_when_nothing_is_usable(tmp_path: Path) -> None:
    out, report = tmp_path / "out.jsonl", tmp_path / "report.json"
    result = _datakit("convert", "coco", str(SAMPLE), "--limit", "0", "-q", "-o", str(out),
                      "--report", str(report))
    assert result.returncode == 1
    assert not out.exists() and not report.exists()
    # -q drops the table, never the one-line reason
    assert result.stderr.startswith("datakit: error: no usable sample: ")
