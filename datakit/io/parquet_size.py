"""What a Parquet batch costs once decoded, measured before it is.

A dictionary-encoded column stores each distinct string once: a 13 KB file can hold a
megabyte string used by every one of thousands of rows, gigabytes once decoded. The reader
keeps string columns dictionary-encoded (``read_dictionary``) and asks this module how many
bytes of text a batch, or a row, would become.
"""

from __future__ import annotations

from typing import Any


def byte_array_paths(schema: Any) -> list[str]:
    """The leaf columns stored as byte arrays (strings, binary): those that may be
    dictionary-encoded."""
    return [schema.column(i).path for i in range(len(schema))
            if schema.column(i).physical_type == "BYTE_ARRAY"]


def decoded_bytes(array: Any) -> int:
    """Bytes of string and binary data ``array`` holds once its dictionaries are decoded
    (other values are counted at their buffer size)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = array.type
    if pa.types.is_dictionary(kind):
        if len(array) == 0:
            return 0
        lengths = pc.binary_length(array.dictionary)
        total = pc.sum(lengths.take(array.indices.fill_null(0))).as_py()
        return int(total or 0)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(
            kind):
        return decoded_bytes(array.flatten())
    if pa.types.is_struct(kind):
        return sum(decoded_bytes(child) for child in array.flatten())
    if pa.types.is_map(kind):
        return decoded_bytes(array.keys) + decoded_bytes(array.items)
    return int(array.nbytes)


def batch_bytes(batch: Any) -> int:
    return sum(decoded_bytes(column) for column in batch.columns)
