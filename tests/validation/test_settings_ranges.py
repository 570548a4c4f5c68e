"""Every ``[tool.datakit]`` key has a type and a range: a value that would switch a check off or
end the run with an internal error is a configuration error (exit 2) naming the file and key."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from datakit.errors import ConfigError
from datakit.validation.registry import check_patterns, severities
from datakit.validation.settings import (
    _KEYS,
    Settings,
    declared_keys,
    load_settings,
    settings_from_table,
)

SOURCE = "pyproject.toml"

# A TOML date is the wrong type for every key.
A_DATE = datetime.date(2024, 1, 31)


def _error(table: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as raised:
        settings_from_table(table, source=SOURCE)
    return str(raised.value)


def test_every_key_has_a_declared_type_and_range() -> None:
    assert set(_KEYS.values()) <= declared_keys()
    for key in _KEYS:
        assert _error({key: A_DATE}).startswith(f"{SOURCE}: [tool.datakit] {key} must be "), key


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("max-len", 0, "max-len must be an integer of at least 1, not 0"),
        ("max-len", -5, "max-len must be an integer of at least 1, not -5"),
        ("max-len", 2**31, f"max-len must be an integer of at least 1, not {2**31}"),
        ("min-image-side", 0, "min-image-side must be an integer of at least 1, not 0"),
        ("box-convention-min-boxes", 0,
         "box-convention-min-boxes must be an integer of at least 1, not 0"),
        ("jobs", -1, "jobs must be an integer from 0 to 256, not -1"),
        ("jobs", 100_000, "jobs must be an integer from 0 to 256, not 100000"),
        ("max-aspect-ratio", float("nan"),
         "max-aspect-ratio must be a finite number of at least 1, not nan"),
        ("max-aspect-ratio", float("inf"),
         "max-aspect-ratio must be a finite number of at least 1, not inf"),
        ("max-aspect-ratio", 0.5, "max-aspect-ratio must be a finite number of at least 1, not 0.5"),
        ("box-convention-share", float("nan"),
         "box-convention-share must be a number in (0, 1], not nan"),
        ("box-convention-share", 5.0, "box-convention-share must be a number in (0, 1], not 5.0"),
        ("box-convention-share", 0, "box-convention-share must be a number in (0, 1], not 0"),
        ("ignore", [""], "ignore must be a list of non-empty strings, not a list holding ''"),
        ("select", ["  "], "select must be a list of non-empty strings, not a list holding '  '"),
        ("include", ["*.json", ""],
         "include must be a list of non-empty strings, not a list holding ''"),
        ("exclude", [["a"]], "exclude must be a list of non-empty strings, not a list holding "
         "an array"),
        ("holdout", [1], "holdout must be a list of non-empty strings, not a list holding 1"),
        ("image-root", "", "image-root must be a non-empty string, not ''"),
        ("images", "all", "images must be one of none, exists, header, decode, not 'all'"),
        ("severity", {"B002": "fatal"},
         "severity B002: must be \"error\", \"warning\" or \"info\", not 'fatal'"),
        ("per-file-ignores", {"*.json": [""]},
         "per-file-ignores '*.json' must be a list of rule codes, not a list holding ''"),
        ("per-file-ignores", {"": ["B"]}, "per-file-ignores has an empty file glob"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 30 else None,
)
def test_out_of_range_values_are_refused(key: str, value: Any, message: str) -> None:
    assert _error({key: value}).splitlines()[0] == f"{SOURCE}: [tool.datakit] {message}"


def test_rule_patterns_must_match_a_rule_wherever_they_appear() -> None:
    for table, where in [
        ({"ignore": ["Z999"]}, "ignore"),
        ({"select": ["B", "nope"]}, "select"),
        ({"severity": {"Z1": "error"}}, "severity"),
        ({"per-file-ignores": {"*.json": ["Q"]}}, "per-file-ignores '*.json'"),
    ]:
        assert _error(table).splitlines()[0].startswith(f"{SOURCE}: [tool.datakit] {where}: '")
        assert "matches no rule" in _error(table)


def test_values_in_range_are_kept() -> None:
    settings = settings_from_table(
        {"max-len": 1, "jobs": 0, "max-aspect-ratio": 1, "box-convention-share": 1,
         "min-image-side": 1, "ignore": "B002", "severity": {"b002": "error"},
         "per-file-ignores": {"eval/*.json": ["K"]}, "max-findings-per-rule": 0},
        source=SOURCE,
    )
    assert (settings.max_len, settings.jobs, settings.max_aspect_ratio) == (1, 0, 1.0)
    assert settings.box_convention_share == 1.0 and settings.ignore == ("B002",)
    assert settings.per_file_ignores == (("eval/*.json", ("K",)),)
    assert isinstance(settings.max_aspect_ratio, float)


@pytest.mark.parametrize("patterns", [("",), ("B", " ")])
def test_an_empty_pattern_never_selects_or_ignores_every_rule(patterns: tuple[str, ...]) -> None:
    with pytest.raises(ConfigError, match="an empty code matches every rule"):
        check_patterns(patterns, "ignore")
    with pytest.raises(ConfigError, match=r"^ignore: an empty code"):
        severities((), patterns, ())
    with pytest.raises(ConfigError, match=r"^select: an empty code"):
        severities(patterns, (), ())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('tool = "x"\n', "tool must be a table, not a string"),
        ("[tool]\ndatakit = 3\n", "tool.datakit must be a table, not 3"),
        ('[tool]\ndatakit = "strict"\n', "tool.datakit must be a table, not a string"),
        ("[[tool.datakit]]\nmax-len = 5\n", "[[tool.datakit]] is an array of tables"),
        ("[tool.datakit]\nignore = " + "[" * 5000 + "]" * 5000 + "\n",
         "invalid TOML: arrays"),
    ],
    ids=["tool-string", "datakit-number", "datakit-string", "array-of-tables", "deep-list"],
)
def test_tables_of_the_wrong_shape_are_errors(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text(text, encoding="utf-8")
    for how in ({"config": config}, {"start": tmp_path}):
        with pytest.raises(ConfigError) as raised:
            load_settings(**how)  # type: ignore[arg-type]
        first_line = str(raised.value).splitlines()[0]
        if message.endswith("arrays"):  # the parser's own words follow
            assert first_line.startswith(f"{config}: {message}")
            assert first_line.endswith("nested too deeply")
        else:
            assert first_line == f"{config}: {message}"


def test_a_pyproject_without_tool_tables_is_no_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert load_settings(start=tmp_path) == Settings()


BOXES_IN_PIXELS = {"id": "a", "conversations": [
    {"from": "user", "value": "Picture 1: <img>a.jpg</img>\nwhere is the cat?"},
    {"from": "assistant", "value": "<ref>cat</ref><box>(10,20),(1500,900)</box>"},
]}


def _validate(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "datakit", "validate", "d.json", "--images", "none", "--no-cache",
         "--output-format", "json", *args],
        cwd=folder, capture_output=True, text=True, check=False, timeout=120,
    )


@pytest.mark.parametrize(
    "line",
    ['ignore = [""]', "max-aspect-ratio = nan", "box-convention-share = 5.0", "max-len = 0",
     "box-convention-min-boxes = 0"],
)
def test_the_cli_refuses_a_config_that_would_silence_checks(tmp_path: Path, line: str) -> None:
    (tmp_path / "d.json").write_text(json.dumps([BOXES_IN_PIXELS]), encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(f"[tool.datakit]\n{line}\n", encoding="utf-8")
    result = _validate(tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"datakit: error: {tmp_path / 'pyproject.toml'}: "
                                    f"[tool.datakit] {line.split(' ')[0]} must be ")
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_an_empty_ignore_on_the_command_line_silences_nothing(tmp_path: Path) -> None:
    (tmp_path / "d.json").write_text(json.dumps([BOXES_IN_PIXELS]), encoding="utf-8")
    plain = _validate(tmp_path)
    emptied = _validate(tmp_path, "--ignore", "", "--ignore", " , ")
    codes = [f["code"] for f in json.loads(plain.stdout)["findings"]]
    assert codes and codes == [f["code"] for f in json.loads(emptied.stdout)["findings"]]
    assert plain.returncode == emptied.returncode == 1
