"""``--engine`` and ``--ray-address``, shared by validate, tokens and stats."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from datakit.distributed import ENGINES

F = TypeVar("F", bound=Callable[..., object])


def engine_options(command: F) -> F:
    command = click.option(
        "--ray-address", metavar="auto|HOST:PORT",
        help="With --engine ray: the cluster to join (auto: the one started on this machine "
        "by `ray start`; default: RAY_ADDRESS, else a cluster on this machine alone).",
    )(command)
    return click.option(
        "--engine", type=click.Choice(ENGINES), default="local", show_default=True,
        help='Where the work runs: this machine, or a Ray cluster (pip install "datakit[ray]"; '
        "shards and images on storage every node mounts at the same path).",
    )(command)


def check_engine(engine: str, ray_address: str | None, stdin: bool = False) -> None:
    """Usage errors of the engine options."""
    if ray_address is not None and engine != "ray":
        raise click.UsageError("--ray-address needs --engine ray")
    if stdin and engine == "ray":
        raise click.UsageError("--engine ray reads shards from shared storage, not standard "
                               "input ('-'): save it to a file the cluster sees")
