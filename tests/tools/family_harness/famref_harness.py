"""Drive the real encode paths of LLaMA-Factory, ms-swift and qwen-vl-finetune on one record.

Runs only inside the reference environment (README.md here); neither datakit nor the test
suite imports it. ``encode(record, images_dir)`` returns ``{"input_ids", "labels",
"grid_pads"}`` or raises. ``record`` is a corpus record of tests/tools/make_family_goldens.py:
model, framework, messages with ``<image>`` tags, images ``[[w, h], ...]``, options. Image files
of those sizes are written once to ``images_dir``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import sys
import types
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# torchaudio stand-in: LLaMA-Factory imports it at module level, only its audio paths use it.
sys.path.insert(0, str(HERE / "stubs"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)

from PIL import Image  # noqa: E402

MODEL_DIRS = {m: str(HERE / "models" / m) for m in ("qwen2-vl", "qwen2.5-vl", "qwen3-vl")}
IMAGE_PAD = 151655
_cache: dict[Any, Any] = {}


def pinned_sha256() -> dict[str, str]:
    """sha256.txt: the upstream files and tokenizer sources a rebuild must match."""
    pins = {}
    for line in (HERE / "sha256.txt").read_text().splitlines():
        digest, name = line.split()
        pins[name] = digest
    return pins


def check_file(path: Path, name: str) -> None:
    """Refuse an upstream file that is not the pinned one: the goldens came from that one."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != pinned_sha256()[name]:
        raise SystemExit(f"{path}: sha256 {digest} is not the pinned {name} (see README.md)")


def image_file(images_dir: str, size: list[int]) -> str:
    width, height = size
    path = Path(images_dir) / f"{width}x{height}.png"
    if not path.exists():
        Image.new("RGB", (width, height), (120, 80, 40)).save(path)
    return str(path)


# ---------------------------------------------------------------- LLaMA-Factory
def _lf_parts(model: str, options: dict[str, Any]) -> tuple[Any, ...]:
    key = ("lf", model, options.get("image_max_pixels"), options.get("image_min_pixels"))
    if key not in _cache:
        from llamafactory.data import get_template_and_fix_tokenizer
        from llamafactory.hparams import DataArguments
        from transformers import AutoProcessor

        processor = AutoProcessor.from_pretrained(MODEL_DIRS[model])
        tokenizer = processor.tokenizer
        # ModelArguments defaults, which LLaMA-Factory's loader copies onto the processor.
        processor.image_max_pixels = options.get("image_max_pixels", 768 * 768)
        processor.image_min_pixels = options.get("image_min_pixels", 32 * 32)
        name = {"qwen2-vl": "qwen2_vl", "qwen2.5-vl": "qwen2_vl", "qwen3-vl": "qwen3_vl_nothink"}
        data_args = DataArguments(template=name[model])
        template = get_template_and_fix_tokenizer(tokenizer, data_args)
        _cache[key] = (processor, tokenizer, template, name[model])
    return _cache[key]


