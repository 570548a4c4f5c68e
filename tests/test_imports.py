"""`import datakit` and `datakit --help` stay light: no heavy library is loaded."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["pandas", "pyarrow", "PIL", "tiktoken", "jsonschema", "fastjsonschema", "numpy", "rich"]

PROBE = """
import sys, json
{body}
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def _loaded(body: str) -> list[str]:
    code = PROBE.format(body=body, heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_datakit_is_light() -> None:
    assert (
        _loaded("import datakit, datakit.findings, datakit.qwenvl.grammar, datakit.qwenvl.boxes")
        == []
    )


def test_help_and_version_are_light() -> None:
    body = (
        "from datakit.cli import cli\n"
        "for args in (['--help'], ['--version']):\n"
        "    try:\n"
        "        cli.main(args=args, standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
    )
    assert _loaded(body) == []


def test_library_never_imports_the_cli_layer() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "datakit"
    offenders = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).parts
        if rel[0] in ("cli", "report", "__main__.py"):
            continue
        text = path.read_text(encoding="utf-8")
        for banned in (
            "import click",
            "from click",
            "import rich",
            "from rich",
            "datakit.cli",
            "datakit.report",
        ):
            if banned in text:
                offenders.append(f"{path.relative_to(root)}: {banned}")
    assert offenders == []
