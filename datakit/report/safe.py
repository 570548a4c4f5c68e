"""Text from the input, made safe to print: control characters are shown escaped.

A dataset can hold any string: an image path with a newline forges a second report line, an
ESC sequence recolours or clears the terminal, a bidi override reorders what the reader sees,
a lone surrogate cannot be encoded at all. Every string that came from input and is printed
(not JSON, which escapes itself) goes through ``printable``.
"""

from __future__ import annotations

import unicodedata


def printable(text: str) -> str:
    """``text`` with every character that is not printable escaped as ``repr`` escapes it
    (``\\n``, ``\\x1b``, ``\\u202e``), without quotes. Spaces of every width stay as they are
    (``U+3000`` is common in Chinese text); clean text comes back as the same object."""
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() or unicodedata.category(ch) == "Zs" else repr(ch)[1:-1]
        for ch in text
    )


def quoted(text: str) -> str:
    """``text`` in quotes, as ``repr`` writes it, cut to 80 characters: how record ids are
    shown (an id can be a megabyte long)."""
    from datakit.shown import shown

    return shown(text)
