"""Check a pickle's opcode stream before the C unpickler runs it, so that a small file cannot
make it allocate, hash or read without bound.

The restricted unpickler (``refer_pickle``) keeps a pickle from running code, but plain
opcodes can still exhaust the machine:

- a memo index is an array index: ``LONG_BINPUT 2**27`` (12 bytes) allocates 2 GB. Here every
  ``PUT`` index must be at most the number of ``PUT``s so far, as picklers write them (a
  ``GET`` of a missing index is only an error);
- a length (``BINUNICODE8``, ``BINBYTES8``, ``BYTEARRAY8``, ``FRAME``, ...) may claim far more
  bytes than the file holds; the C unpickler allocates some of them before reading. Every
  length must fit in the rest of the file;
- a tuple's hash is computed again at every use, so a tuple DAG (``t1 = (t0, t0)``, ...) used
  as a dict key hashes for ever, and an integer beyond 64 bits hashes in linear time (and its
  hash is easy to collide). refs files hold neither: tuples, sets and integers over 64 bits
  are refused;

Reading stays cheap: one table look-up per opcode and no objects (about 0.1 s per million
opcodes; a refs file holds 5 million).

Opcodes that import (``GLOBAL``, ``STACK_GLOBAL``, ``INST``, ``EXT*``) or fetch persistent
objects end the scan: the restricted unpickler refuses them at that point, with the name of
what was asked for, before anything after them is read.
"""

from __future__ import annotations

import re
import sys

_MAX_INT_BYTES = 9  # two's complement of 64-bit values, signed or not
_MAX_INT_DIGITS = 20  # 2**64 has 20 digits
_MAX_PROTOCOL = 5

# What follows an opcode; the order is that of the checks below, most frequent first.
(_BARE, _PUT1, _LEN1, _FIXED, _PUT4, _LINE, _PUT_LINE, _INT_LINE, _LEN4, _LEN8, _LONG, _PROTO,
 _FRAME, _MEMOIZE, _STOP, _HANDOVER, _REFUSED) = range(17)

_OPCODES: dict[bytes, tuple[str, int, int]] = {  # code: (name, kind, width of the argument)
    b"(": ("MARK", _BARE, 0),
    b"0": ("POP", _BARE, 0),
    b"1": ("POP_MARK", _BARE, 0),
    b"2": ("DUP", _BARE, 0),
    b"N": ("NONE", _BARE, 0),
    b"\x88": ("NEWTRUE", _BARE, 0),
    b"\x89": ("NEWFALSE", _BARE, 0),
    b"]": ("EMPTY_LIST", _BARE, 0),
    b"}": ("EMPTY_DICT", _BARE, 0),
    b"a": ("APPEND", _BARE, 0),
    b"e": ("APPENDS", _BARE, 0),
    b"l": ("LIST", _BARE, 0),
    b"s": ("SETITEM", _BARE, 0),
    b"u": ("SETITEMS", _BARE, 0),
    b"d": ("DICT", _BARE, 0),
    b"q": ("BINPUT", _PUT1, 1),
    b"U": ("SHORT_BINSTRING", _LEN1, 1),
    b"C": ("SHORT_BINBYTES", _LEN1, 1),
    b"\x8c": ("SHORT_BINUNICODE", _LEN1, 1),
    b"h": ("BINGET", _FIXED, 1),
    b"j": ("LONG_BINGET", _FIXED, 4),
    b"K": ("BININT1", _FIXED, 1),
    b"M": ("BININT2", _FIXED, 2),
    b"J": ("BININT", _FIXED, 4),
    b"G": ("BINFLOAT", _FIXED, 8),
    b"r": ("LONG_BINPUT", _PUT4, 4),
    b"S": ("STRING", _LINE, 0),
    b"V": ("UNICODE", _LINE, 0),
    b"F": ("FLOAT", _LINE, 0),
    b"g": ("GET", _LINE, 0),
    b"p": ("PUT", _PUT_LINE, 0),
    b"I": ("INT", _INT_LINE, 0),
    b"L": ("LONG", _INT_LINE, 0),
    b"T": ("BINSTRING", _LEN4, 4),
    b"B": ("BINBYTES", _LEN4, 4),
    b"X": ("BINUNICODE", _LEN4, 4),
    b"\x8e": ("BINBYTES8", _LEN8, 8),
    b"\x8d": ("BINUNICODE8", _LEN8, 8),
    b"\x96": ("BYTEARRAY8", _LEN8, 8),
    b"\x8a": ("LONG1", _LONG, 1),
    b"\x8b": ("LONG4", _LONG, 4),
    b"\x80": ("PROTO", _PROTO, 1),
    b"\x95": ("FRAME", _FRAME, 8),
    b"\x94": ("MEMOIZE", _MEMOIZE, 0),
    b".": ("STOP", _STOP, 0),
    # The restricted unpickler refuses these, naming what they ask for.
    b"c": ("GLOBAL", _HANDOVER, 0),
    b"i": ("INST", _HANDOVER, 0),
    b"\x93": ("STACK_GLOBAL", _HANDOVER, 0),
    b"\x82": ("EXT1", _HANDOVER, 0),
    b"\x83": ("EXT2", _HANDOVER, 0),
    b"\x84": ("EXT4", _HANDOVER, 0),
    b"P": ("PERSID", _HANDOVER, 0),
    b"Q": ("BINPERSID", _HANDOVER, 0),
    # Tuples and sets (hashed again at every use), objects, out-of-band buffers.
    b")": ("EMPTY_TUPLE", _REFUSED, 0),
    b"t": ("TUPLE", _REFUSED, 0),
    b"\x85": ("TUPLE1", _REFUSED, 0),
    b"\x86": ("TUPLE2", _REFUSED, 0),
    b"\x87": ("TUPLE3", _REFUSED, 0),
    b"\x8f": ("EMPTY_SET", _REFUSED, 0),
    b"\x90": ("ADDITEMS", _REFUSED, 0),
    b"\x91": ("FROZENSET", _REFUSED, 0),
    b"R": ("REDUCE", _REFUSED, 0),
    b"b": ("BUILD", _REFUSED, 0),
    b"o": ("OBJ", _REFUSED, 0),
    b"\x81": ("NEWOBJ", _REFUSED, 0),
    b"\x92": ("NEWOBJ_EX", _REFUSED, 0),
    b"\x97": ("NEXT_BUFFER", _REFUSED, 0),
    b"\x98": ("READONLY_BUFFER", _REFUSED, 0),
}
_UNKNOWN = 255
_KINDS = bytes(_OPCODES[bytes([b])][1] if bytes([b]) in _OPCODES else _UNKNOWN
               for b in range(256))
