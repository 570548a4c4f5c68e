"""``datakit --version`` answers before click loads, with exactly click's text."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from datakit import __version__


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_text_and_exit_code_match_click(flag: str) -> None:
    from datakit.cli.group import cli

    via_click = CliRunner().invoke(cli, [flag])
    out = subprocess.run([sys.executable, "-m", "datakit", flag], capture_output=True, text=True)
    assert (out.returncode, out.stdout, out.stderr) == (0, via_click.output, "")
    assert out.stdout == f"datakit, version {__version__}\n"


def test_version_does_not_import_click() -> None:
    code = (
        "import sys\n"
        "from datakit.cli import main\n"
        "try:\n"
        "    main(['--version'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('click' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "False"
