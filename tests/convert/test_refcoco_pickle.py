"""The refs pickle loader admits plain data only: a pickle that would run code is refused, and
nothing of it runs."""

from __future__ import annotations

import copyreg
import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from refcoco_py2pickle import dumps_py2, py2_strings

from datakit.convert.refer_pickle import load_plain_pickle, load_refs_pickle
from datakit.errors import InputError

REFS = [
    {
        "sent_ids": [7, 8],
        "file_name": "COCO_train2014_000000000009_3.jpg",
        "ann_id": 101,
        "ref_id": 3,
        "image_id": 9,
        "split": "testA",
        "sentences": [
            {"tokens": ["man", "left"], "raw": "Man, left.", "sent_id": 7, "sent": "man left"},
            {"tokens": ["café"], "raw": "café", "sent_id": 8, "sent": "café"},
        ],
        "category_id": 1,
    }
]


@pytest.mark.parametrize("protocol", [0, 2])
def test_python2_pickles_decode_to_text(protocol: int) -> None:
    data = dumps_py2(py2_strings(REFS), protocol)
    assert b"S'sent_ids'" in data if protocol == 0 else b"U\x08sent_ids" in data
    loaded = load_plain_pickle(data, "refs(unc).p")
    assert loaded.value == REFS
    assert loaded.latin1_strings == 0


def test_python3_pickle_of_str_fields_loads() -> None:
    assert load_plain_pickle(pickle.dumps(REFS, protocol=2), "x.p").value == REFS


def test_latin1_byte_strings_are_decoded_and_counted() -> None:
    data = dumps_py2([{b"sent": b"na\xefve", b"raw": b"ok"}], 2)
    loaded = load_plain_pickle(data, "x.p")
    assert loaded.value == [{"sent": "naïve", "raw": "ok"}]
    assert loaded.latin1_strings == 1


def test_shared_objects_decode_once() -> None:
    shared = ["x"] * 1000
    value = {"a": [1, 2], "rows": [shared] * 1000}  # a million leaves, one shared list
    loaded = load_plain_pickle(pickle.dumps(value, protocol=2), "x.p")
    assert loaded.value["a"] == [1, 2]
    assert loaded.value["rows"][999] is loaded.value["rows"][0]
    assert loaded.value["rows"][0][999] == "x"


def test_tuples_are_refused_as_no_refs_file_holds_one() -> None:
    # A tuple's hash is computed again at each use: as a dict key, a shared tuple DAG would
    # hash for ever (see test_pickle_bombs.py).
    with pytest.raises(InputError, match=r"^x\.p: not a refs pickle: TUPLE2 at byte 17 builds a "
                                         r"tuple; a refs file holds only lists, dicts, strings "
                                         r"and numbers"):
        load_plain_pickle(pickle.dumps({"a": (1, 2)}, protocol=2), "x.p")


class _System:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (self.command,))


def _malicious(kind: str, marker: Path) -> bytes:
    command = f"touch {marker}"
    if kind == "reduce-protocol-2":
        return pickle.dumps([{"ref_id": 1}, _System(command)], protocol=2)
    if kind == "reduce-protocol-4":  # STACK_GLOBAL
        return pickle.dumps(_System(command), protocol=4)
    if kind == "global-protocol-0":
        return f"(lp0\ncos\nsystem\n(S'{command}'\ntRa.".encode()
    if kind == "inst-protocol-0":
        return f"(lp0\n(S'{command}'\nios\nsystem\na.".encode()
    if kind == "builtins-eval":
        code = f"__import__('os').system('{command}')"
        return b"\x80\x02cbuiltins\neval\nX" + struct.pack("<I", len(code)) + code.encode() + b"\x85R."
    raise AssertionError(kind)


KINDS = ["reduce-protocol-2", "reduce-protocol-4", "global-protocol-0", "inst-protocol-0",
         "builtins-eval"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_malicious_pickles_really_run_code_when_unpickled_plainly(
    kind: str, tmp_path: Path
) -> None:
    # Without this, the refusal tests below could pass with harmless pickles.
    marker = tmp_path / "ran"
    script = "import pickle,sys; pickle.loads(open(sys.argv[1],'rb').read())"
    source = tmp_path / "evil.p"
    source.write_bytes(_malicious(kind, marker))
    subprocess.run([sys.executable, "-c", script, str(source)], capture_output=True, check=False)
    assert marker.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_a_pickle_that_would_run_code_is_refused_and_nothing_runs(
    kind: str, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    source = tmp_path / "refs(unc).p"
    source.write_bytes(_malicious(kind, marker))
    with pytest.raises(InputError) as caught:
        load_refs_pickle(source, "data/refcoco/refs(unc).p")
    message = str(caught.value)
    assert message.startswith("data/refcoco/refs(unc).p: refused to load this pickle: it asks "
                              "to import ")
    assert "could run foreign code" in message
    assert not marker.exists()


def test_persistent_ids_are_refused() -> None:
    data = b"\x80\x02X\x04\x00\x00\x00evil\x94Q."
    with pytest.raises(InputError, match=r"^x\.p: refused to load this pickle: it refers to a "
                                         r"persistent object"):
        load_plain_pickle(data, "x.p")


def test_extension_codes_go_through_find_class_and_are_refused() -> None:
    copyreg.add_extension("os", "system", 0x7A31)
    try:
        data = b"\x80\x02\x83\x31\x7aX\x04\x00\x00\x00true\x85R."
        with pytest.raises(InputError, match=r"it asks to import os\.system"):
            load_plain_pickle(data, "x.p")
    finally:
        copyreg.remove_extension("os", "system", 0x7A31)


def test_a_cached_extension_object_makes_the_loader_refuse_to_start() -> None:
    # The C unpickler would hand a cached extension object over without asking find_class.
    copyreg._extension_cache[0x7A32] = os.system  # type: ignore[attr-defined]
    try:
        with pytest.raises(InputError, match="extension codes cached"):
            load_plain_pickle(pickle.dumps([1]), "x.p")
    finally:
        del copyreg._extension_cache[0x7A32]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", r"^x\.p: not a refs pickle: it ends before its STOP opcode \(the file is "
              r"truncated\)\n  fix: use the refs\(<splitBy>\)\.p file of the refer release$"),
        (b"not a pickle at all", r"^x\.p: not a refs pickle: byte 0 \(0x6e\) is not a pickle "
                                 r"opcode\n"),
        (pickle.dumps(REFS, protocol=2)[:40], r"^x\.p: not a refs pickle: BINUNICODE at byte 33 "
                                              r"claims 9 bytes, but only 2 follow\n"),
        # Valid opcodes the unpickler still fails on: its own error, named.
        (b"\x80\x02h\x05.", r"^x\.p: not a readable pickle \(UnpicklingError: Memo value "
                             r"not found at index 5\)"),
    ],
    ids=["empty", "text", "truncated", "memo-miss"],
)
def test_unreadable_pickles_are_clear_errors(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_plain_pickle(data, "x.p")


def test_nesting_beyond_any_refs_file_is_refused() -> None:
    value: list[Any] = []
    for _ in range(40):
        value = [value]
    with pytest.raises(InputError, match=r"^x\.p: not a refs pickle: nested more than 32"):
        load_plain_pickle(pickle.dumps(value), "x.p")


def test_a_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"refs\(unc\)\.p: no such file"):
        load_refs_pickle(tmp_path / "refs(unc).p", "refs(unc).p")