_WIDTHS = bytes(_OPCODES[bytes([b])][2] if bytes([b]) in _OPCODES else 0 for b in range(256))


class PickleRejected(Exception):
    """The opcode stream is not one a refs file holds; the message says where and why."""


def _fast_run_pattern() -> re.Pattern[bytes] | None:
    """Runs of opcodes that need no check, matched in C: everything without a length or with
    a one-byte length, small memo indices (below 2**20), short integers, protocol-0 lines.
    A possessive repeat keeps no backtracking state (Python 3.11); before that, no fast path."""
    if sys.version_info < (3, 11):  # pragma: no cover
        return None
    any_byte = b"[\\x00-\\xff]"

    def counted(lengths: range, width: int = 1) -> bytes:
        """A length of ``width`` bytes (little-endian) below 256, then that many bytes."""
        return b"(?:" + b"|".join(re.escape(n.to_bytes(width, "little")) + any_byte + b"{%d}" % n
                                  for n in lengths) + b")"

    bare = b"".join(re.escape(code) for code, (_, kind, _) in _OPCODES.items()
                    if kind == _BARE) + b"\\x94"
    alternatives = [  # the most frequent first: each is tried in turn
        b"[qhK]" + any_byte,
        b"[" + bare + b"]",
        b"r" + any_byte + b"{2}[\\x00-\\x0f]\\x00",
        b"[Jj]" + any_byte + b"{4}",
        b"M" + any_byte + b"{2}",
        b"G" + any_byte + b"{8}",
        b"\\x80[\\x00-\\x05]",
        b"[UC\\x8c]" + counted(range(256)),
        b"[XTB]" + counted(range(256), 4),  # what Python 3 writes for str below protocol 4
        b"\\x8a" + counted(range(_MAX_INT_BYTES + 1)),
        b"[SVF][^\\n]*\\n",
        b"g[0-9]{1,%d}\\n" % _MAX_INT_DIGITS,
        b"p[0-9]{1,6}\\n",
        b"[IL][+-]?[0-9]{1,%d}L?\\n" % _MAX_INT_DIGITS,
    ]
    return re.compile(b"(?:" + b"|".join(alternatives) + b")*+")


_FAST_RUN = _fast_run_pattern()


def check_opcodes(data: bytes) -> None:
    """Raise ``PickleRejected`` unless ``data`` is a bounded plain-data pickle up to its
    ``STOP`` (or up to an opcode that the restricted unpickler refuses by name)."""
    size = len(data)
    fast = _FAST_RUN
    pos = 0
    while True:
        if fast is not None:
            match = fast.match(data, pos)
            assert match is not None  # a repeat matches the empty string
            pos = match.end()
        if pos >= size:
            raise PickleRejected("it ends before its STOP opcode (the file is truncated)")
        try:
            pos = _one(data, pos, size)
        except (IndexError, ValueError):  # an argument or a line runs past the end
            raise PickleRejected("it ends before its STOP opcode (the file is truncated)") from None
        if pos < 0:
            return


