"""Resource bombs in refs pickles: small files that asked the unpickler (or the converter) for
gigabytes, hours or a RecursionError. Each is refused, or read as what it is, quickly.

Every opcode that allocates by a length or an index is covered, and so is each way one object
can be reached many times (a ref, a sentence list, a sentence, a string).
"""

from __future__ import annotations

import json
import pickle
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from refcoco_py2pickle import dumps_py2, py2_strings

from datakit.convert.pickle_scan import PickleRejected, check_opcodes
from datakit.convert.refcoco import RefcocoOptions, RefItem, convert_refs
from datakit.convert.refcoco_raw import read_instances, read_refer
from datakit.convert.refer_pickle import load_plain_pickle
from datakit.convert.tally import Tally
from datakit.errors import InputError

P2 = b"\x80\x02"


def _u4(n: int) -> bytes:
    return struct.pack("<I", n)


def _u8(n: int) -> bytes:
    return struct.pack("<Q", n)


def _tuple_dag_key(levels: int) -> bytes:
    """{t_levels: 1} where t_0 = () and t_n = (t_n-1, t_n-1): hashing takes 2**levels steps."""
    out = bytearray(P2 + b")q\x00")
    for n in range(1, levels + 1):
        out += b"h" + bytes([n - 1]) + b"h" + bytes([n - 1]) + b"\x86q" + bytes([n])
    return bytes(out + b"}h" + bytes([levels]) + b"K\x01s.")


