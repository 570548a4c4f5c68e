"""Converters and the preview open only regular image files under the image root: never a file
under /proc, /sys or /dev, a FIFO, or a symlink's target outside the root."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from datakit.convert.image_files import ImageProblem, ImageSize, read_image_size, size_reader
from datakit.gallery.picture_files import PictureFiles
from datakit.io import safe_open

SYSTEM = "(never opened: reading one can block or change things)"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    images = tmp_path / "images"
    images.mkdir()
    Image.new("RGB", (40, 30)).save(images / "ok.png")
    Image.new("RGB", (8, 8)).save(tmp_path / "outside.png")
    (images / "kmsg.jpg").symlink_to("/proc/kmsg")
    (images / "environ.jpg").symlink_to("/proc/self/environ")
    (images / "out.png").symlink_to(tmp_path / "outside.png")
    (images / "in.png").symlink_to(images / "ok.png")
    os.mkfifo(images / "pipe.jpg")
    return images


@pytest.fixture
def opens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    paths: list[str] = []
    real = os.open

    def recording(path: str, flags: int, *args: int) -> int:
        paths.append(str(path))
        return real(path, flags, *args)

    monkeypatch.setattr(safe_open.os, "open", recording)
    return paths


def test_the_size_reader_opens_only_regular_files_under_the_root(
    root: Path, opens: list[str]
) -> None:
    read = size_reader(root)
    assert read("ok.png") == ImageSize(40, 30)
    assert read("in.png") == ImageSize(40, 30)
    assert read("out.png") == ImageProblem(
        "unsafe-path", f"{root}/out.png resolves to {root.parent}/outside.png, outside the "
        "image root")
    assert read("kmsg.jpg") == ImageProblem(
        "unsafe-path", f"{root}/kmsg.jpg resolves to /proc/kmsg, outside the image root")
    assert read("pipe.jpg") == ImageProblem("unreadable", f"{root}/pipe.jpg: a named pipe (FIFO)")
    assert read("gone.png") == ImageProblem("file-missing", f"{root}/gone.png: no such file")
    assert opens == [f"{root}/ok.png", f"{root}/in.png"]


def test_an_image_root_inside_proc_reads_nothing(opens: list[str]) -> None:
    assert size_reader(Path("/proc/self"))("environ") == ImageProblem(
        "unreadable", f"/proc/self/environ: a system file under /proc {SYSTEM}")
    assert read_image_size(Path("/dev/zero")) == ImageProblem(
        "unreadable", f"/dev/zero: a system file under /dev {SYSTEM}")
    assert opens == []


def test_the_preview_opens_pictures_as_validate_would(root: Path, opens: list[str]) -> None:
    files = PictureFiles(root, explicit_root=False)
    assert files.open("ok.png").stored_size == (40, 30)
    assert files.open("out.png").problem == (
        f"outside the image root: resolves to {root.parent}/outside.png")
    assert files.open("../outside.png").problem == (
        f"outside the image root: resolves to {root.parent}/outside.png")
    assert files.open("kmsg.jpg").problem == "outside the image root: resolves to /proc/kmsg"
    assert files.open("/proc/kmsg").problem == f"a system file under /proc {SYSTEM}"
    assert files.open(f"{root}/environ.jpg").problem == f"a system file under /proc {SYSTEM}"
    assert files.open("pipe.jpg").problem == "a named pipe (FIFO), not an image"
    assert files.open(str(root.parent / "outside.png")).stored_size == (8, 8)
    # an explicit image root confines absolute paths too
    assert PictureFiles(root, explicit_root=True).open(str(root.parent / "outside.png")).problem \
        == f"outside the image root: resolves to {root.parent}/outside.png"
    assert opens == [f"{root}/ok.png", str(root.parent / "outside.png")]


def test_convert_coco_skips_a_symlink_into_proc(root: Path) -> None:
    coco = {
        "images": [{"id": 1, "file_name": "ok.png", "width": 40, "height": 30},
                   {"id": 2, "file_name": "kmsg.jpg", "width": 40, "height": 30},
                   {"id": 3, "file_name": "pipe.jpg", "width": 40, "height": 30}],
        "annotations": [{"id": n, "image_id": n, "category_id": 1, "bbox": [1, 1, 10, 10],
                         "area": 100, "iscrowd": 0} for n in (1, 2, 3)],
        "categories": [{"id": 1, "name": "cat"}],
    }
    source = root.parent / "instances.json"
    source.write_text(json.dumps(coco), encoding="utf-8")
    out = root.parent / "out.json"
    result = subprocess.run(
        [sys.executable, "-m", "datakit", "convert", "coco", str(source), "-o", str(out),
         "--image-root", str(root), "--report", str(root.parent / "report.json")],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 1, result.stderr
    report = json.loads((root.parent / "report.json").read_text(encoding="utf-8"))
    assert report["tally"]["items"]["image"]["skipped"] == {"unreadable": 1, "unsafe-path": 1}
    assert report["tally"]["examples"]["image: unsafe-path"] == [
        f"{root}/kmsg.jpg resolves to /proc/kmsg, outside the image root"]
    records = json.loads(out.read_text(encoding="utf-8"))
    assert [r["id"] for r in records] == ["coco-1-grounding-1"]


def test_a_font_under_proc_is_refused_before_it_is_loaded() -> None:
    from datakit.errors import InputError
    from datakit.gallery.fonts import find_cjk_font

    with pytest.raises(InputError) as raised:
        find_cjk_font("/proc/self/environ")
    assert raised.value.message == (
        f"font file /proc/self/environ: a system file under /proc {SYSTEM}")
