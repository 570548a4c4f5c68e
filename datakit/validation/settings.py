"""Validation settings: defaults, ``[tool.datakit]`` in pyproject.toml, command-line overrides.

Unknown keys are errors that name the key, so a typo never silently disables a check.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from datakit.errors import ConfigError

ImageMode = Literal["none", "exists", "header", "decode"]
IMAGE_MODES = ("none", "exists", "header", "decode")


@dataclass(frozen=True)
class Settings:
    """Everything a validation run needs to know. Keys in pyproject use dashes."""

    select: tuple[str, ...] = ()  # code prefixes; empty = every rule
    ignore: tuple[str, ...] = ()
    severity: tuple[tuple[str, str], ...] = ()  # (code, error|warning|info) overrides
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (glob, code prefixes)
    include: tuple[str, ...] = ("*.json", "*.jsonl", "*.json.gz", "*.jsonl.gz", "*.parquet")
    exclude: tuple[str, ...] = ()
    max_len: int = 2048
    image_root: str | None = None
    images: ImageMode = "header"
    tokenizer: str | None = None
    jobs: int = 0  # 0 = every core
    holdout: tuple[str, ...] = ()
    strict: bool = False
    cache_dir: str | None = None
    cache: bool = True
    min_image_side: int = 28
    max_aspect_ratio: float = 20.0
    box_convention_min_boxes: int = 4
    box_convention_share: float = 0.5
    max_findings_per_rule: int = 0  # 0 = unlimited
    base_dir: str = "."  # where relative settings (image root, holdout, patterns) are resolved
    # Whether `include` came from a configuration file: then every match is a dataset; with
    # the default, a .json object holding no records is skipped (validation/files.py).
    include_configured: bool = False

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


_INTERNAL = ("base_dir", "include_configured")
_KEYS = {f.name.replace("_", "-"): f.name for f in fields(Settings) if f.name not in _INTERNAL}


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that has a [tool.datakit] table."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and _tool_table(candidate) is not None:
            return candidate
    return None


def _tool_table(path: Path) -> dict[str, Any] | None:
    from datakit import toml

    try:
        data = toml.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except toml.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}", fix="fix the TOML syntax") from None
    table = data.get("tool", {}).get("datakit")
    return table if isinstance(table, dict) else None


def load_settings(config: Path | None = None, start: Path | None = None) -> Settings:
    """Settings from an explicit config file, or the nearest pyproject.toml with [tool.datakit]."""
    path = config if config is not None else find_pyproject(start or Path.cwd())
    if path is None:
        return Settings()
    if not path.is_file():
        raise ConfigError(f"{path}: no such configuration file")
    table = _tool_table(path)
    if table is None:
        if config is not None and path.name != "pyproject.toml":
            raise ConfigError(f"{path}: no [tool.datakit] table")
        return Settings(base_dir=str(path.parent))
    return settings_from_table(table, source=str(path), base_dir=str(path.parent))


def settings_from_table(table: dict[str, Any], *, source: str, base_dir: str = ".") -> Settings:
    values: dict[str, Any] = {"base_dir": base_dir, "include_configured": "include" in table}
    defaults = Settings()
    for key, raw in table.items():
        name = _KEYS.get(key)
        if name is None:
            known = ", ".join(sorted(_KEYS))
            raise ConfigError(
                f"{source}: [tool.datakit] has unknown key {key!r}", fix=f"known keys: {known}"
            )
        values[name] = _coerce(name, raw, getattr(defaults, name), source, key)
    return replace(defaults, **values)


def _coerce(name: str, raw: Any, default: Any, source: str, key: str) -> Any:
    where = f"{source}: [tool.datakit] {key}"
    if name == "severity":
        if not isinstance(raw, dict) or not all(
            isinstance(v, str) and v in ("error", "warning", "info") for v in raw.values()
        ):
            raise ConfigError(f"{where} must map codes to \"error\", \"warning\" or \"info\"")
        return tuple(sorted((str(k), str(v)) for k, v in raw.items()))
    if name == "per_file_ignores":
        if not isinstance(raw, dict) or not all(
            isinstance(v, list) and all(isinstance(c, str) for c in v) for v in raw.values()
        ):
            raise ConfigError(f"{where} must map file globs to lists of codes")
        return tuple(sorted((str(k), tuple(v)) for k, v in raw.items()))
    if name == "images":
        if raw not in IMAGE_MODES:
            raise ConfigError(f"{where} must be one of {', '.join(IMAGE_MODES)}, not {raw!r}")
        return raw
    if isinstance(default, tuple):
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise ConfigError(f"{where} must be a list of strings")
        return tuple(raw)
    if isinstance(default, bool):
        if not isinstance(raw, bool):
            raise ConfigError(f"{where} must be true or false")
        return raw
    if isinstance(default, int) and not isinstance(default, bool):
        if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
            raise ConfigError(f"{where} must be a non-negative integer")
        return raw
    if isinstance(default, float):
        if not isinstance(raw, (int, float)) or isinstance(raw, bool) or raw <= 0:
            raise ConfigError(f"{where} must be a positive number")
        return float(raw)
    if not isinstance(raw, str):
        raise ConfigError(f"{where} must be a string")
    return raw

