"""Validation settings: defaults, ``[tool.datakit]`` in pyproject.toml, command-line overrides.

Unknown keys are errors that name the key, so a typo never silently disables a check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from datakit.errors import ConfigError
from datakit.validation.code_patterns import check_patterns

ImageMode = Literal["none", "exists", "header", "decode"]
IMAGE_MODES = ("none", "exists", "header", "decode")
# What the data is checked for: "auto" picks per file from its layout and markup
# (validation/family_target.py); the commands default to it. ``Settings.target`` None keeps the
# library's historical behaviour: every file is checked as Qwen-VL v1 data.
TARGETS = ("auto", "qwen-vl", "qwen2-vl", "qwen2.5-vl", "qwen3-vl")
FRAMEWORKS = ("llama-factory", "ms-swift", "qwen-vl-finetune")
# ms-swift --truncation_strategy: what happens to a sample longer than max_length.
TRUNCATION_STRATEGIES = ("delete", "raise", "left", "right", "split")


@dataclass(frozen=True)
class Settings:
    """Everything a validation run needs to know. Keys in pyproject use dashes."""

    select: tuple[str, ...] = ()  # code prefixes; empty = every rule
    ignore: tuple[str, ...] = ()
    severity: tuple[tuple[str, str], ...] = ()  # (code, error|warning|info) overrides
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (glob, code prefixes)
    include: tuple[str, ...] = ("*.json", "*.jsonl", "*.json.gz", "*.jsonl.gz", "*.parquet")
    exclude: tuple[str, ...] = ()
    max_len: int = 2048  # v1 model_max_length; LLaMA-Factory cutoff_len; ms-swift max_length
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
    # findings listed (and kept) per rule and file; 0 = every one, None = the default of the
    # output (validation/finding_cap.py, cli/validate_cmd.py)
    max_findings_per_rule: int | None = None
    image_root_min_references: int = 20
    image_root_missing_share: float = 0.9
    target: str | None = None  # one of TARGETS; None = Qwen-VL v1 (the library's default)
    framework: str | None = None  # one of FRAMEWORKS; None = from the file's layout
    min_pixels: int | None = None  # the processor's bounds; None = the framework's default
    max_pixels: int | None = None
    truncation_strategy: str | None = None  # ms-swift; None = its default (delete)
    base_dir: str = "."  # where relative settings (image root, holdout, patterns) are resolved
    # Whether `include` came from a configuration file: then every match is a dataset; with
    # the default, a .json object holding no records is skipped (validation/files.py).
    include_configured: bool = False
    # Whether max_len was set (config or command line): otherwise a family target uses its
    # framework's default cut length (validation/family_target.py).
    max_len_configured: bool = False

    def with_overrides(self, **overrides: Any) -> Settings:
        chosen = {k: v for k, v in overrides.items() if v is not None}
        if "max_len" in chosen:
            chosen["max_len_configured"] = True
        return replace(self, **chosen)


_INTERNAL = ("base_dir", "include_configured", "max_len_configured")
_KEYS = {f.name.replace("_", "-"): f.name for f in fields(Settings) if f.name not in _INTERNAL}


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that has a [tool.datakit] table."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and _tool_table(candidate) is not None:
            return candidate
    return None


# A configuration file is kilobytes; reading stops beyond this (a FIFO or a device is never
# opened, see datakit.io.source.open_binary).
CONFIG_MAX_BYTES = 16 << 20


def _tool_table(path: Path) -> dict[str, Any] | None:
    from datakit import toml
    from datakit.io.source import OpenFailed, open_binary

    try:
        with open_binary(path, str(path)) as handle:
            data_bytes = handle.read(CONFIG_MAX_BYTES + 1)
        if len(data_bytes) > CONFIG_MAX_BYTES:
            raise ConfigError(f"{path}: larger than {CONFIG_MAX_BYTES >> 20} MiB, not a "
                              "configuration file", fix="pass the project's pyproject.toml")
        data = toml.loads(data_bytes.decode("utf-8"))
    except OpenFailed as exc:
        raise ConfigError(f"{path}: {exc.problem.message}", fix=exc.problem.fix) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except toml.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}", fix="fix the TOML syntax") from None
    return _datakit_table(data, path)


def _datakit_table(data: dict[str, Any], path: Path) -> dict[str, Any] | None:
    """``[tool.datakit]``, or None when there is none; a [tool] or [tool.datakit] that is not
    a table is an error rather than a configuration silently ignored."""
    tool = data.get("tool")
    if tool is None:
        return None
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: tool must be a table, not {_toml_type(tool)}",
                          fix="write the settings under a [tool.datakit] header")
    table = tool.get("datakit")
    if table is None or isinstance(table, dict):
        return table
    if isinstance(table, list) and all(isinstance(item, dict) for item in table):
        raise ConfigError(f"{path}: [[tool.datakit]] is an array of tables",
                          fix="write [tool.datakit] (single brackets): one table of settings")
    raise ConfigError(f"{path}: tool.datakit must be a table, not {_toml_type(table)}",
                      fix="write the settings under a [tool.datakit] header")


def load_settings(config: Path | None = None, start: Path | None = None) -> Settings:
    """Settings from an explicit config file, or the nearest pyproject.toml with [tool.datakit]."""
    path = config if config is not None else find_pyproject(start or Path.cwd())
    if path is None:
        return Settings()
    if not path.is_file():
        if path.exists():
            raise ConfigError(f"{path}: not a regular file, so not read as configuration",
                              fix="name a pyproject.toml or a TOML file")
        raise ConfigError(f"{path}: no such configuration file")
    table = _tool_table(path)
    if table is None:
        if config is not None and path.name != "pyproject.toml":
            raise ConfigError(f"{path}: no [tool.datakit] table")
        return Settings(base_dir=str(path.parent))
    return settings_from_table(table, source=str(path), base_dir=str(path.parent))


def settings_from_table(table: dict[str, Any], *, source: str, base_dir: str = ".") -> Settings:
    """Settings from a ``[tool.datakit]`` table; every key is checked for its type and range."""
    values: dict[str, Any] = {"base_dir": base_dir, "include_configured": "include" in table,
                              "max_len_configured": "max-len" in table}
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


# Every key's type and range. A value out of range would switch its check off or end the run
# with an internal error (max-len 0, a NaN ratio, a share above 1), so each is refused here.
MAX_JOBS = 256  # more workers than this is a typo, and would start that many processes
_INT_RANGES: dict[str, tuple[int, int]] = {
    "max_len": (1, 2**31 - 1),
    "jobs": (0, MAX_JOBS),
    "min_image_side": (1, 2**31 - 1),
    "box_convention_min_boxes": (1, 2**63 - 1),
    "max_findings_per_rule": (0, 2**63 - 1),
    "image_root_min_references": (1, 2**63 - 1),
    "min_pixels": (1, 2**40),
    "max_pixels": (1, 2**40),
}
# Settings that name one of a few choices.
_CHOICES: dict[str, tuple[str, ...]] = {
    "images": IMAGE_MODES,
    "target": TARGETS,
    "framework": FRAMEWORKS,
    "truncation_strategy": TRUNCATION_STRATEGIES,
}
# Settings whose default (None) means "the framework's": said so when a value is refused.
_FRAMEWORK_DEFAULTS = ("min_pixels", "max_pixels")
# name -> (lowest, whether the lowest itself is allowed, highest)
_FLOAT_RANGES: dict[str, tuple[float, bool, float]] = {
    "max_aspect_ratio": (1.0, True, math.inf),
    "box_convention_share": (0.0, False, 1.0),
    "image_root_missing_share": (0.0, False, 1.0),
}
_RULE_PATTERNS = ("select", "ignore")  # lists of rule codes, prefixes or names
_STRINGS = ("image_root", "tokenizer", "cache_dir")


def _coerce(name: str, raw: Any, default: Any, source: str, key: str) -> Any:
    where = f"{source}: [tool.datakit] {key}"
    if name == "severity":
        return _severity(raw, where)
    if name == "per_file_ignores":
        return _per_file_ignores(raw, where)
    if name == "max_findings_per_rule":
        if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
            raise ConfigError(f"{where} must be a non-negative integer (0 lists every finding)")
        return raw
    if name in _CHOICES:
        choices = _CHOICES[name]
        if raw not in choices:
            shown = repr(raw) if isinstance(raw, str) else _toml_type(raw)
            raise ConfigError(f"{where} must be one of {', '.join(choices)}, not {shown}")
        return raw
    if name in _FRAMEWORK_DEFAULTS:
        return _integer(raw, where, *_INT_RANGES[name], default="the framework's")
    if isinstance(default, tuple):
        items = _strings(raw, where, "a list of non-empty strings")
        if name in _RULE_PATTERNS:
            check_patterns(items, where)
        return items
    if isinstance(default, bool):
        if not isinstance(raw, bool):
            raise ConfigError(f"{where} must be true or false, not {_toml_type(raw)}")
        return raw
    if name in _INT_RANGES:
        return _integer(raw, where, *_INT_RANGES[name], default=default)
    if name in _FLOAT_RANGES:
        return _number(raw, where, *_FLOAT_RANGES[name], default=default)
    if isinstance(default, int):  # a key without a declared range: at least its type
        return _integer(raw, where, 0, 2**63 - 1, default=default)
    if isinstance(default, float):
        return _number(raw, where, 0.0, False, math.inf, default=default)
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigError(f"{where} must be a non-empty string, not {_shown(raw)}")
    return raw


def declared_keys() -> set[str]:
    """The settings whose type and range are stated here (a test checks that all are)."""
    return {*_INT_RANGES, *_FLOAT_RANGES, *_RULE_PATTERNS, *_STRINGS, "severity",
            "per_file_ignores", *_CHOICES, "include", "exclude", "holdout", "strict", "cache"}


def _integer(raw: Any, where: str, lowest: int, highest: int, *, default: int | str) -> int:
    wanted = f"an integer {_int_range(lowest, highest)}"
    if not isinstance(raw, int) or isinstance(raw, bool) or not lowest <= raw <= highest:
        raise ConfigError(f"{where} must be {wanted}, not {_shown(raw)}",
                          fix=f"change it, or remove it for the default ({default})")
    return raw


def _int_range(lowest: int, highest: int) -> str:
    return f"of at least {lowest}" if highest >= 2**31 - 1 else f"from {lowest} to {highest}"


def _number(raw: Any, where: str, lowest: float, lowest_allowed: bool, highest: float, *,
            default: float) -> float:
    if math.isinf(highest):
        wanted = f"a finite number of at least {lowest:g}"
    else:
        wanted = f"a number in {'[' if lowest_allowed else '('}{lowest:g}, {highest:g}]"
    fine = isinstance(raw, (int, float)) and not isinstance(raw, bool)
    if fine:
        value = float(raw)
        above = value >= lowest if lowest_allowed else value > lowest
        fine = math.isfinite(value) and above and value <= highest
    if not fine:
        raise ConfigError(f"{where} must be {wanted}, not {_shown(raw)}",
                          fix=f"change it, or remove it for the default ({default:g})")
    return float(raw)


def _strings(raw: Any, where: str, wanted: str) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise ConfigError(f"{where} must be {wanted}, not {_toml_type(raw)}")
    for item in raw:
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(f"{where} must be {wanted}, not a list holding {_shown(item)}")
    return tuple(raw)


def _severity(raw: Any, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a table of codes, not {_toml_type(raw)}",
                          fix='e.g. severity = { B002 = "error" }')
    for code, level in raw.items():
        if level not in ("error", "warning", "info"):
            shown = repr(level) if isinstance(level, str) else _toml_type(level)
            raise ConfigError(f"{where} {code}: must be \"error\", \"warning\" or \"info\", "
                              f"not {shown}")
    check_patterns(tuple(raw), where)
    return tuple(sorted((str(k), str(v)) for k, v in raw.items()))


def _per_file_ignores(raw: Any, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a table of file globs, not {_toml_type(raw)}",
                          fix='e.g. per-file-ignores = { "eval/*.json" = ["K"] }')
    out = []
    for glob, codes in raw.items():
        if not glob.strip():
            raise ConfigError(f"{where} has an empty file glob", fix="name the files it covers")
        patterns = _strings(codes, f"{where} {glob!r}", "a list of rule codes")
        check_patterns(patterns, f"{where} {glob!r}")
        out.append((glob, patterns))
    return tuple(sorted(out))


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    return _toml_type(value)


def _toml_type(value: Any) -> str:
    """What a TOML value is, in TOML's words."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__} value"  # dates and times
