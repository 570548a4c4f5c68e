"""Category names as the phrases prompts and ``<ref>`` answers use.

The rule (``natural_name``), applied to every source name unless overridden:

1. an LVIS qualifier ``_(...)`` is dropped: ``bus_(vehicle)`` -> ``bus``,
   ``pan_(for_cooking)`` -> ``pan`` (it tells annotators which sense is meant; in a question
   about one picture the plain word reads as language, and ``--rename`` can keep a sense);
2. COCO-Stuff / panoptic suffixes ``-merged``, ``-other``, ``-stuff`` are dropped, as often as
   they occur: ``sky-other-merged`` -> ``sky``;
3. a remaining ``thing-material`` pair is read as ``material thing``: ``wall-brick`` ->
   ``brick wall``, ``floor-wood`` -> ``wood floor``;
4. underscores become spaces and runs of spaces one: ``baseball_bat`` -> ``baseball bat``.

COCO's own 80 names are unchanged by it. ``--rename NAME=TEXT`` and ``--names FILE.json``
(``{"source name": "text"}``) override the rule name by name. With ``--language zh
--zh-names`` the COCO 80 categories are written by their Chinese names (the table in
``data/coco_names_zh.json``); other names keep the rule's English phrase and are tallied as
``name-not-translated``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path

from datakit.errors import ConfigError

_QUALIFIER = re.compile(r"_\([^()]*\)$")
_SUFFIXES = ("-merged", "-other", "-stuff")
_SPACES = re.compile(r"\s+")


def natural_name(source: str) -> str:
    """The phrase a source category name reads as (see the module docstring)."""
    if "_" not in source and "-" not in source:
        return source  # COCO's names: the common case costs one scan
    name = _QUALIFIER.sub("", source.strip()) or source
    stripped = True
    while stripped:
        stripped = False
        for suffix in _SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix):
                name, stripped = name[: -len(suffix)], True
    parts = name.split("-")
    if len(parts) == 2 and all(parts):
        name = f"{parts[1]} {parts[0]}"
    return _SPACES.sub(" ", name.replace("_", " ")).strip() or source


@lru_cache(maxsize=1)
def coco_names_zh() -> dict[str, str]:
    """COCO's 80 category names -> Chinese, from the table shipped with the package."""
    import json

    path = Path(__file__).with_name("data") / "coco_names_zh.json"
    table: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return table


class CategoryNames(Mapping[str, str]):
    """Source name -> output name for ``CocoOptions.renames``: the explicit overrides, then
    the Chinese table (when asked for), then ``natural_name``. Iterating yields only the
    overrides, so that they alone are checked against the file's categories and reported."""

    def __init__(self, overrides: Mapping[str, str], *, zh: bool = False) -> None:
        self.overrides = dict(overrides)
        self.table = coco_names_zh() if zh else {}

    def __getitem__(self, source: str) -> str:
        if source in self.overrides:
            return self.overrides[source]
        return self.table.get(source) or natural_name(source)

    def get(self, source: str, default: str | None = None) -> str:  # type: ignore[override]
        return self[source]

    def __contains__(self, source: object) -> bool:
        return source in self.overrides

    def __iter__(self) -> Iterator[str]:
        return iter(self.overrides)

    def __len__(self) -> int:
        return len(self.overrides)

    def untranslated(self, source: str) -> bool:
        """Whether Chinese names were asked for and ``source`` has none."""
        return bool(self.table) and source not in self.overrides and source not in self.table


def load_names_file(path: Path) -> dict[str, str]:
    """``--names FILE.json``: an object of source name -> text, checked."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(
            f"--names {path}: cannot be read as JSON ({exc})",
            fix='give a JSON object such as {"bus_(vehicle)": "bus"}',
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"--names {path}: the top level must be an object of name: text")
    for key, value in data.items():
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(
                f"--names {path}: the text for {key!r} must be a non-empty string",
                fix='e.g. {"sky-other-merged": "sky"}',
            )
    return {key: value.strip() for key, value in data.items()}
