"""The numpy structural index behind the JSON array splitter.

Per chunk: quotes that are not escaped (runs of backslashes counted exactly), whether each
bracket and comma lies outside a string (parity of the quotes before it), and the bracket depth
after each. Commas at depth 1 and the bracket that closes the array are the record boundaries;
only those reach Python. State (inside a string, trailing backslashes, depth) carries from one
chunk to the next, so a chunk may end anywhere.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from datakit.io.source import JSON_WHITESPACE

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

COMMA = ord(",")
# Chunks up to this size are indexed with a regular expression when numpy is not loaded yet:
# importing numpy costs more than indexing a megabyte in Python, and small files (what a
# pre-commit hook checks) should start fast.
PYTHON_INDEX_MAX_BYTES = 1 << 20
# A run of backslashes (with the quote it may escape), a quote, a bracket or a comma.
_TOKENS = re.compile(rb'\\+"?|["\[\]{},]')
# Blank bytes skipped in numpy between a comma and the next record; longer gaps go to Python.
_MAX_GAP_SCAN = 16
# Backslash runs (before a quote) measured a byte at a time; longer ones from their start.
_SHORT_RUN = 16


@dataclass(frozen=True, slots=True)
class Boundaries:
    """Record boundaries of one chunk, as parallel lists (plain ints: the loop over them is
    Python). For the record ending at ``positions[i]``: ``firsts[i]`` is its first byte
    (past ``positions[i]`` when the gap before it was too long to scan), ``lines[i]`` and
    ``columns[i]`` its position, ``lines[i] == 0`` when the column must be counted in
    Python (several records on one line). The first ``plain`` boundaries are commas ending
    records that need nothing of that: located, within the size limit, no trailing blanks."""

    positions: list[int]
    chars: list[int]
    firsts: list[int]
    lines: list[int]
    columns: list[int]
    plain: int


class StructuralIndex:
    """Finds record boundaries chunk by chunk; create one per file, after its opening '['."""

    def __init__(self) -> None:
        self._in_string = False
        self._backslashes = 0
        self._depth = 1

    def boundaries(
        self, chunk: bytes, begin: int, chunk_line: int, max_record_bytes: int
    ) -> Boundaries:
        """Depth-1 commas and the array's closing bracket in the next chunk (from ``begin``),
        with where the record before each starts. ``chunk_line`` is the line number of the
        chunk's first byte."""
        if _index_in_python(chunk):
            return self._boundaries_in_python(chunk, begin)
        import numpy as np

        data = np.frombuffer(chunk, dtype=np.uint8)
        is_quote = data == 0x22
        if self._backslashes or b"\\" in chunk:
            is_quote[self._escaped_quotes(data)] = False
        self._backslashes = _trailing_backslashes(chunk, self._backslashes)
        # Brackets, commas and real quotes in one index; the parity of the quotes up to each
        # bracket or comma says whether it is inside a string. ([ and { differ from ] and }
        # only in bit 0x20.)
        folded = data | 0x20
        interesting = folded == 0x7B
        interesting |= folded == 0x7D
        interesting |= data == COMMA
        interesting |= is_quote
        found = np.flatnonzero(interesting)
        if begin:
            found = found[found >= begin]
        quote = is_quote[found]
        parity = np.cumsum(quote, dtype=np.int32)
        structural = found[~quote & (((parity + self._in_string) & 1) == 0)]
        self._in_string ^= bool(parity[-1] & 1) if parity.size else False
        chars = data[structural]
        depth = self._depth + np.cumsum(_depth_changes()[chars], dtype=np.int64)
        self._depth = int(depth[-1]) if depth.size else self._depth
        events = structural[((chars == COMMA) & (depth == 1)) | (depth <= 0)]
        event_chars = data[events]
        firsts, lines, columns = self._record_starts(data, events, begin, chunk_line)
        plain = (
            (event_chars == COMMA)
            & (firsts < events)
            & (events - firsts <= max_record_bytes)
            & (lines > 0)
            & ~_blank_table()[data[events - 1]]
        )
        leading_plain = int(plain.size if plain.all() else np.argmin(plain))
        return Boundaries(
            events.tolist(),
            event_chars.tolist(),
            firsts.tolist(),
            lines.tolist(),
            columns.tolist(),
            leading_plain,
        )

    def _boundaries_in_python(self, chunk: bytes, begin: int) -> Boundaries:
        """The same boundaries without numpy, for small chunks. Records are left for the
        splitter to locate (``firsts`` past each boundary, ``plain`` 0)."""
        in_string, depth, carried = self._in_string, self._depth, self._backslashes
        positions: list[int] = []
        chars: list[int] = []
        for match in _TOKENS.finditer(chunk):
            token, start = match.group(), match.start()
            lead = token[0]
            if lead == 0x5C:  # a quote after an odd run of backslashes is escaped
                if token[-1] == 0x22:
                    run = len(token) - 1 + (carried if start == 0 else 0)
                    in_string ^= not run & 1
                continue
            if lead == 0x22:
                in_string ^= not (start == 0 and carried & 1)
                continue
            if in_string or start < begin:
                continue
            if lead != COMMA:
                depth += 1 if lead in (0x5B, 0x7B) else -1
            if depth <= 0 or (lead == COMMA and depth == 1):
                positions.append(start)
                chars.append(lead)
        self._in_string, self._depth = in_string, depth
        self._backslashes = _trailing_backslashes(chunk, carried)
        blank = [0] * len(positions)
        return Boundaries(positions, chars, [p + 1 for p in positions], blank, blank, 0)

    def _record_starts(
        self,
        data: npt.NDArray[np.uint8],
        events: npt.NDArray[np.intp],
        begin: int,
        chunk_line: int,
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """First non-blank byte after each previous boundary, and its line and column where
        the line starts in the blank gap before it (one record per line, the usual layout)."""
        import numpy as np

        gaps = np.empty_like(events)
        gaps[:1] = begin
        gaps[1:] = events[:-1] + 1
        firsts = gaps.copy()
        for _ in range(_MAX_GAP_SCAN):
            blank = (firsts < events) & _blank_table()[data[np.minimum(firsts, events)]]
            if not blank.any():
                break
            firsts[blank] += 1
        else:
            firsts[blank] = events[blank] + 1  # a long gap: found in Python instead
        newlines = np.flatnonzero(data == 0x0A)
        before = np.searchsorted(newlines, firsts)
        if newlines.size:
            line_starts = np.where(before > 0, newlines[np.maximum(before, 1) - 1] + 1, -1)
        else:
            line_starts = np.full_like(firsts, -1)
        known = line_starts >= gaps
        lines = np.where(known, chunk_line + before, 0)
        columns = firsts - line_starts + 1
        return firsts, lines, columns

    def _escaped_quotes(self, data: npt.NDArray[np.uint8]) -> npt.NDArray[np.intp]:
        """Positions of quotes that end an odd run of backslashes (a run may begin in the
        previous chunk). Memory follows the number of backslash-quote pairs, not of
        backslashes: text full of backslashes must not cost eight bytes per byte."""
        import numpy as np

        carried = self._backslashes
        escaped = [np.array([0] if data.size and data[0] == 0x22 and carried & 1 else [])]
        ends = np.flatnonzero((data[:-1] == 0x5C) & (data[1:] == 0x22))
        if ends.size:
            lengths = np.ones(ends.size, dtype=np.int64)
            cursor = ends - 1
            todo = np.arange(ends.size)
            # Walk back over short runs a byte at a time (one numpy step per byte of the
            # longest run); longer runs are measured from where they begin, below.
            for _ in range(_SHORT_RUN):
                at_start = cursor[todo] < 0
                lengths[todo[at_start]] += carried
                todo = todo[~at_start]
                todo = todo[data[cursor[todo]] == 0x5C]
                if not todo.size:
                    break
                lengths[todo] += 1
                cursor[todo] -= 1
            else:
                starts = _long_run_starts(data)
                first = starts[np.searchsorted(starts, ends[todo], side="right") - 1]
                lengths[todo] = ends[todo] - first + 1 + np.where(first == 0, carried, 0)
            escaped.append(ends[(lengths & 1) == 1] + 1)
        return np.concatenate(escaped).astype(np.intp)


def _long_run_starts(data: npt.NDArray[np.uint8]) -> npt.NDArray[np.intp]:
    """Where each run of more than ``_SHORT_RUN`` backslashes begins, ascending. Such runs
    are long, so there are few of them (at most one per ``_SHORT_RUN`` bytes)."""
    import numpy as np

    backslash = data == 0x5C
    starts = backslash.copy()
    starts[1:] &= ~backslash[:-1]
    for k in range(1, _SHORT_RUN + 1):
        starts[:-k] &= backslash[k:]
        starts[-k:] = False
    return np.flatnonzero(starts)


def _index_in_python(chunk: bytes) -> bool:
    return len(chunk) <= PYTHON_INDEX_MAX_BYTES and "numpy" not in sys.modules


def _trailing_backslashes(chunk: bytes, carried: int) -> int:
    stripped = len(chunk.rstrip(b"\\"))
    run = len(chunk) - stripped
    return run + carried if stripped == 0 else run


_DEPTH_CHANGES: npt.NDArray[np.int8] | None = None
_BLANK: npt.NDArray[np.bool_] | None = None


def _depth_changes() -> npt.NDArray[np.int8]:
    """How each byte changes the bracket depth."""
    global _DEPTH_CHANGES
    if _DEPTH_CHANGES is None:
        import numpy as np

        table = np.zeros(256, dtype=np.int8)
        for char, change in ((b"[", 1), (b"{", 1), (b"]", -1), (b"}", -1)):
            table[char[0]] = change
        _DEPTH_CHANGES = table
    return _DEPTH_CHANGES


def _blank_table() -> npt.NDArray[np.bool_]:
    """Which bytes are JSON whitespace."""
    global _BLANK
    if _BLANK is None:
        import numpy as np

        table = np.zeros(256, dtype=bool)
        table[list(JSON_WHITESPACE)] = True
        _BLANK = table
    return _BLANK
