"""What the Python API returns besides ``Report``: plain data with a short ``repr`` and, where a
table fits, ``to_pandas()``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(repr=False)
class Stats:
    """``datakit.stats``: the document ``datakit stats --output-format json`` writes, in
    ``data``."""

    data: dict[str, Any]

    def __repr__(self) -> str:
        tokens = self.data.get("tokens") or {}
        shown = (f"; tokens p50 {tokens['p50']}, max {tokens['max']}"
                 if tokens.get("count") else "")
        return (f"<Stats: {self.data['samples']:,} sample(s) in {len(self.data['files'])} "
                f"file(s), max_len {self.data['max_len']:,}{shown}>")

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def to_pandas(self) -> Any:
        """One row per file: path, records, and how many problems stopped its reading."""
        import pandas as pd

        rows = [{"path": f["path"], "records": f["records"], "problems": len(f["problems"])}
                for f in self.data["files"]]
        return pd.DataFrame(rows, columns=["path", "records", "problems"])


@dataclass(repr=False)
class TokenCounts:
    """``datakit.tokens``: one dict per sample, the fields of ``datakit tokens`` JSON lines."""

    rows: list[dict[str, Any]]
    max_len: int

    @property
    def failing(self) -> int:
        """Samples the trainer rejects or crashes on."""
        return sum(1 for row in self.rows if row.get("error") or row.get("cut_in_image"))

    def __repr__(self) -> str:
        counts = sorted(row["tokens"] for row in self.rows if row.get("tokens") is not None)
        shown = f"; tokens p50 {counts[len(counts) // 2]}, max {counts[-1]}" if counts else ""
        over = sum(1 for row in self.rows if row.get("truncated"))
        return (f"<TokenCounts: {len(self.rows):,} sample(s), {over:,} over max_len "
                f"{self.max_len:,}, {self.failing:,} failing{shown}>")

    def __len__(self) -> int:
        return len(self.rows)

    def to_pandas(self) -> Any:
        """One row per sample; ``problems`` stays a list per row."""
        import pandas as pd

        return pd.DataFrame(self.rows)


@dataclass(repr=False)
class Converted:
    """``datakit.convert_*``: what was written and the tally of every input item."""

    output: Path
    records: int
    tally: dict[str, Any]
    input_problems: bool
    extra: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        faulty = "; some input items were skipped as faulty" if self.input_problems else ""
        return f"<Converted: {self.records:,} record(s) to {self.output}{faulty}>"
