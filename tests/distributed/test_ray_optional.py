"""Without ``--engine ray`` nothing of Ray is loaded; without Ray installed, ``--engine ray`` is
a usage error that says how to install it. No cluster is started here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

RECORD = {"id": "a", "conversations": [{"from": "user", "value": "Hi"},
                                       {"from": "assistant", "value": "Hello"}]}

PROBE = """
import sys
sys.argv = ["datakit", *{args!r}]
{block}
from datakit.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
print("RAY-LOADED" if "ray" in sys.modules else "RAY-ABSENT", code, file=sys.stderr)
"""


def _run(args: list[str], cwd: Path, block_ray: bool = False) -> subprocess.CompletedProcess[str]:
    block = 'sys.modules["ray"] = None  # as if it were not installed' if block_ray else ""
    code = PROBE.format(args=args, block=block)
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                          timeout=60)


def _data(tmp_path: Path) -> Path:
    (tmp_path / "a.jsonl").write_text(json.dumps(RECORD) + "\n")
    return tmp_path


def test_local_runs_never_import_ray(tmp_path: Path) -> None:
    root = _data(tmp_path)
    for command in (["validate", "--images", "none", "a.jsonl"], ["tokens", "a.jsonl"],
                    ["stats", "--no-findings", "a.jsonl"]):
        done = _run(command, root)
        assert done.stderr.strip().splitlines()[-1] == "RAY-ABSENT 0", (command, done.stderr)
    probe = "import datakit, datakit.distributed, datakit.cli.engine_options, sys; " \
            "print('ray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_engine_ray_without_ray_says_how_to_install(tmp_path: Path) -> None:
    root = _data(tmp_path)
    for command in ("validate", "tokens", "stats"):
        done = _run([command, "--engine", "ray", "a.jsonl"], root, block_ray=True)
        assert done.stderr.strip().splitlines()[-1].endswith(" 2"), done.stderr
        assert "--engine ray needs Ray, which is not installed" in done.stderr
        assert 'pip install "datakit[ray]"' in done.stderr
        assert "Traceback" not in done.stderr


def test_engine_option_misuse_is_a_usage_error(tmp_path: Path) -> None:
    root = _data(tmp_path)
    for command in ("validate", "tokens", "stats"):
        done = _run([command, "--ray-address", "auto", "a.jsonl"], root)
        assert "--ray-address needs --engine ray" in done.stderr, command
        assert done.stderr.strip().splitlines()[-1] == "RAY-ABSENT 2", command
    done = _run(["validate", "--engine", "ray", "-"], root)
    assert "not standard input ('-')" in done.stderr
    assert done.stderr.strip().splitlines()[-1] == "RAY-ABSENT 2"
