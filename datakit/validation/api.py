"""The library entry point: ``datakit.validate(paths, **settings) -> Report``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from datakit.validation.engine import check_inputs, validate_files
from datakit.validation.report import Report
from datakit.validation.settings import Settings, load_settings


def validate(
    paths: str | Path | Sequence[str | Path],
    *,
    settings: Settings | None = None,
    config: str | Path | None = None,
    engine: str = "local",
    ray_address: str | None = None,
    **overrides: Any,
) -> Report:
    """Validate one or more dataset files.

    ``settings`` defaults to the nearest ``pyproject.toml`` with ``[tool.datakit]`` (or
    ``config``); keyword ``overrides`` use the Settings field names (``max_len=4096``,
    ``images="decode"``, ``select=("B",)``...). ``engine="ray"`` runs on a Ray cluster
    (``ray_address``: "auto", "HOST:PORT"; default ``RAY_ADDRESS`` or a local one) and gives the
    same report (``pip install "datakit[ray]"``).
    """
    files = [paths] if isinstance(paths, (str, Path)) else list(paths)
    check_inputs(files)
    base = settings or load_settings(Path(config) if config is not None else None)
    return validate_files(files, base.with_overrides(**overrides), engine=engine,
                          ray_address=ray_address)
