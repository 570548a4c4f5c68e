"""Joining a Ray cluster and mapping a function over shards in their order.

Every task is a pure function of files on shared storage, so Ray may run it again when a
worker dies (``MAX_RETRIES``); the result is the same, and results are consumed in input
order, so output never depends on scheduling.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from datakit.errors import ConfigError, DatakitError

T = TypeVar("T")
R = TypeVar("R")

# A task that loses its worker (killed, out of memory, node gone) is run again this often.
MAX_RETRIES = 3
INSTALL_FIX = 'pip install "datakit[ray]" (on the driver and on every node of the cluster)'


class TaskLost(Exception):
    """A task failed for want of a worker or node, every retry included."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def ray_module() -> Any:
    """``ray``, or a configuration error that says how to install it."""
    try:
        import ray
    except ImportError:
        raise ConfigError("--engine ray needs Ray, which is not installed",
                          fix=INSTALL_FIX) from None
    return ray


def connect(address: str | None) -> Any:
    """Join the cluster at ``address`` ("auto", "HOST:PORT", "ray://HOST:PORT"); without one,
    ``RAY_ADDRESS`` or else a cluster on this machine. Reuses a connection already made."""
    ray = ray_module()
    if ray.is_initialized():
        return ray
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ConfigError(f"cannot join the Ray cluster at {address or 'RAY_ADDRESS'}: {exc}",
                          fix="start it with `ray start --head`, or pass --ray-address "
                          "HOST:PORT of its head node (auto: the cluster on this machine)"
                          ) from None
    return ray


def cluster_cpus(ray: Any) -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def ordered_map(
    fn: Callable[..., R],
    args: Sequence[tuple[Any, ...]],
    *,
    num_returns: int = 1,
    done: Callable[[int, R], None] | None = None,
) -> Iterator[R | TaskLost]:
    """``fn(*a)`` for each ``a`` as Ray tasks, results in input order (a ``TaskLost`` in the
    place of a task that never finished). With ``num_returns`` > 1, each result is the list of
    object references the task returns, so that large parts can go straight to other tasks."""
    ray = ray_module()
    remote = ray.remote(fn).options(max_retries=MAX_RETRIES, num_returns=num_returns)
    refs = [remote.remote(*a) for a in args]
    for position, ref in enumerate(refs):
        head = ref[0] if num_returns > 1 else ref
        try:
            value = ray.get(head)
        except _lost_errors(ray) as exc:
            yield TaskLost(_first_line(exc))
            continue
        except ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, DatakitError):  # the user's to fix: said as a local run says it
                raise cause from None
            raise
        result: Any = value if num_returns == 1 else (value, ref[1:])
        refs[position] = None  # the driver keeps no result it has handed on
        if done is not None:
            done(position, result)
        yield result


def _lost_errors(ray: Any) -> tuple[type[BaseException], ...]:
    exceptions = ray.exceptions
    return tuple(getattr(exceptions, name) for name in (
        "WorkerCrashedError", "NodeDiedError", "OutOfMemoryError", "ObjectLostError",
        "TaskUnschedulableError") if hasattr(exceptions, name))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def in_folder(folder: str) -> _InFolder:
    return _InFolder(folder)


class _InFolder:
    """The driver's working folder for the length of a task: relative shard paths, the image
    root and settings resolve as they do on the driver (the cluster sees the same storage)."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.before = ""

    def __enter__(self) -> None:
        self.before = os.getcwd()
        try:
            os.chdir(self.folder)
        except OSError as exc:
            raise FileNotFoundError(
                f"this node does not see the driver's working folder {self.folder}: "
                f"{exc.strerror}") from None

    def __exit__(self, *exc: object) -> None:
        os.chdir(self.before)
