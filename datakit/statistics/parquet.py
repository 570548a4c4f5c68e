"""One row per sample, as a Parquet file for pandas, DuckDB or Polars.

Columns (``COLUMNS`` is the source of truth; a test round-trips it through pandas):

=====================  ==============  ========================================================
column                 Arrow type      meaning
=====================  ==============  ========================================================
file                   string          the dataset file, as given on the command line
index                  int64           0-based position of the record in its file
id                     string, null    the record's ``id`` (strings and integers, as text)
tokens                 int32           unpadded length before the cut at ``max_len``
supervised_tokens      int32           tokens with a label (trained on), before the cut
images                 int32           ``<img>`` spans
boxes                  int32           ``<box>`` spans (malformed ones included)
refs                   int32           ``<ref>`` spans
turns                  int32           entries of ``conversations``
truncated              bool            longer than ``max_len``: the trainer cuts it
cut_in_image           bool            the cut falls inside an ``<img>`` span (crash)
answer_cut             bool            the cut removes part of the last answer
error                  string, null    why the sample never reaches training (bad JSON or
                                       the trainer's exception); token counts are then 0
finding_codes          list<string>,   sorted distinct validation codes of the sample;
                       null            null when findings were not checked (``--no-findings``)
=====================  ==============  ========================================================

The file is written atomically, in row groups of ``ROW_GROUP_ROWS``; its schema metadata holds
``datakit.format_version`` and ``datakit.max_len``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any

from datakit.statistics.sample import SampleFacts

PARQUET_FORMAT_VERSION = 1
ROW_GROUP_ROWS = 65536

# (name, Arrow type name, nullable)
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("file", "string", False),
    ("index", "int64", False),
    ("id", "string", True),
    ("tokens", "int32", False),
    ("supervised_tokens", "int32", False),
    ("images", "int32", False),
    ("boxes", "int32", False),
    ("refs", "int32", False),
    ("turns", "int32", False),
    ("truncated", "bool", False),
    ("cut_in_image", "bool", False),
    ("answer_cut", "bool", False),
    ("error", "string", True),
    ("finding_codes", "list<string>", True),
)


def arrow_schema(max_len: int) -> Any:
    import pyarrow as pa

    types = {"string": pa.string(), "int64": pa.int64(), "int32": pa.int32(),
             "bool": pa.bool_(), "list<string>": pa.list_(pa.string())}
    fields = [pa.field(name, types[kind], nullable=nullable) for name, kind, nullable in COLUMNS]
    metadata = {"datakit.format_version": str(PARQUET_FORMAT_VERSION),
                "datakit.max_len": str(max_len)}
    return pa.schema(fields, metadata=metadata)


class SampleTableWriter:
    """Collects rows and writes them in row groups; the file appears only on ``close``
    after a normal exit (use it as a context manager)."""

    def __init__(self, path: str | Path, max_len: int, inputs: Sequence[str | Path] = ()) -> None:
        self.path = Path(path)
        self.max_len = max_len
        self.inputs = inputs
        self.rows = 0
        self._columns: dict[str, list[Any]] = {name: [] for name, _, _ in COLUMNS}
        self._stack = ExitStack()
        self._writer: Any = None
        self._schema: Any = None

    def __enter__(self) -> SampleTableWriter:
        import pyarrow.parquet as pq

        from datakit.io.atomic import atomic_writer

        handle = self._stack.enter_context(atomic_writer(self.path, inputs=self.inputs))
        self._schema = arrow_schema(self.max_len)
        self._writer = pq.ParquetWriter(handle, self._schema, compression="zstd")
        return self

    def add(self, facts: SampleFacts, codes: Sequence[str] | None) -> None:
        columns = self._columns
        columns["file"].append(facts.file)
        columns["index"].append(facts.index)
        columns["id"].append(facts.record_id)
        columns["tokens"].append(facts.tokens)
        columns["supervised_tokens"].append(facts.supervised_tokens)
        columns["images"].append(facts.images)
        columns["boxes"].append(facts.boxes)
        columns["refs"].append(len(facts.refs))
        columns["turns"].append(facts.turns)
        columns["truncated"].append(facts.truncated)
        columns["cut_in_image"].append(facts.cut_in_image)
        columns["answer_cut"].append(facts.answer_cut)
        columns["error"].append(facts.parse_error or facts.trainer_error)
        columns["finding_codes"].append(None if codes is None else list(codes))
        self.rows += 1
        if len(columns["file"]) >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if not self._columns["file"]:
            return
        table = pa.Table.from_pydict(self._columns, schema=self._schema)
        self._writer.write_table(table)
        self._columns = {name: [] for name, _, _ in COLUMNS}

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self._flush()
            self._writer.close()
        except BaseException as failure:
            # The atomic writer must see the failure, or it would publish a broken file.
            self._stack.__exit__(type(failure), failure, failure.__traceback__)
            raise
        self._stack.__exit__(exc_type, exc, tb)
