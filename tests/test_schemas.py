"""The schemas ship inside the wheel and work with third-party validators."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD = [
    {"id": "a", "conversations": [{"from": "user", "value": "hi"}]},
    {"id": 2, "conversations": [{"from": "assistant", "value": "x"}]},
]
BAD = [{"id": 1.5, "conversations": [{"from": "human", "value": 1}]}, {"conversations": []}]


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(work),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = work.glob("datakit-*.whl")
    target = work / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    return target


def test_schemas_load_from_the_installed_wheel(installed_wheel: Path, tmp_path: Path) -> None:
    code = (
        "import datakit, datakit.schema as s, json, sys;"
        "from jsonschema import Draft202012Validator as V;"
        f"assert datakit.__file__.startswith({str(installed_wheel)!r}), datakit.__file__;"
        "r = s.load_schema(s.RECORD_SCHEMA); V.check_schema(r);"
        "print(json.dumps([s.schema_names(), [V(r).is_valid(x) for x in json.loads(sys.argv[1])]]))"
    )
    env = {**os.environ, "PYTHONPATH": str(installed_wheel)}
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(GOOD + BAD)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    names, verdicts = json.loads(out.stdout)
    assert "qwen-vl-record.schema.json" in names and "qwen-vl-file.schema.json" in names
    assert verdicts == [True, True, False, False]


def test_check_jsonschema_accepts_good_file_and_rejects_bad(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(GOOD))
    bad.write_text(json.dumps(BAD))
    schema = str(ROOT / "schemas" / "qwen-vl-file.schema.json")
    cmd = [sys.executable, "-m", "check_jsonschema", "--schemafile", schema]
    assert subprocess.run([*cmd, str(good)], capture_output=True).returncode == 0
    failed = subprocess.run([*cmd, str(bad)], capture_output=True, text=True)
    assert failed.returncode == 1
    assert "human" in failed.stdout + failed.stderr
