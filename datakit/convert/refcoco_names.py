"""Names in the RefCOCO family: datasets, splitBy partitions, splits, and reading them off paths.

The refer layout is ``data/<dataset>/refs(<splitBy>).p``; hub copies name the dataset in the
repository or file path (``refcocoplus`` for refcoco+) and the split in the file name
(``train-00000-of-00001.parquet``, ``refcoco_testA.jsonl``).
"""

from __future__ import annotations

import re
from pathlib import PurePath

DATASETS = ("refcoco", "refcoco+", "refcocog", "refclef")
SPLIT_BYS = ("unc", "google", "umd", "berkeley")

# Splits each released partition has (refcocog google's test split was never released).
KNOWN_SPLITS: dict[tuple[str, str], tuple[str, ...]] = {
    ("refcoco", "unc"): ("train", "val", "testA", "testB"),
    ("refcoco", "google"): ("train", "val", "test"),
    ("refcoco+", "unc"): ("train", "val", "testA", "testB"),
    ("refcocog", "umd"): ("train", "val", "test"),
    ("refcocog", "google"): ("train", "val"),
}
# Hub spellings of split names.
SPLIT_ALIASES = {"validation": "val", "valid": "val", "dev": "val"}

_REFS_FILE_RE = re.compile(r"refs\((?P<split_by>[A-Za-z0-9_+-]+)\)\.p(?:ickle|kl)?")
_DATASET_RES = (
    ("refcoco+", re.compile(r"refcoco(?:\+|plus|_plus|-plus)", re.IGNORECASE)),
    ("refcocog", re.compile(r"refcocog", re.IGNORECASE)),
    ("refclef", re.compile(r"refclef", re.IGNORECASE)),
    ("refcoco", re.compile(r"refcoco(?![a-z+])", re.IGNORECASE)),
)
_SPLIT_BY_RE = re.compile(r"(?<![a-z])(unc|google|umd|berkeley)(?![a-z])", re.IGNORECASE)
_SPLIT_IN_NAME_RE = re.compile(
    r"(?:^|[_\-.])(train|validation|val|testA|testB|testC|test)(?=$|[_\-.])"
)


def canonical_split(name: str) -> str:
    return SPLIT_ALIASES.get(name, name)


# Only the file and the folders just above it speak for the data; higher folders are the
# user's own (a project called refcoco-tools says nothing about the file).
_PATH_DEPTH = 3


def _near_parts(path: PurePath) -> list[str]:
    return list(reversed(path.parts[-_PATH_DEPTH:]))


def dataset_from_path(path: PurePath) -> str | None:
    """The dataset the file or its nearest folders name (``data/refcoco+/refs(unc).p``,
    ``jxu124/refcocoplus/data/train-....parquet``), if one."""
    for part in _near_parts(path):
        for name, pattern in _DATASET_RES:
            if pattern.search(part):
                return name
    return None


def split_by_from_path(path: PurePath) -> str | None:
    """``unc`` from ``refs(unc).p``, else a splitBy named next to a dataset name in the file or
    its nearest folders (``refcocog_umd/``, ``refcoco-google.jsonl``)."""
    match = _REFS_FILE_RE.fullmatch(path.name)
    if match is not None:
        return match.group("split_by")
    for part in _near_parts(path):
        if not any(pattern.search(part) for _, pattern in _DATASET_RES):
            continue
        found = _SPLIT_BY_RE.search(part)
        if found is not None:
            return found.group(1).lower()
    return None


def split_from_file_name(path: PurePath) -> str | None:
    """The split a file name states (``val-00000-of-00002.parquet`` -> ``val``), as written
    (``validation`` stays ``validation``); ``None`` when none or several differ."""
    stem = path.name
    for suffix in (".gz", ".jsonl", ".ndjson", ".json", ".parquet"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
    found = {m.group(1) for m in _SPLIT_IN_NAME_RE.finditer(stem)}
    return found.pop() if len(found) == 1 else None


def id_prefix(dataset: str | None, split_by: str | None) -> str:
    """``refcoco-unc``, ``refcocog-umd``; what is unknown is left out."""
    parts = [dataset or "refcoco"]
    if split_by:
        parts.append(split_by)
    return "-".join(parts)