def _one(data: bytes, pos: int, size: int) -> int:
    """Check the opcode at ``pos``; where the next one starts, or -1 after the last."""
    op = data[pos]
    kind = _KINDS[op]
    width = _WIDTHS[op]
    if kind in (_BARE, _FIXED, _PUT1, _MEMOIZE):
        # A one-byte memo index cannot allocate much; MEMOIZE stores at the next free index.
        return pos + 1 + width
    if kind == _LEN1:
        return pos + 2 + data[pos + 1]
    if kind == _PUT4:
        index = int.from_bytes(data[pos + 1 : pos + 5], "little")
        if index > pos:
            raise PickleRejected(_memo_index(data, pos, index))
        return pos + 5
    if kind <= _INT_LINE:  # _LINE, _PUT_LINE, _INT_LINE
        end = data.index(b"\n", pos)
        if kind == _PUT_LINE:
            index = _decimal(data, pos, end)
            if index > pos:
                raise PickleRejected(_memo_index(data, pos, index))
        elif kind == _INT_LINE and _digits(data, pos, end) > _MAX_INT_DIGITS:
            raise PickleRejected(_big_int(data, pos, f"{_digits(data, pos, end):,} digits"))
        return end + 1
    if kind <= _LEN8:  # _LEN4, _LEN8
        if pos + 1 + width > size:
            raise IndexError
        length = int.from_bytes(data[pos + 1 : pos + 1 + width], "little",
                                signed=op == ord("T"))
        after = pos + 1 + width
        if length < 0 or length > size - after:
            raise PickleRejected(f"{_name(data, pos)} at byte {pos:,} claims {length:,} bytes, "
                                 f"but only {size - after:,} follow")
        return after + length
    if kind == _LONG:
        length = int.from_bytes(data[pos + 1 : pos + 1 + width], "little", signed=True)
        if length > _MAX_INT_BYTES:
            raise PickleRejected(_big_int(data, pos, f"{length:,} bytes"))
        return pos + 1 + width + max(length, 0)
    if kind == _PROTO:
        if data[pos + 1] > _MAX_PROTOCOL:
            raise PickleRejected(f"it asks for pickle protocol {data[pos + 1]}; Python knows 0 "
                                 f"to {_MAX_PROTOCOL}")
        return pos + 2
    if kind == _FRAME:
        length = int.from_bytes(data[pos + 1 : pos + 9], "little")
        if length > size - pos - 9:
            raise PickleRejected(f"FRAME at byte {pos:,} claims {length:,} bytes, but only "
                                 f"{max(size - pos - 9, 0):,} follow")
        return pos + 9
    if kind in (_STOP, _HANDOVER):
        return -1
    raise PickleRejected(_refused(data, pos))


def _name(data: bytes, pos: int) -> str:
    return _OPCODES[data[pos : pos + 1]][0]


def _memo_index(data: bytes, pos: int, index: int) -> str:
    return (f"{_name(data, pos)} at byte {pos:,} stores memo entry {index:,}, more entries than "
            "bytes before it (picklers number them in order; an index that large would "
            "allocate memory for every entry below it)")


def _decimal(data: bytes, pos: int, end: int) -> int:
    text = data[pos + 1 : end]
    if not text.isdigit() or len(text) > _MAX_INT_DIGITS:
        shown = text[:24].decode("ascii", "replace") + ("..." if len(text) > 24 else "")
        raise PickleRejected(f"{_name(data, pos)} at byte {pos:,} has a memo index that is not "
                             f"a small number ({shown!r})")
    return int(text)


def _digits(data: bytes, pos: int, end: int) -> int:
    return len(data[pos + 1 : end].strip().lstrip(b"+-").rstrip(b"L"))


def _big_int(data: bytes, pos: int, size: str) -> str:
    return (f"{_name(data, pos)} at byte {pos:,} is an integer of {size}; a refs file holds ids "
            "of at most 64 bits")


def _refused(data: bytes, pos: int) -> str:
    entry = _OPCODES.get(data[pos : pos + 1])
    if entry is None:
        return f"byte {pos:,} (0x{data[pos]:02x}) is not a pickle opcode"
    name = entry[0]
    if "TUPLE" in name:
        what = "a tuple"
    elif "SET" in name or name == "ADDITEMS":
        what = "a set"
    elif "BUFFER" in name:
        what = "an out-of-band buffer"
    else:
        what = "an object by calling something"
    return (f"{name} at byte {pos:,} builds {what}; a refs file holds only lists, dicts, "
            "strings and numbers")
