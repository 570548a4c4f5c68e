"""Input values in messages: short, and cheap whatever the value.

A tally example is built for every skipped item, and a pickle can hand the same 2 MB string, a
list nested 100,000 levels deep or an integer of a million digits to every one of them. ``repr``
would copy the string each time, recurse until ``RecursionError``, or fail outright
(``int`` to ``str`` stops at 4,300 digits). ``shown`` cuts strings before quoting them,
describes large integers by their size and looks only a few levels and items into containers.
"""

from __future__ import annotations

from typing import Any

MAX_SHOWN_CHARS = 80
_MAX_INT_BITS = 256  # about 77 digits
_MAX_ITEMS = 8
_MAX_DEPTH = 3


def shown(value: Any, limit: int = MAX_SHOWN_CHARS) -> str:
    """``repr(value)`` cut to about ``limit`` characters, in time independent of its size."""
    text = _repr(value, _MAX_DEPTH, limit)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _repr(value: Any, depth: int, limit: int) -> str:
    if isinstance(value, str | bytes | bytearray):
        if len(value) <= limit:
            return str(repr(value))
        return f"{value[:limit]!r}... ({len(value):,} {_unit(value)})"
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        bits = value.bit_length()
        return repr(value) if bits <= _MAX_INT_BITS else f"<an integer of {bits:,} bits>"
    if isinstance(value, list | tuple | dict | set | frozenset):
        return _container(value, depth, limit)
    return f"<{type(value).__name__}>"


def _container(value: Any, depth: int, limit: int) -> str:
    open_, close = "[]" if isinstance(value, list) else "()" if isinstance(value, tuple) else "{}"
    if not value:
        return f"{type(value).__name__}()" if isinstance(value, set | frozenset) else open_ + close
    if depth <= 0:
        return f"{open_}...{close}"
    parts: list[str] = []
    size = 0
    items = iter(value.items()) if isinstance(value, dict) else iter(value)
    for number, item in enumerate(items):
        if number == _MAX_ITEMS or size > limit:
            parts.append(f"... ({len(value):,} items)")
            break
        if isinstance(value, dict):
            key, item_value = item
            part = f"{_repr(key, depth - 1, limit)}: {_repr(item_value, depth - 1, limit)}"
        else:
            part = _repr(item, depth - 1, limit)
        parts.append(part)
        size += len(part) + 2
    text = ", ".join(parts)
    if isinstance(value, tuple) and len(value) == 1:
        text += ","
    return open_ + text + close


def _unit(value: str | bytes | bytearray) -> str:
    return "characters" if isinstance(value, str) else "bytes"
