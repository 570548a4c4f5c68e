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
``encoding="bytes"`` and every byte string is then decoded as UTF-8 (Latin-1 when that
fails, counted in ``PickleLoad.latin1_strings``), keys included; tuples become lists.
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


def load_plain_pickle(data: bytes, display_name: str) -> PickleLoad:
    """Unpickle ``data`` admitting only containers, strings and numbers.

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
    decoder = _Decoder(display_name)
    value = decoder.decode(raw)
    return PickleLoad(value, decoder.latin1_strings)


def load_refs_pickle(path: Path, display_name: str | None = None) -> PickleLoad:
    """Read and restrictedly unpickle a refs file (see ``load_plain_pickle``)."""
    from datakit.io.source import OpenFailed, open_binary

    name = display_name or str(path)
    try:
        with open_binary(path, name) as handle:
            data = handle.read()
    except OpenFailed as exc:
        raise InputError(f"{name}: {exc.problem.message}", fix=exc.problem.fix) from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror}", fix="check the file") from None
    return load_plain_pickle(data, name)


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
