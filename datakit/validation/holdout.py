"""Read the images that must not appear in training (``--holdout``), by file name.

Accepted: a text file (one path per line), a JSON list of paths, ``{"images": [...]}`` (what
``datakit convert refcoco --emit-holdout`` writes), a COCO / RefCOCO ``instances.json``
(``images[].file_name``) or a Qwen-VL dataset (every ``<img>`` path). Matching is by file name:
COCO names are unique, while prefixes differ between machines.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path
from typing import Any

from datakit.errors import ConfigError

# The largest accepted form is a COCO instances file (train2017's is 450 MB); a larger file is
# not a holdout list, and must not be read into memory whole.
HOLDOUT_MAX_BYTES = 1 << 30


def load_holdout(paths: tuple[str, ...], base: Path) -> frozenset[str]:
    names: set[str] = set()
    for raw in paths:
        path = Path(raw) if Path(raw).is_absolute() else base / raw
        names.update(_names(_read(path, raw), raw))
    return frozenset(names)


def _read(path: Path, shown: str) -> bytes:
    """The whole file, refusing what is not a regular file (a FIFO would block, /dev/zero never
    ends) or is larger than ``HOLDOUT_MAX_BYTES``."""
    from datakit.io.source import OpenFailed, open_binary

    too_large = ConfigError(
        f"holdout file {shown}: larger than {HOLDOUT_MAX_BYTES >> 30} GiB, the most a holdout "
        "file is read",
        fix="pass a list of image names (datakit convert refcoco --emit-holdout writes one), "
        "or the instances file of the evaluation split",
    )
    try:
        with open_binary(path, shown) as handle:
            if os.fstat(handle.fileno()).st_size > HOLDOUT_MAX_BYTES:
                raise too_large
            data = handle.read(HOLDOUT_MAX_BYTES + 1)  # it may grow while being read
    except OpenFailed as exc:
        raise ConfigError(f"holdout file {shown}: {exc.problem.message}",
                          fix="check the --holdout path: it names a regular file (image names, "
                          "an instances file or a Qwen-VL dataset)") from None
    except OSError as exc:
        raise ConfigError(f"holdout file {shown}: cannot read: {exc.strerror or exc}",
                          fix="check the --holdout path") from None
    if len(data) > HOLDOUT_MAX_BYTES:
        raise too_large
    return data


def _names(data: bytes, source: str) -> set[str]:
    import orjson

    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    stripped = body.lstrip()
    if stripped[:1] in (b"[", b"{"):
        try:
            value = orjson.loads(stripped)
        except orjson.JSONDecodeError:
            try:  # what is not UTF-8 reads as U+FFFD, as in a list of names
                value = orjson.loads(stripped.decode("utf-8", "replace"))
            except orjson.JSONDecodeError as exc:
                raise ConfigError(f"holdout file {source}: invalid JSON: {exc}") from None
        return {_base(p) for p in _paths(value, source)}
    text = body.decode("utf-8", "replace")
    return {_base(line.strip()) for line in text.splitlines() if line.strip()}


def _paths(value: Any, source: str) -> list[str]:
    from datakit.qwenvl.grammar import parse_value

    if isinstance(value, dict) and isinstance(value.get("images"), list):
        images = value["images"]
        if all(isinstance(i, dict) for i in images):  # COCO-shaped
            return [str(i.get("file_name", "")) for i in images if i.get("file_name")]
        return [str(i) for i in images]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    if isinstance(value, list):
        out: list[str] = []
        for record in value:
            conversations = record.get("conversations") if isinstance(record, dict) else None
            for message in conversations if isinstance(conversations, list) else []:
                text = message.get("value") if isinstance(message, dict) else None
                if isinstance(text, str) and "<img>" in text:
                    out.extend(image.path for image in parse_value(text).images())
        return out
    raise ConfigError(
        f"holdout file {source}: not a list of paths, an images list, COCO instances or a "
        "Qwen-VL dataset"
    )


def _base(path: str) -> str:
    return posixpath.basename(path.replace("\\", "/"))
