"""The bundled samples: the good ones validate clean, each broken one fails as its name says."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
BROKEN = sorted((SAMPLES / "broken").glob("*.json"))


def _validate(*args: str) -> tuple[int, dict[str, object]]:
    out = subprocess.run(
        [sys.executable, "-m", "datakit", "validate", "--format", "json", "--no-cache", *args],
        cwd=SAMPLES, capture_output=True, text=True,
    )
    return out.returncode, json.loads(out.stdout)


@pytest.mark.parametrize("name", ["grounding.json", "grounding.jsonl"])
def test_good_samples_are_clean(name: str) -> None:
    code, report = _validate(name)
    assert report["findings"] == []
    assert code == 0


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_each_broken_sample_fails_with_its_code(path: Path) -> None:
    expected = path.name[:4]
    code, report = _validate(str(path.relative_to(SAMPLES)))
    findings = report["findings"]
    assert isinstance(findings, list)
    assert expected in {f["code"] for f in findings}
    severities = {f["severity"] for f in findings if f["code"] == expected}
    assert code == (1 if "error" in severities else 0)
