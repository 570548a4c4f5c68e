"""Writing can fail (full disk, file size limit, read-only file): a clear error naming the file,
exit 2, no temporary file left, the old output unchanged. And no output is ever an input."""

from __future__ import annotations

import errno
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from datakit.errors import InputError
from datakit.io.atomic import TEMP_MARKER, OutputError, atomic_writer, write_jsonl
from datakit.io.targets import check_not_inside, check_targets, same_file


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if TEMP_MARKER in p.name)


def _coco(path: Path, images: int) -> None:
    document = {
        "images": [{"id": n, "file_name": f"{n:012d}.jpg", "width": 640, "height": 480}
                   for n in range(1, images + 1)],
        "annotations": [{"id": n, "image_id": n, "category_id": 1, "bbox": [10, 20, 100, 50],
                         "area": 5000, "iscrowd": 0} for n in range(1, images + 1)],
        "categories": [{"id": 1, "name": "cat"}],
    }
    path.write_bytes(orjson.dumps(document))


def _small_file_limit() -> None:
    # Writes past 64 KiB fail with EFBIG (instead of SIGXFSZ killing the process): the same
    # path through datakit as a full disk (ENOSPC), without needing one.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 10, 64 << 10))


def test_a_write_that_fails_is_a_clean_error_with_nothing_left(tmp_path: Path) -> None:
    source = tmp_path / "instances.json"
    _coco(source, images=2000)
    out = tmp_path / "out.json"
    out.write_text("old\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "datakit", "convert", "coco", str(source), "-o", str(out)],
        capture_output=True, text=True, timeout=120, check=False, preexec_fn=_small_file_limit,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"datakit: error: cannot write {out}: File too large (nothing was written; any old "
        "out.json is unchanged)",
        "  fix: the file is larger than this file system or process allows: write elsewhere",
    ]
    assert out.read_text(encoding="utf-8") == "old\n"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("number", "fix"),
    [(errno.ENOSPC, "free some space on the disk of {dir}, or write elsewhere"),
     (errno.EROFS, "{dir} is on a read-only file system: write elsewhere"),
     (errno.EIO, "check the permissions of {dir}, or write elsewhere")],
)
def test_write_errors_inside_the_block_name_the_output(
    tmp_path: Path, number: int, fix: str
) -> None:
    out = tmp_path / "out.jsonl"

    def records() -> Iterator[dict[str, int]]:
        yield {"a": 1}
        raise OSError(number, os.strerror(number))  # as a write() on a full disk raises it

    with pytest.raises(OutputError) as raised:
        write_jsonl(out, records())
    assert raised.value.message == (
        f"cannot write {out}: {os.strerror(number)} (nothing was written; any old out.jsonl is "
        "unchanged)")
    assert raised.value.fix == fix.format(dir=tmp_path)
    assert raised.value.exit_code == 2
    assert not out.exists() and _leftovers(tmp_path) == []


def test_an_input_error_inside_the_block_stays_what_it_is(tmp_path: Path) -> None:
    with pytest.raises(PermissionError) as raised, atomic_writer(tmp_path / "o.json") as handle:
        handle.write(b"x")
        raise PermissionError(errno.EACCES, "Permission denied", "/some/input.json")
    assert raised.value.filename == "/some/input.json"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("mode", [0o444, 0o400, 0o555])
def test_a_read_only_output_is_refused_not_replaced(tmp_path: Path, mode: int) -> None:
    out = tmp_path / "out.json"
    out.write_text("keep\n", encoding="utf-8")
    out.chmod(mode)
    with pytest.raises(OutputError) as raised:
        write_jsonl(out, [{"a": 1}])
    assert str(raised.value) == (
        f"refusing to replace {out}: the file is read-only\n"
        f"  fix: make it writable (chmod u+w {out}) or choose another output path")
    assert out.read_text(encoding="utf-8") == "keep\n" and out.stat().st_mode & 0o777 == mode
    assert _leftovers(tmp_path) == []


def test_the_command_line_refuses_a_read_only_output_before_converting(tmp_path: Path) -> None:
    source = tmp_path / "instances.json"
    _coco(source, images=3)
    out = tmp_path / "out.json"
    out.write_text("keep\n", encoding="utf-8")
    out.chmod(0o444)
    result = subprocess.run(
        [sys.executable, "-m", "datakit", "convert", "coco", str(source), "-o", str(out)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert (result.returncode, result.stderr.splitlines()[0]) == (
        2, f"datakit: error: refusing to replace {out}: the file is read-only")
    assert out.read_text(encoding="utf-8") == "keep\n"


@pytest.mark.parametrize("how", ["same", "relative", "symlink", "hardlink", "folder-link"])
def test_same_file_sees_through_paths_and_links(tmp_path: Path, how: str) -> None:
    (tmp_path / "data").mkdir()
    source = tmp_path / "data" / "in.json"
    source.write_text("[]")
    other = {
        "same": source,
        "relative": tmp_path / "data" / ".." / "data" / "in.json",
        "symlink": tmp_path / "link.json",
        "hardlink": tmp_path / "hard.json",
        "folder-link": tmp_path / "alias" / "in.json",
    }[how]
    if how == "symlink":
        other.symlink_to(source)
    elif how == "hardlink":
        os.link(source, other)
    elif how == "folder-link":
        (tmp_path / "alias").symlink_to(tmp_path / "data")
    assert same_file(other, source) and same_file(source, other)
    assert not same_file(tmp_path / "new.json", source)


def test_check_targets_names_the_input_and_the_outputs(tmp_path: Path) -> None:
    templates = tmp_path / "tpl.json"
    templates.write_text("{}")
    with pytest.raises(InputError) as raised:
        check_targets([("--output", tmp_path / "o.json"), ("--report", templates)],
                      [("input file", tmp_path / "in.json"), ("--templates file", templates)])
    assert raised.value.message == f"refusing to write {templates}: it is the --templates file " \
        f"{templates}"
    with pytest.raises(InputError) as raised:
        check_targets([("--output", tmp_path / "a.json"), ("--report", None),
                       ("--emit-holdout", tmp_path / "x" / ".." / "a.json")], [])
    assert raised.value.message == "--emit-holdout and --output are the same file"
    check_targets([("--output", tmp_path / "a.json"), ("--report", None)],
                  [("input file", tmp_path / "b.json"), ("--templates file", None)])


def test_check_not_inside_refuses_an_input_in_an_output_folder(tmp_path: Path) -> None:
    (tmp_path / "gallery" / "images").mkdir(parents=True)
    data = tmp_path / "gallery" / "images" / "d.json"
    with pytest.raises(InputError) as raised:
        check_not_inside(tmp_path / "gallery" / "images", [("input file", data)])
    assert raised.value.message == (
        f"refusing to write in {tmp_path}/gallery/images: it holds the input file {data}")
    check_not_inside(tmp_path / "gallery" / "images", [("input file", tmp_path / "gallery.json")])
