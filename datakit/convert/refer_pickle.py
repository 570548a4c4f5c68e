"""Load the ``refs(<splitBy>).p`` pickles of the ``refer`` toolkit without running their code.

Unpickling runs whatever the file asks for: a pickle can name any importable callable (say
``os.system``) and call it while loading. The refs files only ever hold plain data (a list of
dicts of strings, integers and lists), so the loader admits nothing else:

- ``find_class`` refuses every global, which shuts ``GLOBAL``/``STACK_GLOBAL``/``INST`` and,
  with them, every callable that ``REDUCE``/``NEWOBJ``/``OBJ``/``BUILD`` could call;
- ``persistent_load`` refuses persistent ids (``PERSID``/``BINPERSID``);
- extension codes (``EXT1/2/4``) go through ``find_class`` too, except when ``copyreg`` has
  cached the object of a code in this process already: then the C unpickler hands it over
  without asking. datakit never registers extensions, so the loader refuses to run at all if
  that cache is not empty rather than trust it.

Plain data can still exhaust the machine (a 12-byte pickle can ask for a 2 GB memo, a tuple
DAG hashes for ever): ``pickle_scan.check_opcodes`` bounds the opcode stream before the C
unpickler sees it, and the file must look like a pickle from its first bytes and be at most
``MAX_REFS_PICKLE_BYTES``.

The files were written by Python 2, whose ``str`` is bytes. They are read with
``encoding="bytes"``; byte strings are then decoded as UTF-8 (Latin-1 when that fails, and
counted), either all at once (``load_plain_pickle``) or field by field as they are read
(``Py2Text``, what the converter uses: a refs file holds millions of token strings it never
needs).
"""

from __future__ import annotations

import copyreg
import io
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datakit.errors import InputError
from datakit.shown import shown

# refs hold lists of dicts of lists of dicts of lists of strings: depth 5. Anything much deeper
# is not a refs file and must not exhaust the interpreter's stack in the decoder below.
_MAX_DEPTH = 32
# The refer releases' refs files are 20 to 60 MB; unpickled, a file takes about 8 times its
# size in memory.
MAX_REFS_PICKLE_BYTES = 256 << 20
_REFS_FIX = "use the refs(<splitBy>).p file of the refer release"
_TRUSTED_TYPES = (str, int, float, bool, type(None))


class RefusedPickle(Exception):
    """The pickle asked for something other than plain data."""


class _PlainDataUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise RefusedPickle(
            f"it asks to import {module}.{name}; a refs pickle holds only lists, dicts, "
            "strings and numbers, so loading it could run foreign code"
        )

    def persistent_load(self, pid: Any) -> Any:
        raise RefusedPickle(
            "it refers to a persistent object; a refs pickle holds only plain data"
        )


@dataclass(frozen=True, slots=True)
class PickleLoad:
    value: Any
    latin1_strings: int


def unpickle_plain(data: bytes, display_name: str) -> Any:
    """Unpickle ``data`` admitting only containers, strings and numbers; Python 2 ``str``
    values (and keys) stay ``bytes`` (see ``Py2Text``).

    Raises ``InputError`` naming ``display_name`` when the pickle asks for anything else or is
    not a readable pickle at all; in both cases nothing of the pickle has run.
    """
    import gc

    from datakit.convert.pickle_scan import PickleRejected, check_opcodes

    if copyreg._extension_cache:  # type: ignore[attr-defined]
        raise InputError(
            f"{display_name}: refusing to unpickle: this Python process has pickle extension "
            "codes cached (copyreg), which the restricted loader cannot intercept",
            fix="run the conversion in a fresh process (the datakit command does)",
        )
    try:
        check_opcodes(data)
    except PickleRejected as exc:
        raise InputError(f"{display_name}: not a refs pickle: {exc}", fix=_REFS_FIX) from None
    # Unpickling builds millions of containers that hold no cycles: the cyclic collector
    # would only rescan them again and again while they are built.
    enabled = gc.isenabled()
    gc.disable()
    try:
        raw = _PlainDataUnpickler(io.BytesIO(data), encoding="bytes").load()
    except RefusedPickle as exc:
        raise InputError(
            f"{display_name}: refused to load this pickle: {exc}",
            fix="use the refs(<splitBy>).p file of the refer release, or a flattened copy "
            "(JSONL / Parquet); never load an untrusted pickle with pickle.load",
        ) from None
    except RecursionError:
        raise InputError(
            f"{display_name}: not a refs pickle: nested far too deeply", fix=_REFS_FIX
        ) from None
    except Exception as exc:  # any malformed byte sequence: the C unpickler raises many types
        raise InputError(
            f"{display_name}: not a readable pickle ({type(exc).__name__}: {str(exc)[:200]})",
            fix="check that this is the refs(<splitBy>).p file and that it is complete",
        ) from None
    finally:
        if enabled:
            gc.enable()
    return raw


def load_plain_pickle(data: bytes, display_name: str) -> PickleLoad:
    """``unpickle_plain`` with every byte string decoded to text.

    Walking a whole refs file this way costs more than unpickling it; the converter decodes
    only the fields it reads (``Py2Text``).
    """
    decoder = _Decoder(display_name)
    value = decoder.decode(unpickle_plain(data, display_name))
    return PickleLoad(value, decoder.latin1_strings)


