"""LLaMA-Factory's ``dataset_info.json``: the entry that registers a converted sharegpt file,
and its merge into an existing file (atomic; every other entry kept as it was, in order).

LLaMA-Factory opens ``file_name`` relative to the folder of ``dataset_info.json`` (its
``dataset_dir``), so the entry names the output relative to that folder when it is inside it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from datakit.errors import InputError

# dataset_info.json files list a few hundred datasets; a larger file is not one.
MAX_DATASET_INFO_BYTES = 16 << 20


def read_dataset_info(path: Path) -> dict[str, Any]:
    """The file's entries (empty when the file does not exist yet); ``InputError`` when it
    exists but is not a JSON object."""
    import orjson

    from datakit.io.safe_open import NotOpened, open_regular

    if not path.exists():
        return {}
    fix = "pass LLaMA-Factory's dataset_info.json (a JSON object of datasets), or a new path"
    try:
        handle, _ = open_regular(str(path))
        with handle:
            data = handle.read(MAX_DATASET_INFO_BYTES + 1)
    except NotOpened as exc:
        raise InputError(f"cannot read --dataset-info {path}: {exc.detail}", fix=fix) from None
    except OSError as exc:
        raise InputError(f"cannot read --dataset-info {path}: {exc.strerror}", fix=fix) from None
    if len(data) > MAX_DATASET_INFO_BYTES:
        raise InputError(f"--dataset-info {path} is larger than "
                         f"{MAX_DATASET_INFO_BYTES >> 20} MiB", fix=fix)
    try:
        document = orjson.loads(data) if data.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise InputError(f"--dataset-info {path}: not valid JSON ({exc})", fix=fix) from None
    if not isinstance(document, dict):
        raise InputError(f"--dataset-info {path}: the top level is not an object", fix=fix)
    return document


def entry_for(output: Path, name: str | None, dataset_info: Path | None) -> tuple[str, Any]:
    """The dataset's name and its ``dataset_info.json`` entry for the sharegpt ``output``."""
    from datakit.family.layouts import dataset_info_entry

    file_name = output.name
    if dataset_info is not None:
        folder = dataset_info.absolute().parent
        relative = os.path.relpath(output.absolute(), folder)
        file_name = output.absolute().as_posix() if relative.startswith("..") else relative
    chosen = name or output.name.split(".", 1)[0] or output.name
    return chosen, dataset_info_entry(chosen, Path(file_name).as_posix())[chosen]


def merge_dataset_info(path: Path, name: str, entry: Any, inputs: Iterable[Path | str]) -> None:
    """Put ``entry`` under ``name`` in ``path`` (replacing an entry of that name in place)."""
    import orjson

    from datakit.io.atomic import atomic_writer

    document = read_dataset_info(path)
    document[name] = entry
    with atomic_writer(path, inputs=[str(p) for p in inputs]) as handle:
        handle.write(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
