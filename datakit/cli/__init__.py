"""The ``datakit`` command: a click group (``datakit.cli.group``) whose subcommands load only
when they run.

Each subcommand lives in its own module under ``datakit.cli`` and is named in ``COMMANDS``;
``datakit --help`` imports none of them, and ``datakit --version`` not even click, so start-up
stays fast enough for a pre-commit hook.
"""

from __future__ import annotations

import sys
from typing import Any

from datakit import __version__

# name -> (module, attribute, one-line help shown by `datakit --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "validate": ("datakit.cli.validate_cmd", "validate", "Check Qwen-VL datasets before training."),
    "tokens": (
        "datakit.cli.tokens_cmd",
        "tokens",
        "Exact per-sample token counts, as the trainer computes them.",
    ),
    "convert": (
        "datakit.cli.convert_cmd",
        "convert",
        "Convert COCO / RefCOCO or Qwen-VL family data for a target model.",
    ),
    "fix": ("datakit.cli.fix_cmd", "fix", "Repair what can be repaired in Qwen-VL datasets."),
    "rules": ("datakit.cli.rules_cmd", "rules", "List every validation rule."),
    "rule": ("datakit.cli.rules_cmd", "rule", "Explain one validation rule."),
    "stats": ("datakit.cli.stats_cmd", "stats", "Token, image and box statistics of a dataset."),
    "preview": (
        "datakit.cli.preview_cmd",
        "preview",
        "Draw samples' boxes on their images and write an HTML gallery.",
    ),
}


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point: runs the group and maps every outcome to an exit code."""
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):
        # Tools and hooks ask for the version all the time; click's import is most of what
        # datakit itself adds to the interpreter's start-up. Same text as click's option.
        sys.stdout.write(f"datakit, version {__version__}\n")
        sys.exit(0)
    from datakit.cli.group import cli
    from datakit.cli.run import run_main

    return run_main(cli, argv)


def __getattr__(name: str) -> Any:
    # ``from datakit.cli import cli`` keeps working without loading click at ``import``.
    if name in ("cli", "LazyGroup"):
        from datakit.cli import group

        return getattr(group, name)
    raise AttributeError(f"module 'datakit.cli' has no attribute {name!r}")