def encode_llamafactory(record: dict[str, Any], images_dir: str) -> dict[str, Any]:
    from llamafactory.data.processor.supervised import SupervisedDatasetProcessor
    from llamafactory.hparams import DataArguments

    opts = record["options"]
    processor, tokenizer, template, name = _lf_parts(record["model"], opts)
    data_args = DataArguments(template=name, cutoff_len=opts["max_len"])
    proc = SupervisedDatasetProcessor(
        template=template, tokenizer=tokenizer, processor=processor, data_args=data_args
    )
    messages = record["messages"]
    system = messages[0]["content"] if messages[0]["role"] == "system" else None
    turns = messages[1:] if system is not None else messages
    conversation = [{"role": m["role"], "content": m["content"]} for m in turns]
    images = [image_file(images_dir, s) for s in record["images"]]
    examples = {
        "_prompt": [conversation[:-1]],
        "_response": [conversation[-1:]],
        "_system": [system],
        "_tools": [""],
        "_images": [images or None],
        "_videos": [None],
        "_audios": [None],
    }
    out = proc.preprocess_dataset(examples)
    if not out["input_ids"]:
        return {"dropped": True}
    grid = []
    if images:
        mm = template.mm_plugin._get_mm_inputs(images, [], [], processor)
        merge = processor.image_processor.merge_size**2
        grid = [int(g.prod()) // merge for g in mm["image_grid_thw"]]
    return {"input_ids": out["input_ids"][0], "labels": out["labels"][0], "grid_pads": grid}


# ---------------------------------------------------------------- ms-swift
def _swift_template(model: str, max_len: int, strategy: str) -> Any:
    key = ("swift", model, max_len, strategy)
    if key not in _cache:
        from swift.model import get_processor
        from swift.template import get_template

        kind = {"qwen2-vl": "qwen2_vl", "qwen2.5-vl": "qwen2_5_vl", "qwen3-vl": "qwen3_vl"}[model]
        processor_key = ("swift-proc", model)
        if processor_key not in _cache:
            _cache[processor_key] = get_processor(
                MODEL_DIRS[model], model_type=kind, use_hf=True, download_model=False
            )
        # "delete" is the dataset loader's answer to the MaxLengthError that "raise" gives.
        template = get_template(
            _cache[processor_key],
            template_type=kind,
            max_length=max_len,
            truncation_strategy="raise" if strategy == "delete" else strategy,
        )
        template.set_mode("train")
        _cache[key] = template
    return _cache[key]


def encode_swift(record: dict[str, Any], images_dir: str) -> dict[str, Any]:
    from swift.template import TemplateInputs

    opts = record["options"]
    template = _swift_template(record["model"], opts["max_len"], opts["truncation_strategy"])
    images = [image_file(images_dir, s) for s in record["images"]]
    row = {"messages": [dict(m) for m in record["messages"]], "images": images}
    inputs = TemplateInputs.from_dict(row) if hasattr(TemplateInputs, "from_dict") else row
    encoded = template.encode(inputs)
    grid = []
    if "image_grid_thw" in encoded:
        merge = template.processor.image_processor.merge_size**2
        grid = [int(g.prod()) // merge for g in encoded["image_grid_thw"]]
    return {
        "input_ids": list(encoded["input_ids"]),
        "labels": list(encoded["labels"]),
        "grid_pads": grid,
    }


# ---------------------------------------------------------------- qwen-vl-finetune
def _load(name: str, path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _qvf_module() -> Any:
    if "qvf" not in _cache:
        upstream = HERE / "upstream"
        for name in ("data_processor.py", "rope2d.py"):
            check_file(upstream / name, f"upstream/{name}")
        # qwenvl/data as a package without its dataset registry (__init__.py lists paths).
        package = types.ModuleType("qvf_data")
        package.__path__ = [str(upstream)]
        package.data_list = lambda names: []  # type: ignore[attr-defined]
        sys.modules["qvf_data"] = package
        _load("qvf_data.rope2d", upstream / "rope2d.py")
        _cache["qvf"] = _load("qvf_data.data_processor", upstream / "data_processor.py")
    return _cache["qvf"]


def _qvf_processor(model: str, min_pixels: int, max_pixels: int) -> Any:
    key = ("qvf-proc", model, min_pixels, max_pixels)
    if key not in _cache:
        from transformers import AutoProcessor

        module = _qvf_module()
        processor = AutoProcessor.from_pretrained(MODEL_DIRS[model])
        args = types.SimpleNamespace(
            min_pixels=min_pixels,
            max_pixels=max_pixels,
            video_min_pixels=256 * 28 * 28,
            video_max_pixels=1024 * 28 * 28,
            video_min_frames=4,
            video_max_frames=8,
            video_fps=2,
        )
        _cache[key] = module.update_processor_pixels(processor, args)
    return _cache[key]


def encode_qvf(record: dict[str, Any], images_dir: str) -> dict[str, Any]:
    module = _qvf_module()
    opts = record["options"]
    processor = _qvf_processor(record["model"], opts["min_pixels"], opts["max_pixels"])
    conversation = [
        {"from": "human" if m["role"] == "user" else "gpt", "value": m["content"]}
        for m in record["messages"]
    ]
    item: dict[str, Any] = {"conversations": conversation, "data_path": "/"}
    if record["images"]:
        item["image"] = [image_file(images_dir, s) for s in record["images"]]
    out = module.preprocess_qwen_visual([item], processor)
    ids, labels = out["input_ids"][0].tolist(), out["labels"][0].tolist()
    grid = []
    if "image_grid_thw" in out:
        merge = processor.image_processor.merge_size**2
        grid = [int(g.prod()) // merge for g in out["image_grid_thw"]]
    # The non-packed collator pads a batch, then keeps the first model_max_length tokens.
    max_len = opts["max_len"]
    return {
        "input_ids": ids,
        "labels": labels,
        "grid_pads": grid,
        "cut_input_ids": ids[:max_len],
        "cut_labels": labels[:max_len],
    }


ENCODERS = {
    "llama-factory": encode_llamafactory,
    "ms-swift": encode_swift,
    "qwen-vl-finetune": encode_qvf,
}


def encode(record: dict[str, Any], images_dir: str) -> dict[str, Any]:
    return ENCODERS[record["framework"]](record, images_dir)
