"""Image paths under /proc, /sys and /dev are reported, never opened; only regular files are
opened, without blocking; such verdicts never reach the image cache."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from datakit.io import safe_open
from datakit.validation import image_cache
from datakit.validation.image_cache import FILE_NAME, ImageCache
from datakit.validation.images import ImageChecker, ImageStatus

SYSTEM = "(never opened: reading one can block or change things)"


class _Opens:
    """Records every path ``datakit.io.safe_open`` passes to ``os.open``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        real = os.open

        def recording(path: str, flags: int, *args: int) -> int:
            self.paths.append(str(path))
            return real(path, flags, *args)

        monkeypatch.setattr(safe_open.os, "open", recording)


@pytest.mark.parametrize(
    ("path", "folder"),
    [("/proc/kmsg", "/proc"), ("/proc/self/environ", "/proc"), ("/dev/zero", "/dev"),
     ("/dev/null", "/dev"), ("/sys/kernel/notes", "/sys"), ("/proc", "/proc")],
)
@pytest.mark.parametrize("mode", ["header", "decode"])
def test_absolute_system_paths_are_reported_and_never_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str, folder: str, mode: str
) -> None:
    opens = _Opens(monkeypatch)
    status = ImageChecker(tmp_path, mode).check(path)
    assert status == ImageStatus("not-a-file", f"a system file under {folder} {SYSTEM}")
    assert opens.paths == []


def test_a_symlink_into_proc_is_never_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    (tmp_path / "kmsg.jpg").symlink_to("/proc/kmsg")
    (tmp_path / "proc").symlink_to("/proc")
    opens = _Opens(monkeypatch)
    checker = ImageChecker(tmp_path, "header")
    # relative: outside the root, as any symlink that leaves it
    assert checker.check("kmsg.jpg") == ImageStatus("outside-root", "/proc/kmsg")
    assert checker.check("proc/self/environ").kind == "outside-root"
    # absolute, without an explicit root: the target decides
    assert checker.check(str(tmp_path / "kmsg.jpg")) == ImageStatus(
        "not-a-file", f"a system file under /proc {SYSTEM}")
    # the root itself under /proc: relative paths inside it are still system files
    assert ImageChecker(Path("/proc"), "header", explicit_root=True).check("self/environ") == (
        ImageStatus("not-a-file", f"a system file under /proc {SYSTEM}"))
    assert opens.paths == []


def test_a_fifo_is_not_opened_and_a_regular_image_is_opened_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.mkfifo(tmp_path / "pipe.jpg")
    Image.new("RGB", (30, 20)).save(tmp_path / "ok.png")
    opens = _Opens(monkeypatch)
    checker = ImageChecker(tmp_path, "decode")
    assert checker.check("pipe.jpg") == ImageStatus("not-a-file", "a named pipe (FIFO)")
    assert checker.check("ok.png") == ImageStatus("ok", "", 30, 20)
    assert opens.paths == [str(tmp_path / "ok.png")]


def test_a_file_swapped_for_a_fifo_after_the_stat_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    before = os.stat(tmp_path / "pipe")
    with pytest.raises(safe_open.NotOpened) as raised:
        safe_open.open_regular(str(tmp_path / "pipe"))
    assert (raised.value.kind, raised.value.detail) == ("not-a-file", "a named pipe (FIFO)")
    # the open itself never blocks, and an fstat that disagrees with the stat is refused
    Image.new("RGB", (4, 4)).save(tmp_path / "a.png")
    handle, info = safe_open.open_regular(str(tmp_path / "a.png"))
    with handle:
        assert (info.st_ino, info.st_dev) != (before.st_ino, before.st_dev)
        assert handle.read(4) == b"\x89PNG"


def test_system_and_unreadable_verdicts_never_reach_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(image_cache, "RACY_S", 0.0)  # the new image may be cached at once
    os.mkfifo(tmp_path / "pipe.jpg")
    (tmp_path / "link.jpg").symlink_to("/proc/self/environ")
    Image.new("RGB", (30, 20)).save(tmp_path / "ok.png")
    cache = ImageCache(tmp_path / "cache")
    checker = ImageChecker(tmp_path, "header", cache)
    for path in ("/proc/self/environ", str(tmp_path / "link.jpg"), "pipe.jpg", "ok.png"):
        checker.check(path)
    checker.flush()
    cache.close()
    with sqlite3.connect(tmp_path / "cache" / FILE_NAME) as db:
        rows = db.execute("SELECT path, kind FROM images").fetchall()
    assert rows == [(str(tmp_path / "ok.png"), "ok")]


def test_validate_reports_proc_kmsg_within_seconds(tmp_path: Path) -> None:
    record = {"id": "k", "conversations": [
        {"from": "user", "value": "Picture 1: <img>/proc/kmsg</img>\nWhat is it?"},
        {"from": "assistant", "value": "logs"}]}
    (tmp_path / "d.json").write_text(json.dumps([record]), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "datakit", "validate", "d.json", "--no-cache", "--format", "json",
         "--images", "decode"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [(f["code"], f["message"]) for f in findings] == [
        ("I004", f"/proc/kmsg is a system file under /proc {SYSTEM}")]
