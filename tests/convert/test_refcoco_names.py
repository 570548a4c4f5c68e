"""Dataset, splitBy and split read off paths: only the file and its nearest folders count."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from datakit.convert.refcoco_names import (
    dataset_from_path,
    split_by_from_path,
    split_from_file_name,
)


@pytest.mark.parametrize(
    ("path", "dataset", "split_by", "split"),
    [
        ("data/refcoco/refs(unc).p", "refcoco", "unc", None),
        ("data/refcoco+/refs(unc).p", "refcoco+", "unc", None),
        ("data/refcocog/refs(umd).p", "refcocog", "umd", None),
        ("hub/jxu124/refcocoplus/data/test-00000-of-00001.parquet", "refcoco+", None, "test"),
        ("hub/lmms-lab/RefCOCOg/data/val-00000-of-00002.parquet", "refcocog", None, "val"),
        ("eval/refcoco_google/validation.jsonl.gz", "refcoco", "google", "validation"),
        ("qwen/refcoco+_testA.jsonl", "refcoco+", None, "testA"),
        ("/home/umd/refcoco-work/x/y/rows.jsonl", None, None, None),
        ("data/train_test.jsonl", None, None, None),
    ],
)
def test_names_from_paths(
    path: str, dataset: str | None, split_by: str | None, split: str | None
) -> None:
    p = PurePosixPath(path)
    assert (dataset_from_path(p), split_by_from_path(p), split_from_file_name(p)) == (
        dataset, split_by, split)
