"""Every record's id and sample fingerprint, kept compactly until the whole dataset is read.

A million records as Python tuples in dicts cost hundreds of megabytes; here a record costs
about 50 bytes plus its id's UTF-8 bytes, in flat arrays. Duplicates are found once, at the
end: rows are grouped by a 64-bit hash (numpy sorts large tables, a dict groups small ones so
that short runs never import numpy), and each group is split by the exact key bytes, so a hash
collision never makes two different ids or samples look alike.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence

_NUMPY_FROM_ROWS = 50_000  # below this a dict groups faster than importing numpy
FINGERPRINT_BYTES = 12

# (record index, line, column, byte offset (None where not known, as in Parquet), id or None,
# sample fingerprint or None)
KeyRow = tuple[int, "int | None", "int | None", "int | None", "str | None", "bytes | None"]


class KeyColumn:
    """One key per row (or none): a hash for grouping and the exact bytes for verdicts.
    With ``size``, every key has that many bytes and no offsets are stored."""

    def __init__(self, size: int | None = None) -> None:
        self.size = size
        self.hashes = array("q")
        self.present = bytearray()
        self.ends = array("Q")
        self.blob = bytearray()

    def add(self, key: bytes | None) -> None:
        self.extend((key,))

    def extend(self, keys: Sequence[bytes | None]) -> None:
        """One row per key. A batch at a time: per-row method calls cost more than the rows."""
        size = self.size
        if size is not None:
            for key in keys:
                if key is not None and len(key) != size:
                    raise ValueError(f"keys of this column have {size} bytes, not {len(key)}")
        self.hashes.extend([0 if key is None else hash(key) for key in keys])
        self.present.extend([key is not None for key in keys])
        if size is not None:
            zero = bytes(size)
            self.blob += b"".join(zero if key is None else key for key in keys)
            return
        blob, ends = self.blob, self.ends
        for key in keys:
            if key is not None:
                blob += key
            ends.append(len(blob))

    def key(self, row: int) -> bytes:
        if self.size is not None:
            return bytes(self.blob[row * self.size : (row + 1) * self.size])
        start = self.ends[row - 1] if row else 0
        return bytes(self.blob[start : self.ends[row]])

    def duplicate_groups(self) -> Iterator[list[int]]:
        """Rows that share a key, in row order within a group; groups by their first row."""
        groups: list[list[int]] = []
        for candidates in _hash_groups(self.hashes, self.present):
            exact: dict[bytes, list[int]] = {}
            for row in candidates:
                exact.setdefault(self.key(row), []).append(row)
            groups.extend(rows for rows in exact.values() if len(rows) > 1)
        groups.sort(key=lambda rows: rows[0])
        yield from groups


def _hash_groups(hashes: array[int], present: bytearray) -> list[list[int]]:
    if len(hashes) < _NUMPY_FROM_ROWS:
        by_hash: dict[int, list[int]] = {}
        for row, (value, there) in enumerate(zip(hashes, present, strict=True)):
            if there:
                by_hash.setdefault(value, []).append(row)
        return [rows for rows in by_hash.values() if len(rows) > 1]
    import numpy as np

    values = np.frombuffer(hashes, dtype=np.int64)
    rows = np.flatnonzero(np.frombuffer(present, dtype=np.uint8))
    order = rows[np.argsort(values[rows], kind="stable")]
    ordered = values[order]
    same_as_next = ordered[1:] == ordered[:-1]
    if not same_as_next.any():
        return []
    # Runs of equal hashes: a run starts where a value differs from the one before.
    starts = np.flatnonzero(np.concatenate(([True], ~same_as_next)))
    ends = np.append(starts[1:], ordered.size)
    long_runs = np.flatnonzero(ends - starts > 1)
    return [order[starts[i] : ends[i]].tolist() for i in long_runs]


class RecordKeys:
    """Rows of (file, record index, where the record starts, id, fingerprint), in the order
    records were read. The start (line, column, byte offset) lets a finding of the dataset pass
    be placed on its value without reading the file again from the top."""

    def __init__(self) -> None:
        self.files: list[str] = []
        self._file_numbers: dict[str, int] = {}
        self.file_of = array("I")
        self.index_of = array("Q")
        self.line_of = array("Q")  # 0 when the record has no line (Parquet)
        self.column_of = array("I")  # 0 when not known
        self.offset_of = array("q")  # -1 when not known
        self.ids = KeyColumn()
        self.fingerprints = KeyColumn(FINGERPRINT_BYTES)

    def __len__(self) -> int:
        return len(self.file_of)

    def add(self, file: str, index: int, line: int | None, record_id: str | None,
            fingerprint: bytes | None, column: int | None = None,
            offset: int | None = None) -> None:
        self.extend(file, [(index, line, column, offset, record_id, fingerprint)])

    def extend(self, file: str, rows: Sequence[KeyRow]) -> None:
        """Rows of one file, in order."""
        number = self._file_numbers.get(file)
        if number is None:
            number = self._file_numbers[file] = len(self.files)
            self.files.append(file)
        self.file_of.extend(array("I", (number,)) * len(rows))
        self.index_of.extend([row[0] for row in rows])
        self.line_of.extend([row[1] or 0 for row in rows])
        self.column_of.extend([row[2] or 0 for row in rows])
        self.offset_of.extend([-1 if row[3] is None else row[3] for row in rows])
        self.ids.extend([None if row[4] is None else row[4].encode("utf-8", "surrogatepass")
                         for row in rows])
        self.fingerprints.extend([row[5] for row in rows])

    def where(self, row: int) -> tuple[str, int, int | None]:
        """(file, record index, line) of a row."""
        return self.files[self.file_of[row]], self.index_of[row], self.line_of[row] or None

    def start(self, row: int) -> tuple[int | None, int | None]:
        """(byte offset, column) of the record's first byte, where known."""
        offset, column = self.offset_of[row], self.column_of[row]
        return (None if offset < 0 else offset), (column or None)

    def record_id(self, row: int) -> str | None:
        if not self.ids.present[row]:
            return None
        return self.ids.key(row).decode("utf-8", "surrogatepass")
