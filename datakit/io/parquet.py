"""Read Parquet datasets batch by batch: one record per row, as plain Python values."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from datakit.io.parquet_size import batch_bytes, byte_array_paths
from datakit.io.records import FileProblem, RawRecord
from datakit.io.source import OpenFailed, open_binary

Item = RawRecord | FileProblem
BATCH_ROWS = 4096
_FIX = "rewrite the file with pyarrow or pandas (df.to_parquet), or export it as JSON Lines"


def iter_parquet(
    path: Path, file: str, max_record_bytes: int = 64 * 1024 * 1024
) -> Iterator[Item]:
    """Rows in order; ``index`` runs across row groups and batches, ``row_group`` locates each.

    Extra columns are kept in the record's dict; a missing ``conversations`` column is fatal
    (every record would lack it), a missing ``id`` column is left to the record checks.
    """
    try:
        source = open_binary(path, file)
    except OpenFailed as exc:
        yield exc.problem
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    index = 0
    with source:
        try:
            # Strings stay dictionary-encoded until a batch is known to be small once decoded.
            schema = pq.ParquetFile(source).schema
            source.seek(0)
            parquet = pq.ParquetFile(source, read_dictionary=byte_array_paths(schema))
        except (pa.ArrowException, OSError, ValueError) as exc:
            yield FileProblem(file, "bad-parquet", f"is not a readable Parquet file: {exc}", _FIX)
            return
        columns = parquet.schema_arrow.names
        if "conversations" not in columns:
            shown = ", ".join(columns) or "none"
            message = f"has no 'conversations' column (its columns: {shown})"
            fix = "rename the column holding the messages to 'conversations'"
            yield FileProblem(file, "bad-parquet", message, fix, record_index=0)
            return
        for row_group in range(parquet.num_row_groups):
            try:
                for batch in parquet.iter_batches(batch_size=BATCH_ROWS, row_groups=[row_group]):
                    for row in _rows(batch, file, index, max_record_bytes):
                        if isinstance(row, FileProblem):
                            yield row
                        else:
                            yield RawRecord(
                                file, index, None, None, None, value=row, row_group=row_group
                            )
                        index += 1
            except (pa.ArrowException, OSError, ValueError) as exc:
                yield FileProblem(
                    file,
                    "bad-parquet",
                    f"row group {row_group} cannot be read ({exc}); records from index {index}"
                    " on were not read",
                    _FIX,
                    record_index=index,
                )
                return


# A batch that decodes to more than this is converted row by row, each row measured first.
_BATCH_DECODED_BYTES = 256 << 20


def _rows(batch: Any, file: str, index: int, max_record_bytes: int
          ) -> Iterator[dict[str, Any] | FileProblem]:
    """The batch's rows as Python values; a row that would decode to more than
    ``max_record_bytes`` is a problem instead (F006), and is never decoded."""
    if batch_bytes(batch) <= _BATCH_DECODED_BYTES:
        yield from batch.to_pylist()
        return
    for offset in range(batch.num_rows):
        row = batch.slice(offset, 1)
        size = batch_bytes(row)
        if size > max_record_bytes:
            yield FileProblem(
                file, "record-too-large",
                f"row {index + offset} decodes to {size:,} bytes (limit {max_record_bytes:,}): "
                "skipped unread", "split the sample, or check how the file was written",
                record_index=index + offset)
            continue
        yield from row.to_pylist()
