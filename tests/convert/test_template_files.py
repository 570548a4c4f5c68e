"""``--templates`` files are read with the care of any input: regular files only, bounded in
size and nesting, never under /proc, /sys or /dev; each fault is a ConfigError (exit 2)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from datakit.convert import prompts
from datakit.convert.prompts import load_prompt_file
from datakit.errors import ConfigError

SYSTEM = "(never opened: reading one can block or change things)"
DEEP = 5000


def _message(path: Path) -> str:
    with pytest.raises(ConfigError) as raised:
        load_prompt_file(path)
    return str(raised.value).splitlines()[0]


def test_deep_nesting_is_a_config_error(tmp_path: Path) -> None:
    deep_json = tmp_path / "deep.json"
    deep_json.write_text('{"grounding": {"en": ' + "[" * DEEP + "]" * DEEP + "}}")
    deep_toml = tmp_path / "deep.toml"
    deep_toml.write_text("grounding = " + "[" * DEEP + "]" * DEEP + "\n")
    for path in (deep_json, deep_toml):
        assert _message(path) == f"{path}: lists or tables nested too deeply"


@pytest.mark.parametrize(
    ("name", "detail"),
    [("/dev/zero", f"a system file under /dev {SYSTEM}"),
     ("/proc/kmsg", f"a system file under /proc {SYSTEM}"),
     ("/proc/self/environ", f"a system file under /proc {SYSTEM}")],
)
def test_system_files_are_never_read(name: str, detail: str) -> None:
    assert _message(Path(name)) == f"cannot read prompt templates {name}: {detail}"


def test_pipes_folders_large_and_undecodable_files_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.mkfifo(tmp_path / "pipe.json")
    assert _message(tmp_path / "pipe.json") == (
        f"cannot read prompt templates {tmp_path}/pipe.json: a named pipe (FIFO)")
    assert _message(tmp_path) == f"cannot read prompt templates {tmp_path}: a directory"
    monkeypatch.setattr(prompts, "MAX_TEMPLATE_FILE_BYTES", 64)
    big = tmp_path / "big.json"
    big.write_text('{"grounding": {"en": ["' + "x" * 64 + '"]}}')
    assert _message(big) == f"prompt templates {big} are larger than 64 bytes"
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"grounding": "\xff"}')
    assert _message(bad) == (
        f"cannot read prompt templates {bad}: not UTF-8 text (invalid start byte at byte 15)")


def test_a_file_within_the_limit_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text('{"grounding": {"en": ["Where is {category}?"]}}', encoding="utf-8")
    loaded = load_prompt_file(path)
    assert loaded.templates == {"grounding": {"en": ("Where is {category}?",)}}
