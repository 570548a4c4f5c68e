"""datakit: build and check Qwen-VL family fine-tuning data.

The Python API does what the commands do; each function takes files or folders and the
Settings field names as keywords, with the commands' defaults::

    import datakit

    report = datakit.validate("samples/broken/", select="B")   # a Report
    report.to_pandas()                                           # one row per finding
    datakit.tokens("samples/grounding.json").to_pandas()         # one row per sample
    datakit.stats("samples/").data["tokens"]                     # what `datakit stats` shows
    datakit.preview("samples/grounding.json", "gallery/")        # an offline HTML gallery
    datakit.convert_coco("instances_val2017.json", "train.json")
    datakit.convert_dialect("train.json", "train_q25.jsonl", target="qwen2.5-vl")

``import datakit`` stays light: each function loads what it needs when it is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "convert_coco",
    "convert_dialect",
    "convert_refcoco",
    "preview",
    "stats",
    "tokens",
    "validate",
]

if TYPE_CHECKING:  # what editors and type checkers see; at run time each loads on first use
    from datakit.api import preview, stats, tokens, validate
    from datakit.api_convert import convert_coco, convert_dialect, convert_refcoco

_LAZY = {
    "validate": "datakit.api",
    "stats": "datakit.api",
    "tokens": "datakit.api",
    "preview": "datakit.api",
    "convert_coco": "datakit.api_convert",
    "convert_refcoco": "datakit.api_convert",
    "convert_dialect": "datakit.api_convert",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'datakit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # found once; later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
