"""Folders: a Parquet table that holds no records (the rows `datakit stats --parquet` writes)
is skipped like a JSON object, so the quickstart's own output never fails `validate .`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from datakit.validation.files import not_a_parquet_dataset, select_dataset_files
from datakit.validation.settings import Settings

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _records_table(path: Path) -> None:
    records = json.loads((SAMPLES / "grounding.json").read_text())
    pq.write_table(pa.Table.from_pylist(
        [{"id": r["id"], "conversations": r["conversations"]} for r in records]), path)


def test_a_table_without_records_is_skipped_and_a_dataset_kept(tmp_path: Path) -> None:
    _records_table(tmp_path / "data.parquet")
    pq.write_table(pa.table({"file": ["a.json"], "tokens": [12]}), tmp_path / "rows.parquet")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    selection = select_dataset_files([tmp_path], Settings(base_dir=str(tmp_path)))
    assert selection.files == [str(tmp_path / "broken.parquet"), str(tmp_path / "data.parquet")]
    assert selection.not_datasets == [(
        str(tmp_path / "rows.parquet"),
        "a Parquet table without a conversations column (file, tokens), not a dataset")]
    assert not_a_parquet_dataset(str(tmp_path / "broken.parquet")) is None  # the reader's F007


def test_a_named_table_is_still_judged(tmp_path: Path) -> None:
    pq.write_table(pa.table({"file": ["a.json"]}), tmp_path / "rows.parquet")
    selection = select_dataset_files([tmp_path / "rows.parquet"], Settings())
    assert selection.files == [str(tmp_path / "rows.parquet")]


def test_stats_parquet_output_then_validate_folder_is_clean(tmp_path: Path) -> None:
    shutil.copy(SAMPLES / "grounding.json", tmp_path)
    shutil.copytree(SAMPLES / "images", tmp_path / "images")
    run = [sys.executable, "-m", "datakit"]
    subprocess.run([*run, "stats", "grounding.json", "--parquet", "rows.parquet",
                    "--no-findings"], cwd=tmp_path, check=True, capture_output=True)
    result = subprocess.run([*run, "validate", "."], cwd=tmp_path, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout
    assert result.stderr.startswith("datakit: skipped rows.parquet: a Parquet table without")