class Py2Text:
    """Text out of unpickled Python 2 values, on demand: byte strings as UTF-8, or Latin-1
    when they are not UTF-8 (counted in ``latin1_strings``).

    A long string is decoded once however often the pickle refers to it (memo ``GET``):
    otherwise a 2 MB string shared by every sentence would be decoded for each.
    """

    _MEMO_FROM_BYTES = 64

    def __init__(self) -> None:
        self.latin1_strings = 0
        # Holding the object keeps its id unique.
        self._long: dict[int, tuple[bytes, str]] = {}
        self._names: dict[int, tuple[Any, str]] = {}

    def text(self, value: Any) -> str | None:
        if isinstance(value, str):
            return value
        if not isinstance(value, bytes):
            return None
        if len(value) >= self._MEMO_FROM_BYTES:
            return self._long_text(value)
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            self.latin1_strings += 1
            return value.decode("latin-1")

    def _long_text(self, value: bytes) -> str:
        known = self._long.get(id(value))
        if known is None:
            try:
                text = value.decode("utf-8")
            except UnicodeDecodeError:
                self.latin1_strings += 1
                text = value.decode("latin-1")
            known = self._long[id(value)] = (value, text)
        return known[1]

    def fields(self, value: Any) -> dict[str, Any] | None:
        """A dict with its text keys decoded (other keys dropped), or ``None``."""
        if not isinstance(value, dict):
            return None
        out = {}
        names = self._names
        for key, item in value.items():
            # Python 2 pickles share each key string among all dicts (memo GET): decode once.
            known = names.get(id(key))
            if known is None:
                name = self.text(key)
                if name is None:
                    continue
                known = names[id(key)] = (key, name)
            out[known[1]] = item
        return out


def load_refs_pickle(path: Path, display_name: str | None = None) -> Any:
    """Read and restrictedly unpickle a refs file (see ``unpickle_plain``).

    The file is refused before it is read whole when it is larger than
    ``MAX_REFS_PICKLE_BYTES`` or its first bytes are not how a pickle starts.
    """
    from datakit.io.source import OpenFailed, open_binary

    name = display_name or str(path)
    try:
        with open_binary(path, name) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_REFS_PICKLE_BYTES:
                raise InputError(
                    f"{name}: {size:,} bytes, more than the {MAX_REFS_PICKLE_BYTES >> 20} MiB "
                    "a refs pickle is read up to (the refer releases' are under 100 MiB)",
                    fix=_REFS_FIX,
                )
            head = handle.read(2)
            if not _starts_like_a_pickle(head):
                raise InputError(
                    f"{name}: not a refs pickle (it starts with {head!r}; a pickled list starts "
                    "with b'\\x80' and the protocol, or with b'(l' or b']' in protocols 0 and 1)",
                    fix=_REFS_FIX,
                )
            data = head + handle.read(MAX_REFS_PICKLE_BYTES + 1 - len(head))
    except OpenFailed as exc:
        raise InputError(f"{name}: {exc.problem.message}", fix=exc.problem.fix) from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror}", fix="check the file") from None
    if len(data) > MAX_REFS_PICKLE_BYTES:  # it grew while being read
        raise InputError(f"{name}: larger than {MAX_REFS_PICKLE_BYTES >> 20} MiB", fix=_REFS_FIX)
    return unpickle_plain(data, name)


def _starts_like_a_pickle(head: bytes) -> bool:
    if head[:1] == b"\x80":
        return len(head) == 2 and head[1] <= 5
    # refs hold a list: protocol 0 opens it with MARK and LIST, protocol 1 with EMPTY_LIST.
    return head == b"(l" or head[:1] == b"]"


class _Decoder:
    """Python 2 byte strings to text, each shared object (strings too) decoded once.

    Decoding shared objects once keeps a small pickle that references one list, or one long
    string, a million times (memo ``GET``) from costing a million decodes.
    """

    def __init__(self, display_name: str) -> None:
        self.display_name = display_name
        self.latin1_strings = 0
        self._done: dict[int, Any] = {}

    def decode(self, value: Any, depth: int = 0) -> Any:
        if isinstance(value, _TRUSTED_TYPES):
            return value
        if depth > _MAX_DEPTH:
            raise InputError(
                f"{self.display_name}: not a refs pickle: nested more than {_MAX_DEPTH} levels",
                fix=_REFS_FIX,
            )
        done = self._done.get(id(value))
        if done is not None:
            return done
        out: Any
        if isinstance(value, bytes | bytearray):
            try:
                out = bytes(value).decode("utf-8")
            except UnicodeDecodeError:
                self.latin1_strings += 1
                out = bytes(value).decode("latin-1")
        elif isinstance(value, dict):
            out = {self._key(k, depth): self.decode(v, depth + 1) for k, v in value.items()}
        elif isinstance(value, list):
            out = [self.decode(v, depth + 1) for v in value]
        else:
            out = shown(value)  # check_opcodes admits no other type
        self._done[id(value)] = out
        return out

    def _key(self, key: Any, depth: int) -> Any:
        decoded = self.decode(key, depth + 1)
        return decoded if isinstance(decoded, _TRUSTED_TYPES) else shown(decoded)
