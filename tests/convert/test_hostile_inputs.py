"""Converter inputs that are not what they are named: FIFOs, devices, files far too large, text
named like a pickle. Each is a clear error (exit 2) at once, before anything is read whole.

Commands run in a child with a timeout, so a hang fails the test instead of the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from datakit.convert import json_document
from datakit.convert.json_document import read_document_bytes
from datakit.convert.refer_pickle import MAX_REFS_PICKLE_BYTES, load_refs_pickle
from datakit.errors import InputError

NOT_REGULAR = ("  fix: pass a regular file; copy piped or device data to a file first (datakit "
               "validate reads standard input as '-')")


def _datakit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "datakit", "convert", *args], cwd=cwd,
                          capture_output=True, text=True, check=False, timeout=60)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "instances.json").write_text(json.dumps({
        "images": [{"id": 9, "file_name": "a.jpg", "width": 64, "height": 48}],
        "annotations": [{"id": 101, "image_id": 9, "bbox": [1, 2, 30, 20]}]}))
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "zero").symlink_to("/dev/zero")
    return tmp_path


@pytest.mark.parametrize(
    ("args", "name", "kind"),
    [
        (["refcoco", "refs(unc).p"], "refs(unc).p", "a FIFO"),
        (["refcoco", "refs(unc).p", "--instances", "pipe"], "pipe", "a FIFO"),
        (["refcoco", "refs(unc).p", "--instances", "zero"], "zero", "a device"),
        (["refcoco", "rows.jsonl", "--layout", "generic", "--bbox-format", "xyxy"],
         "rows.jsonl", "a FIFO"),
        (["coco", "pipe.json"], "pipe.json", "a FIFO"),
        (["coco", "zero.json.gz"], "zero.json.gz", "a device"),
    ],
    ids=["refs-fifo", "instances-fifo", "instances-device", "rows-fifo", "coco-fifo",
         "coco-gz-device"],
)
def test_inputs_that_are_not_regular_files(
    root: Path, args: list[str], name: str, kind: str
) -> None:
    os.mkfifo(root / "rows.jsonl")
    os.mkfifo(root / "pipe.json")
    (root / "zero.json.gz").symlink_to("/dev/zero")
    if args[1] == "refs(unc).p" and len(args) == 2:
        os.mkfifo(root / "refs(unc).p")
    else:
        (root / "refs(unc).p").write_bytes(b"\x80\x02].")
    done = _datakit(*args, "-o", "out.json", cwd=root)
    assert done.returncode == 2, done.stderr
    first, fix = done.stderr.splitlines()[:2]
    assert first == f"datakit: error: {name}: is not a regular file ({kind})"
    assert fix.startswith(NOT_REGULAR)
    assert not (root / "out.json").exists()


def test_a_huge_file_named_like_a_refs_pickle_is_refused_unread(tmp_path: Path) -> None:
    source = tmp_path / "refs(unc).p"
    with source.open("wb") as handle:  # 1 GiB, sparse: neither disk space nor a read
        handle.truncate(1 << 30)
    with pytest.raises(InputError) as raised:
        load_refs_pickle(source, "refs(unc).p")
    assert raised.value.message == (
        "refs(unc).p: 1,073,741,824 bytes, more than the 256 MiB a refs pickle is read up to "
        "(the refer releases' are under 100 MiB)")
    assert MAX_REFS_PICKLE_BYTES == 256 << 20


@pytest.mark.parametrize(
    ("head", "shown"),
    [(b"ref_id,sent\n1,man\n", "b're'"), (b"(this is text\n", "b'(t'"),
     (b"\x80\x09]", "b'\\x80\\t'")],
    ids=["csv", "text-starting-with-a-mark", "unknown-protocol"],
)
def test_a_file_that_does_not_start_like_a_pickle_is_refused_after_two_bytes(
    tmp_path: Path, head: bytes, shown: str
) -> None:
    source = tmp_path / "refs(unc).p"
    source.write_bytes(head + b"x" * 100_000)
    with pytest.raises(InputError) as raised:
        load_refs_pickle(source, "refs(unc).p")
    assert raised.value.message == (
        f"refs(unc).p: not a refs pickle (it starts with {shown}; a pickled list starts with "
        "b'\\x80' and the protocol, or with b'(l' or b']' in protocols 0 and 1)")


def test_a_json_document_over_the_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gzip

    document = b"[" + b"0," * 600_000 + b"0]"  # 1.2 MB
    plain = tmp_path / "big.json"
    plain.write_bytes(document)
    packed = tmp_path / "big.json.gz"
    packed.write_bytes(gzip.compress(document))  # a few KB: the limit is on what it unpacks to
    assert read_document_bytes(packed) == document
    monkeypatch.setattr(json_document, "MAX_DOCUMENT_BYTES", 1 << 20)
    for path in (plain, packed):
        with pytest.raises(InputError) as raised:
            read_document_bytes(path)
        assert raised.value.message == (
            f"{path}: larger than 1 MiB (decompressed), the most a JSON document is read whole")


def test_a_gzip_stream_that_unpacks_far_beyond_json_is_refused_early(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gzip

    # The real threshold is 256 MiB unpacked; the ratio test is the same below it.
    monkeypatch.setattr(json_document, "_RATIO_CHECK_FROM", 1 << 20)
    bomb = tmp_path / "instances.json.gz"
    bomb.write_bytes(gzip.compress(b"[" + b" " * (8 << 20) + b"]", compresslevel=9))
    with pytest.raises(InputError) as raised:
        read_document_bytes(bomb)
    assert raised.value.message == (
        f"{bomb}: unpacks to more than 100 times its packed size, far beyond what annotation "
        "JSON packs to: not an annotation file")
    ordinary = tmp_path / "coco.json.gz"
    document = json.dumps({"images": [{"id": n, "file_name": f"{n:012d}.jpg", "width": 640,
                                       "height": 480} for n in range(40_000)]}).encode()
    ordinary.write_bytes(gzip.compress(document))
    assert read_document_bytes(ordinary) == document
