"""The click group behind ``datakit``: subcommands load only when they run.

Each subcommand lives in its own module under ``datakit.cli`` and is named in
``datakit.cli.COMMANDS``; ``datakit --help`` imports none of them, so start-up stays fast enough
for a pre-commit hook.
"""

from __future__ import annotations

import importlib

import click

from datakit import __version__
from datakit.cli import COMMANDS


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that subcommand is invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, attribute, _ = entry
        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="datakit")
def cli() -> None:
    """Build and check Qwen-VL fine-tuning data.

    \b
    Exit codes: 0 clean or warnings only, 1 errors found,
    2 usage or configuration error, 3 internal error, 130 interrupted.
    """
