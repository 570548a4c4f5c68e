"""Write pickles the way Python 2's cPickle wrote the refer toolkit's refs files.

Python 3 cannot produce them: its ``str`` pickles as unicode, and its ``bytes`` need a global
(``_codecs.encode``) below protocol 3. Here ``bytes`` values become Python 2 ``str`` opcodes
(``STRING`` at protocol 0, ``SHORT_BINSTRING``/``BINSTRING`` at protocol 2), ``str`` values
Python 2 ``unicode`` opcodes, and equal strings are memoised and fetched back with ``GET``, as
cPickle did for the interned dict keys.
"""

from __future__ import annotations

import struct
from typing import Any


class _Writer:
    def __init__(self, protocol: int) -> None:
        self.protocol = protocol
        self.out = bytearray()
        self.memo: dict[Any, int] = {}

    def put(self) -> None:
        index = len(self.memo)
        if self.protocol == 0:
            self.out += b"p%d\n" % index
        elif index < 256:
            self.out += b"q" + bytes([index])
        else:
            self.out += b"r" + struct.pack("<I", index)

    def get(self, index: int) -> None:
        if self.protocol == 0:
            self.out += b"g%d\n" % index
        elif index < 256:
            self.out += b"h" + bytes([index])
        else:
            self.out += b"j" + struct.pack("<I", index)

    def memoised(self, key: Any) -> None:
        self.put()
        self.memo[key] = len(self.memo)

    def dump(self, value: Any) -> None:
        if value is None:
            self.out += b"N"
        elif isinstance(value, bool):
            self.out += (b"I01\n" if value else b"I00\n") if self.protocol == 0 else (
                b"\x88" if value else b"\x89"
            )
        elif isinstance(value, int):
            self._int(value)
        elif isinstance(value, float):
            self.out += (b"F%r\n" % value) if self.protocol == 0 else b"G" + struct.pack(">d", value)
        elif isinstance(value, bytes):
            self._py2_str(value)
        elif isinstance(value, str):
            self._unicode(value)
        elif isinstance(value, list):
            self._list(value)
        elif isinstance(value, dict):
            self._dict(value)
        else:
            raise TypeError(type(value).__name__)

    def _int(self, value: int) -> None:
        if self.protocol == 0:
            self.out += b"I%d\n" % value if -(2**31) <= value < 2**31 else b"L%dL\n" % value
        elif 0 <= value < 256:
            self.out += b"K" + bytes([value])
        elif 0 <= value < 65536:
            self.out += b"M" + struct.pack("<H", value)
        elif -(2**31) <= value < 2**31:
            self.out += b"J" + struct.pack("<i", value)
        else:
            data = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
            self.out += b"\x8a" + bytes([len(data)]) + data

    def _py2_str(self, value: bytes) -> None:
        if ("str", value) in self.memo:
            self.get(self.memo[("str", value)])
            return
        if self.protocol == 0:
            self.out += b"S" + _py2_repr(value) + b"\n"
        elif len(value) < 256:
            self.out += b"U" + bytes([len(value)]) + value
        else:
            self.out += b"T" + struct.pack("<i", len(value)) + value
        self.memoised(("str", value))

    def _unicode(self, value: str) -> None:
        if ("unicode", value) in self.memo:
            self.get(self.memo[("unicode", value)])
            return
        if self.protocol == 0:
            self.out += b"V" + value.encode("raw-unicode-escape") + b"\n"
        else:
            data = value.encode("utf-8")
            self.out += b"X" + struct.pack("<I", len(data)) + data
        self.memoised(("unicode", value))

    def _list(self, value: list[Any]) -> None:
        if self.protocol == 0:
            self.out += b"(l"
            self.memoised(("id", id(value)))
            for item in value:
                self.dump(item)
                self.out += b"a"
            return
        self.out += b"]"
        self.memoised(("id", id(value)))
        if value:
            self.out += b"("
            for item in value:
                self.dump(item)
            self.out += b"e"

    def _dict(self, value: dict[Any, Any]) -> None:
        if self.protocol == 0:
            self.out += b"(d"
            self.memoised(("id", id(value)))
            for key, item in value.items():
                self._key(key)
                self.dump(item)
                self.out += b"s"
            return
        self.out += b"}"
        self.memoised(("id", id(value)))
        if value:
            self.out += b"("
            for key, item in value.items():
                self._key(key)
                self.dump(item)
            self.out += b"u"

    def _key(self, key: Any) -> None:
        # Interned keys and repeated values: later uses are GETs of the first (see _py2_str).
        self.dump(key)


def _py2_repr(value: bytes) -> bytes:
    quote = b'"' if b"'" in value and b'"' not in value else b"'"
    out = bytearray(quote)
    for byte in value:
        char = bytes([byte])
        if char in (b"\\", quote):
            out += b"\\" + char
        elif char == b"\n":
            out += b"\\n"
        elif 32 <= byte < 127:
            out += char
        else:
            out += b"\\x%02x" % byte
    return bytes(out + quote)


def dumps_py2(value: Any, protocol: int) -> bytes:
    """``value`` pickled as Python 2's cPickle would have (``protocol`` 0 or 2)."""
    if protocol not in (0, 2):
        raise ValueError("Python 2 refs files use protocol 0 or 2")
    writer = _Writer(protocol)
    if protocol == 2:
        writer.out += b"\x80\x02"
    writer.dump(value)
    writer.out += b"."
    return bytes(writer.out)


def py2_strings(value: Any) -> Any:
    """``value`` with every ``str`` (keys included) encoded to UTF-8 bytes: Python 2's ``str``."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, list):
        return [py2_strings(v) for v in value]
    if isinstance(value, dict):
        return {py2_strings(k): py2_strings(v) for k, v in value.items()}
    return value
