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

The files were written by Python 2, whose ``str`` is bytes. They are read with
``encoding="bytes"``; byte strings are then decoded as UTF-8 (Latin-1 when that fails, and
counted), either all at once (``load_plain_pickle``) or field by field as they are read
(``Py2Text``, what the converter uses: a refs file holds millions of token strings it never
needs).
"""

from __future__ import annotations

import copyreg
import io
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datakit.errors import InputError

# refs hold lists of dicts of lists of dicts of lists of strings: depth 5. Anything much deeper
# is not a refs file and must not exhaust the interpreter's stack in the decoder below.
_MAX_DEPTH = 32
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
    if copyreg._extension_cache:  # type: ignore[attr-defined]
        raise InputError(
            f"{display_name}: refusing to unpickle: this Python process has pickle extension "
            "codes cached (copyreg), which the restricted loader cannot intercept",
            fix="run the conversion in a fresh process (the datakit command does)",
        )
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
            f"{display_name}: not a refs pickle: nested far too deeply",
            fix="use the refs(<splitBy>).p file of the refer release",
        ) from None
    except Exception as exc:  # any malformed byte sequence: the C unpickler raises many types
        raise InputError(
            f"{display_name}: not a readable pickle ({type(exc).__name__}: {exc})",
            fix="check that this is the refs(<splitBy>).p file and that it is complete",
        ) from None
    return raw


def load_plain_pickle(data: bytes, display_name: str) -> PickleLoad:
    """``unpickle_plain`` with every byte string decoded to text and tuples made lists.

    Walking a whole refs file this way costs more than unpickling it; the converter decodes
    only the fields it reads (``Py2Text``).
    """
    decoder = _Decoder(display_name)
    value = decoder.decode(unpickle_plain(data, display_name))
    return PickleLoad(value, decoder.latin1_strings)


class Py2Text:
    """Text out of unpickled Python 2 values, on demand: byte strings as UTF-8, or Latin-1
    when they are not UTF-8 (counted in ``latin1_strings``)."""

    def __init__(self) -> None:
        self.latin1_strings = 0

    def text(self, value: Any) -> str | None:
        if isinstance(value, str):
            return value
        if isinstance(value, bytes):
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                self.latin1_strings += 1
                return value.decode("latin-1")
        return None

    def fields(self, value: Any) -> dict[str, Any] | None:
        """A dict with its text keys decoded (other keys dropped), or ``None``."""
        if not isinstance(value, dict):
            return None
        out = {}
        for key, item in value.items():
            name = self.text(key)
            if name is not None:
                out[name] = item
        return out


def load_refs_pickle(path: Path, display_name: str | None = None) -> Any:
    """Read and restrictedly unpickle a refs file (see ``unpickle_plain``)."""
    from datakit.io.source import OpenFailed, open_binary

    name = display_name or str(path)
    try:
        with open_binary(path, name) as handle:
            data = handle.read()
    except OpenFailed as exc:
        raise InputError(f"{name}: {exc.problem.message}", fix=exc.problem.fix) from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror}", fix="check the file") from None
    return unpickle_plain(data, name)


class _Decoder:
    """Python 2 byte strings to text, tuples to lists, each shared object decoded once.

    Decoding shared objects once keeps a small pickle that references one list a million
    times (memo ``GET``) from costing a million decodes.
    """

    def __init__(self, display_name: str) -> None:
        self.display_name = display_name
        self.latin1_strings = 0
        self._done: dict[int, Any] = {}

    def decode(self, value: Any, depth: int = 0) -> Any:
        if isinstance(value, bytes | bytearray):
            try:
                return bytes(value).decode("utf-8")
            except UnicodeDecodeError:
                self.latin1_strings += 1
                return bytes(value).decode("latin-1")
        if isinstance(value, _TRUSTED_TYPES):
            return value
        if depth > _MAX_DEPTH:
            raise InputError(
                f"{self.display_name}: not a refs pickle: nested more than {_MAX_DEPTH} levels",
                fix="use the refs(<splitBy>).p file of the refer release",
            )
        done = self._done.get(id(value))
        if done is not None:
            return done
        out: Any
        if isinstance(value, dict):
            out = {self._key(k, depth): self.decode(v, depth + 1) for k, v in value.items()}
        elif isinstance(value, list | tuple):
            out = [self.decode(v, depth + 1) for v in value]
        else:
            # Sets and frozensets need no global from protocol 4 on; no ref field uses them.
            out = repr(value)
        self._done[id(value)] = out
        return out

    def _key(self, key: Any, depth: int) -> Any:
        decoded = self.decode(key, depth + 1)
        return decoded if isinstance(decoded, _TRUSTED_TYPES) else repr(decoded)