# name -> (pickle, the exact reason after "x.p: not a refs pickle: ")
BOMBS: dict[str, tuple[bytes, str]] = {
    "long-binput-2**27": (
        P2 + b"]r" + _u4(2**27) + b".",
        "LONG_BINPUT at byte 3 stores memo entry 134,217,728, more entries than bytes before it"),
    "long-binput-2**32-1": (
        P2 + b"]r" + _u4(2**32 - 1) + b".",
        "LONG_BINPUT at byte 3 stores memo entry 4,294,967,295, more entries than bytes before "
        "it"),
    "put-protocol-0": (
        b"(lp999999999\n.",
        "PUT at byte 2 stores memo entry 999,999,999, more entries than bytes before it"),
    "put-not-a-number": (
        b"(lp1e9\n.", "PUT at byte 2 has a memo index that is not a small number ('1e9')"),
    "binstring": (P2 + b"T" + struct.pack("<i", 2**31 - 1) + b"xx.",
                  "BINSTRING at byte 2 claims 2,147,483,647 bytes, but only 3 follow"),
    "binstring-negative": (P2 + b"T" + struct.pack("<i", -5) + b"xx.",
                           "BINSTRING at byte 2 claims -5 bytes, but only 3 follow"),
    "binbytes": (b"\x80\x03B" + _u4(2**32 - 1) + b".",
                 "BINBYTES at byte 2 claims 4,294,967,295 bytes, but only 1 follow"),
    "binunicode": (P2 + b"X" + _u4(2**31) + b"xx.",
                   "BINUNICODE at byte 2 claims 2,147,483,648 bytes, but only 3 follow"),
    "binbytes8": (b"\x80\x04\x8e" + _u8(2**40) + b"xx.",
                  "BINBYTES8 at byte 2 claims 1,099,511,627,776 bytes, but only 3 follow"),
    "binunicode8": (b"\x80\x04\x8d" + _u8(2**33) + b"xx.",
                    "BINUNICODE8 at byte 2 claims 8,589,934,592 bytes, but only 3 follow"),
    "bytearray8": (b"\x80\x05\x96" + _u8(2**33) + b"xx.",
                   "BYTEARRAY8 at byte 2 claims 8,589,934,592 bytes, but only 3 follow"),
    "frame": (b"\x80\x04\x95" + _u8(2**40) + b"].",
              "FRAME at byte 2 claims 1,099,511,627,776 bytes, but only 2 follow"),
    "long4": (P2 + b"\x8b" + struct.pack("<i", 2**30) + b"xx.",
              "LONG4 at byte 2 is an integer of 1,073,741,824 bytes; a refs file holds ids of "
              "at most 64 bits"),
    "long4-present": (P2 + b"\x8b" + struct.pack("<i", 300_000) + b"\x01" * 300_000 + b".",
                      "LONG4 at byte 2 is an integer of 300,000 bytes; a refs file holds ids "
                      "of at most 64 bits"),
    "long1": (P2 + b"\x8a\x0a" + b"\x01" * 10 + b".",
              "LONG1 at byte 2 is an integer of 10 bytes; a refs file holds ids of at most 64 "
              "bits"),
    "long-protocol-0": (b"L" + b"9" * 5000 + b"L\n.",
                        "LONG at byte 0 is an integer of 5,000 digits; a refs file holds ids "
                        "of at most 64 bits"),
    "int-protocol-0": (b"I" + b"9" * 21 + b"\n.",
                       "INT at byte 0 is an integer of 21 digits; a refs file holds ids of at "
                       "most 64 bits"),
    "tuple-dag-as-key": (
        _tuple_dag_key(60),
        "EMPTY_TUPLE at byte 2 builds a tuple; a refs file holds only lists, dicts, strings "
        "and numbers"),
    "frozenset": (b"\x80\x04\x8f(K\x01\x91.",
                  "EMPTY_SET at byte 2 builds a set; a refs file holds only lists, dicts, "
                  "strings and numbers"),
    "reduce-without-global": (P2 + b"]]R.",
                              "REDUCE at byte 4 builds an object by calling something; a refs "
                              "file holds only lists, dicts, strings and numbers"),
    "out-of-band-buffer": (b"\x80\x05\x97.",
                           "NEXT_BUFFER at byte 2 builds an out-of-band buffer; a refs file "
                           "holds only lists, dicts, strings and numbers"),
    "protocol-9": (b"\x80\x09].", "it asks for pickle protocol 9; Python knows 0 to 5"),
    "no-stop": (P2 + b"]" * 1000, "it ends before its STOP opcode (the file is truncated)"),
    "cut-argument": (P2 + b"]r\x01", "it ends before its STOP opcode (the file is truncated)"),
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_each_bomb_is_refused_by_name_and_position(name: str) -> None:
    data, reason = BOMBS[name]
    with pytest.raises(InputError) as caught:
        load_plain_pickle(data, "x.p")
    assert caught.value.message.startswith(f"x.p: not a refs pickle: {reason}")
    assert caught.value.fix == "use the refs(<splitBy>).p file of the refer release"


_CHILD = """
import resource, sys
from datakit.convert.refer_pickle import load_plain_pickle
from datakit.errors import InputError
resource.setrlimit(resource.RLIMIT_AS, (600 << 20, 600 << 20))
try:
    load_plain_pickle(open(sys.argv[1], "rb").read(), "x.p")
except InputError as exc:
    print(exc.message)
"""


@pytest.mark.parametrize("name", ["long-binput-2**27", "tuple-dag-as-key", "binbytes8"])
def test_the_bombs_that_used_to_exhaust_memory_or_time_are_refused_within_bounds(
    name: str, tmp_path: Path
) -> None:
    # In a child limited to 600 MB and 60 s: the 2**27 memo index took 2 GB, the tuple DAG
    # hashed for ever, BINBYTES8 allocated before reading.
    source = tmp_path / "refs(unc).p"
    source.write_bytes(BOMBS[name][0])
    done = subprocess.run([sys.executable, "-c", _CHILD, str(source)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"x.p: not a refs pickle: {BOMBS[name][1]}")


def _plain_values(protocol: int) -> list[tuple[Any, Any]]:
    """(value, what load_plain_pickle returns for it)."""
    refs = [{"ref_id": n, "sentences": [{"sent": f"thing {n}", "sent_id": n * 3, "tokens":
            ["thing", str(n)]}] * (n % 3), "ann_id": 2**40 + n, "neg": -(2**63), "big":
            2**64 - 1, "x": 1.5, "none": None, "ok": True, "no": False} for n in range(1500)]
    values: list[tuple[Any, Any]] = [
        (v, v) for v in (refs, [], {}, "é" * 300, 0, -1, 2**31, [[[[]]]])]
    if protocol >= 3:  # bytes need a global (_codecs.encode) below protocol 3
        values.append(([b"raw bytes" * 40, b""], ["raw bytes" * 40, ""]))
    return values


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_every_plain_pickle_python_writes_passes_the_scan(protocol: int) -> None:
    for value, expected in _plain_values(protocol):
        data = pickle.dumps(value, protocol=protocol)
        check_opcodes(data)
        assert load_plain_pickle(data, "x.p").value == expected


@pytest.mark.parametrize("protocol", [0, 2])
def test_python2_refs_pickles_pass_the_scan(protocol: int) -> None:
    refs = [{"ref_id": n, "split": "train", "sentences": [{"sent": "man left", "raw": "Man,"}],
             "long_id": 2**63 - 1, "small_neg": -(2**63)} for n in range(600)]
    check_opcodes(dumps_py2(py2_strings(refs), protocol))


def test_any_cut_of_a_pickle_is_a_clean_refusal() -> None:
    data = dumps_py2(py2_strings([{"ref_id": 1, "sent": "x" * 300}, [2**40, -5]]), 2)
    for end in range(len(data) - 1):
        with pytest.raises(PickleRejected):
            check_opcodes(data[:end])


# --- one object reached many times ---------------------------------------------------------

_KEYS = {name: i for i, name in enumerate(
    ["ref_id", "ann_id", "image_id", "split", "train", "sentences", "sent"], start=1)}
REPEATS = 3000


class _Writer:
    """Protocol-2 refs whose objects can be shared through the memo (GET)."""

    def __init__(self) -> None:
        self.out = bytearray(P2 + b"]r" + _u4(0) + b"(")
        self.puts = 1
        for name in _KEYS:  # keys and values memoised once, then fetched
            self.out += b"X" + _u4(len(name)) + name.encode()
            self.put()
            self.out += b"0"

    def get(self, index: int) -> None:
        self.out += b"j" + _u4(index)

    def put(self) -> int:
        self.out += b"r" + _u4(self.puts)
        self.puts += 1
        return self.puts - 1

    def ref(self, ref_id: int, sentences: Callable[[], None]) -> int:
        self.out += b"}"
        index = self.put()
        self.out += b"("
        for key, value in (("ref_id", ref_id), ("ann_id", 101), ("image_id", 9)):
            self.get(_KEYS[key])
            self.out += b"J" + struct.pack("<i", value)
        self.get(_KEYS["split"])
        self.get(_KEYS["train"])
        self.get(_KEYS["sentences"])
        sentences()
        self.out += b"u"
        return index

    def text(self, text: bytes) -> int:
        self.out += b"T" + struct.pack("<i", len(text)) + text
        index = self.put()
        self.out += b"0"  # memoised only
        return index

    def sentence(self, text_index: int) -> int:
        self.out += b"}"
        index = self.put()
        self.out += b"("
        self.get(_KEYS["sent"])
        self.get(text_index)
        self.out += b"u"
        return index

    def bytes(self) -> bytes:
        return bytes(self.out + b"e.")


def _read(data: bytes, tmp_path: Path) -> tuple[Tally, list[RefItem], float]:
    instances = tmp_path / "instances.json"
    instances.write_text(json.dumps({
        "images": [{"id": 9, "file_name": "a.jpg", "width": 64, "height": 48}],
        "annotations": [{"id": 101, "image_id": 9, "bbox": [1, 2, 30, 20]}]}))
    source = tmp_path / "refs(unc).p"
    source.write_bytes(data)
    tally = Tally()
    start = time.perf_counter()
    items = read_refer(source, read_instances(instances, tally), tally,
                       display_name="refs(unc).p")
    return tally, items, time.perf_counter() - start


def _one_ref_repeated(sentences: int) -> bytes:
    """One ref holding ``sentences`` (one sentence, then GETs of it), then REPEATS GETs of
    the ref itself."""
    writer = _Writer()
    text = writer.text(b"man")

    def fill() -> None:
        writer.out += b"]("
        first = writer.sentence(text)
        for _ in range(sentences - 1):
            writer.get(first)
        writer.out += b"e"

    index = writer.ref(3, fill)
    for _ in range(REPEATS):
        writer.get(index)
    return writer.bytes()


def _refs_sharing_one_sentence_list(sentences: int) -> bytes:
    """A ref with ``sentences`` distinct sentences, then REPEATS refs sharing its list."""
    writer = _Writer()
    text = writer.text(b"man")
    shared: list[int] = []

    def first_list() -> None:
        writer.out += b"]"
        shared.append(writer.put())
        writer.out += b"("
        for _ in range(sentences):
            writer.sentence(text)
        writer.out += b"e"

    writer.ref(1, first_list)
    for ref_id in range(2, REPEATS + 2):
        writer.ref(ref_id, lambda: writer.get(shared[0]))
    return writer.bytes()


def _sentences_sharing_one_text(text_bytes: int) -> bytes:
    """A ref with REPEATS distinct sentences that all hold one text of ``text_bytes``."""
    writer = _Writer()
    text = writer.text(b"x" * text_bytes)

    def fill() -> None:
        writer.out += b"]("
        for _ in range(REPEATS):
            writer.sentence(text)
        writer.out += b"e"

    writer.ref(3, fill)
    return writer.bytes()


def test_a_ref_object_repeated_is_read_once(tmp_path: Path) -> None:
    tally, items, _ = _read(_one_ref_repeated(1000), tmp_path)
    assert tally.as_dict()["items"] == {
        # the ref and its sentences read once; every repeat skipped without being read again
        "ref": {"seen": REPEATS + 1, "used": 0, "skipped": {"repeated-object": REPEATS}},
        "sentence": {"seen": 1000, "used": 0, "skipped": {"repeated-object": 999}},
    }
    assert [len(item.sentences) for item in items] == [1]
    assert tally.examples["ref: repeated-object"][0] == (
        "refs(unc).p ref #1: the same object as refs(unc).p ref_id 3")
    assert tally.examples["sentence: repeated-object"][0] == "refs(unc).p ref_id 3 sentence #1"


def test_refs_sharing_a_sentence_list_read_it_once(tmp_path: Path) -> None:
    tally, items, _ = _read(_refs_sharing_one_sentence_list(1000), tmp_path)
    assert tally.as_dict()["items"] == {
        "ref": {"seen": REPEATS + 1, "used": 0, "skipped": {"repeated-object": REPEATS}},
        "sentence": {"seen": 1000, "used": 0, "skipped": {}},
    }
    assert [len(item.sentences) for item in items] == [1000]
    assert tally.examples["ref: repeated-object"][0] == (
        "refs(unc).p ref_id 2: its sentences list is an earlier ref's")


@pytest.mark.parametrize(
    ("build", "size"),
    [(_one_ref_repeated, 100), (_refs_sharing_one_sentence_list, 100),
     (_sentences_sharing_one_text, 20_000)],
    ids=["ref", "sentence-list", "text"],
)
def test_what_is_shared_is_read_once_whatever_its_size(
    build: Callable[[int], bytes], size: int, tmp_path: Path
) -> None:
    # Before, every one of the REPEATS uses read the shared object again: 10x its size cost
    # about 10x the time. Now the size is paid once.
    small, large = build(size), build(10 * size)
    _read(small, tmp_path)  # imports
    small_time = min(_read(small, tmp_path)[2] for _ in range(3))
    large_time = min(_read(large, tmp_path)[2] for _ in range(3))
    assert large_time < 4 * small_time + 0.02


def test_a_long_text_shared_by_every_sentence_is_skipped_not_multiplied(tmp_path: Path) -> None:
    tally, items, _ = _read(_sentences_sharing_one_text(200_000), tmp_path)
    result = convert_refs(items, RefcocoOptions(), tally)
    assert result.records == []
    assert tally.as_dict()["items"]["sentence"] == {
        "seen": REPEATS, "used": 0, "skipped": {"expression-too-long": REPEATS}}
    assert tally.examples["sentence: expression-too-long"][0] == (
        "refs(unc).p ref_id 3: 200,000 characters (at most 2,000): '" + "x" * 76 + "...")


def test_a_2mb_ref_id_shared_by_every_ref_is_shown_cut(tmp_path: Path) -> None:
    writer = _Writer()
    big = writer.text(b"7" * 2_000_000)
    for _ in range(REPEATS):
        writer.out += b"}("
        writer.get(_KEYS["ref_id"])
        writer.get(big)
        writer.out += b"u"
    tally, _, _ = _read(writer.bytes(), tmp_path)
    assert tally.as_dict()["items"]["ref"]["skipped"] == {"malformed": REPEATS}
    assert tally.examples["ref: malformed"][0] == (
        "refs(unc).p ref #0: ref_id is b'" + "7" * 75 + "..., not an integer id")


def _nested_ref_id(by_marks: bool) -> bytes:
    out = bytearray(P2 + b"]q\x00(}q\x01(X\x06\x00\x00\x00ref_id")
    if by_marks:
        out += b"](" * 100_000 + b"K\x01" + b"e" * 100_000
    else:  # no MARK at all: each list is put in the memo and fetched to append the next
        out += b"]r" + _u4(2) + b"0"
        for n in range(2, 100_002):
            out += b"]r" + _u4(n + 1) + b"j" + _u4(n) + b"a0"
        out += b"j" + _u4(100_002)
    return bytes(out + b"ue.")


@pytest.mark.parametrize("by_marks", [True, False], ids=["marks", "memo-chain"])
def test_a_ref_id_nested_100k_deep_is_malformed_not_a_recursion_error(
    by_marks: bool, tmp_path: Path
) -> None:
    tally, _, _ = _read(_nested_ref_id(by_marks), tmp_path)
    assert tally.as_dict()["items"]["ref"]["skipped"] == {"malformed": 1}
    assert tally.examples["ref: malformed"] == [
        "refs(unc).p ref #0: ref_id is [[[[...]]]], not an integer id"]


def test_ids_beyond_64_bits_are_malformed(tmp_path: Path) -> None:
    writer = _Writer()
    writer.out += b"}(" + b"j" + _u4(_KEYS["ref_id"]) + b"\x8a\x09" + b"\x01" * 9 + b"u"
    tally, _, _ = _read(writer.bytes(), tmp_path)
    assert tally.examples["ref: malformed"] == [
        "refs(unc).p ref #0: ref_id is 18519084246547628289, not an integer id"]


def test_the_scan_is_linear_in_the_file() -> None:
    refs = [{"ref_id": n, "sentences": [{"sent": f"s{n}", "tokens": ["a", "b"]}]}
            for n in range(2000)]
    small = dumps_py2(py2_strings(refs), 2)
    large = dumps_py2(py2_strings(refs * 4), 2)

    def timed(data: bytes) -> float:
        start = time.perf_counter()
        check_opcodes(data)
        return time.perf_counter() - start

    small_time = min(timed(small) for _ in range(3))
    large_time = min(timed(large) for _ in range(3))
    assert large_time < 8 * small_time + 0.01


def test_the_memory_limit_of_the_bounded_child_is_real() -> None:
    # The bounded-child test above relies on it: a 2 GB allocation must fail there.
    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (600 << 20, 600 << 20));"
            "bytearray(2 << 30)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=60)
    assert "MemoryError" in done.stderr
