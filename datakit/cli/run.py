"""Turn every way a command can end into an exit code and a short message, never a traceback."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click

from datakit.cli.argv import refuse_files_named_like_options
from datakit.cli.signals import terminate_cleanly
from datakit.errors import DatakitError
from datakit.report.safe import printable

ISSUES_URL = "https://github.com/datakit-dev/datakit/issues"

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


def run_main(group: click.Group, argv: list[str] | None) -> NoReturn:
    try:
        terminate_cleanly()  # SIGTERM/SIGHUP unwind like Ctrl-C: no temporary file is left
        refuse_files_named_like_options(sys.argv[1:] if argv is None else argv)
        code = group.main(args=argv, prog_name="datakit", standalone_mode=False)
    except KeyboardInterrupt:
        click.echo("datakit: interrupted", err=True)
        code = EXIT_INTERRUPTED
    except click.exceptions.Abort:
        click.echo("datakit: interrupted", err=True)
        code = EXIT_INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        code = EXIT_USAGE if exc.exit_code != 0 else 0
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except DatakitError as exc:
        # Messages quote file names and input; shown escaped, they stay one line each.
        fix = "" if exc.fix is None else f"\n  fix: {printable(exc.fix)}"
        click.echo(f"datakit: error: {printable(exc.message)}{fix}", err=True)
        code = exc.exit_code
    except BrokenPipeError:
        # Output piped into `head` and friends: stop quietly, as other Unix tools do.
        _silence_stdout()
        code = EXIT_OK
    except Exception as exc:  # the last line of defence: exit 3 with a short report
        if os.environ.get("DATAKIT_DEBUG"):
            raise
        click.echo(
            f"datakit: internal error: {type(exc).__name__}: {printable(str(exc))}\n"
            f"  This is a bug in datakit. Re-run with DATAKIT_DEBUG=1 for the traceback "
            f"and report it at {ISSUES_URL}",
            err=True,
        )
        code = EXIT_INTERNAL
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
