"""TOML loading on every supported Python (tomllib from 3.11, tomli before).

Whatever the text, ``loads`` returns a table or raises ``TOMLDecodeError``, also for what the
parser itself lets escape: nesting deeper than the interpreter's stack, and an integer longer
than ``int()`` converts (4,300 digits).
"""

from __future__ import annotations

import sys
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib as _toml
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as _toml

TOMLDecodeError = _toml.TOMLDecodeError


class NestingTooDeep(_toml.TOMLDecodeError):  # type: ignore[misc]  # tomli: untyped on 3.10
    """Arrays or inline tables nested deeper than the parser's recursion allows."""

    def __init__(self) -> None:
        # The base class's signature differs between versions; the message is all we need.
        ValueError.__init__(self, "arrays or tables nested too deeply")


class IntegerTooLong(_toml.TOMLDecodeError):  # type: ignore[misc]  # tomli: untyped on 3.10
    """An integer of more digits than ``int()`` converts (``sys.get_int_max_str_digits``)."""

    def __init__(self) -> None:
        getter = getattr(sys, "get_int_max_str_digits", None)
        limit = f" {getter():,}" if getter is not None else ""
        ValueError.__init__(self, f"an integer longer than Python reads (over{limit} digits)")


def loads(text: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = _toml.loads(text)
    except RecursionError:
        # The parser recurses once per level: thousands of '[' exhaust the stack.
        raise NestingTooDeep() from None
    except _toml.TOMLDecodeError:
        raise
    except ValueError:  # the parser's only other ValueError: int() refusing too many digits
        raise IntegerTooLong() from None
    return data
