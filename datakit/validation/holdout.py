"""Read the images that must not appear in training (``--holdout``), by file name.

Accepted: a text file (one path per line), a JSON list of paths, ``{"images": [...]}`` (what
``datakit convert refcoco --emit-holdout`` writes), a COCO / RefCOCO ``instances.json``
(``images[].file_name``) or a Qwen-VL dataset (every ``<img>`` path). Matching is by file name:
COCO names are unique, while prefixes differ between machines.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from datakit.errors import ConfigError


def load_holdout(paths: tuple[str, ...], base: Path) -> frozenset[str]:
    names: set[str] = set()
    for raw in paths:
        path = Path(raw) if Path(raw).is_absolute() else base / raw
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"holdout file {raw}: cannot read: {exc.strerror or exc}",
                              fix="check the --holdout path") from None
        names.update(_names(data, raw))
    return frozenset(names)


def _names(data: bytes, source: str) -> set[str]:
    import orjson

    text = data.decode("utf-8", "replace").lstrip("\ufeff")
    stripped = text.lstrip()
    if stripped[:1] in ("[", "{"):
        try:
            value = orjson.loads(stripped)
        except orjson.JSONDecodeError as exc:
            raise ConfigError(f"holdout file {source}: invalid JSON: {exc}") from None
        return {_base(p) for p in _paths(value, source)}
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
