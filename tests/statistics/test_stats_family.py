"""`datakit stats` on Qwen2-VL family files: each file counted for its target (auto or
--target/--framework, as validate resolves it), with the framework's template for tokens.

Data: COCO annotations made here for real pictures, converted with `datakit convert coco
--target ... --layout ...`, and the real LLaMA-Factory demo file (tests/data/family/NOTICE.md).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

TESTS = Path(__file__).resolve().parents[1]
HOPPER_BW = TESTS / "data" / "images" / "hopper_bw_500.png"
LLAMA_FACTORY = TESTS / "data" / "family" / "llama_factory_mllm_demo.json"

# (x, y, w, h) in pixels: two on a 640x480 picture, one on the real 500x500 one
COCO = {
    "images": [{"id": 1, "file_name": "grey-640x480.png", "width": 640, "height": 480},
               {"id": 2, "file_name": "hopper_bw_500.png", "width": 500, "height": 500}],
    "categories": [{"id": 1, "name": "dog"}, {"id": 2, "name": "cat"}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [64, 48, 320, 240], "area": 1,
         "iscrowd": 0},
        {"id": 2, "image_id": 1, "category_id": 2, "bbox": [400, 300, 200, 150], "area": 1,
         "iscrowd": 0},
        {"id": 3, "image_id": 2, "category_id": 1, "bbox": [50, 100, 300, 200], "area": 1,
         "iscrowd": 0},
    ],
}


def _datakit(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "datakit", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("family-stats")
    (root / "images").mkdir()
    Image.new("RGB", (640, 480), (128, 128, 128)).save(root / "images" / "grey-640x480.png")
    shutil.copyfile(HOPPER_BW, root / "images" / "hopper_bw_500.png")
    (root / "instances.json").write_text(json.dumps(COCO), encoding="utf-8")
    for target, layout, name in (("qwen2-vl", "sharegpt", "q2-lf.json"),
                                 ("qwen2.5-vl", "ms-swift", "q25-swift.jsonl"),
                                 ("qwen3-vl", "qwen-vl-finetune", "q3-ft.json")):
        result = _datakit(["convert", "coco", "instances.json", "--image-root", "images",
                           "--target", target, "--layout", layout, "-o", name, "-q"], cwd=root)
        assert result.returncode == 0, result.stderr
    return root


def _stats(root: Path, *args: str) -> dict[str, Any]:
    result = _datakit(["stats", *args, "--format", "json"], cwd=root)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _token_rows(root: Path, *args: str) -> list[dict[str, Any]]:
    result = _datakit(["tokens", *args, "--format", "jsonl"], cwd=root)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_auto_counts_a_llama_factory_file_for_qwen2_vl(converted: Path) -> None:
    doc = _stats(converted, "q2-lf.json")
    assert doc["files"][0]["target"] == {"model": "qwen2-vl", "framework": "llama-factory",
                                         "layout": "sharegpt", "max_len": 2048}
    assert doc["samples"] == 3 and doc["max_len"] == 2048
    assert doc["per_sample"]["turns"]["max"] == 2
    assert doc["per_sample"]["images"]["mean"] == 1.0
    assert doc["boxes"]["count"] == 3
    # widths on the 0..1000 grid: 320/640, 200/640 and 300/500 of their pictures
    assert doc["boxes"]["width_norm1000"] | {} == {
        "count": 3, "min": 313, "p50": 500, "p90": 600, "p95": 600, "p99": 600, "max": 600,
        "mean": 471.0}
    assert doc["refs"]["top"] == [{"text": "dog", "count": 2}, {"text": "cat", "count": 1}]
    assert doc["images"] == {"references": 3, "distinct": 2}
    assert doc["findings"]["checked"] is True
    # the token figures are the ones `datakit tokens` gives for the same file
    lengths = sorted(row["tokens"] for row in _token_rows(converted, "q2-lf.json"))
    assert (doc["tokens"]["min"], doc["tokens"]["max"]) == (lengths[0], lengths[-1])
    assert doc["tokens"]["count"] == 3


def test_qwen25_pixels_are_measured_on_the_source_picture(converted: Path) -> None:
    doc = _stats(converted, "q25-swift.jsonl", "--target", "qwen2.5-vl")
    assert doc["files"][0]["target"]["framework"] == "ms-swift"
    widths = doc["boxes"]["width_norm1000"]
    # 313, 500 and 600 on the grid; whole pixels of the resized picture move an edge by a
    # fraction of a pixel, which shows as one step of the grid
    assert (widths["min"], widths["p50"], widths["max"]) == (312, 500, 601)
    lengths = sorted(row["tokens"] for row in _token_rows(converted, "q25-swift.jsonl",
                                                            "--target", "qwen2.5-vl"))
    assert (doc["tokens"]["min"], doc["tokens"]["max"]) == (lengths[0], lengths[-1])


def test_the_framework_sets_the_cut_length(converted: Path) -> None:
    doc = _stats(converted, "q3-ft.json", "--target", "qwen3-vl", "--no-findings")
    assert doc["max_len"] == 8192  # qwen-vl-finetune's model_max_length
    assert doc["files"][0]["target"]["layout"] == "qwen-vl-finetune"
    assert [b["to"] for b in doc["histogram"]] == [1024 * n for n in range(1, 9)]


def test_an_unknown_model_is_refused_as_tokens_refuses_it(converted: Path) -> None:
    # JSON boxes that are all under 1000: Qwen2.5-VL pixels or Qwen3-VL's grid
    stats = _datakit(["stats", "q3-ft.json", "--no-findings"], cwd=converted)
    tokens = _datakit(["tokens", "q3-ft.json"], cwd=converted)
    assert stats.returncode == tokens.returncode == 2
    error = [line for line in stats.stderr.splitlines() if "error" in line or "fix:" in line]
    assert error == [line for line in tokens.stderr.splitlines()
                     if "error" in line or "fix:" in line]
    assert "pass --target (qwen2.5-vl or qwen3-vl)" in stats.stderr
    assert "Traceback" not in stats.stderr


def test_real_llama_factory_records_without_their_photos(tmp_path: Path) -> None:
    shutil.copyfile(LLAMA_FACTORY, tmp_path / "mllm_demo.json")
    doc = _stats(tmp_path, "mllm_demo.json", "--target", "qwen2-vl", "--framework",
                 "llama-factory", "--no-findings")
    records = json.loads(LLAMA_FACTORY.read_text(encoding="utf-8"))
    assert doc["samples"] == len(records)
    assert doc["per_sample"]["turns"]["max"] == max(len(r["messages"]) for r in records)
    assert doc["images"]["references"] == sum(len(r["images"]) for r in records)
    # the photos are not in the repository: the cost of each sample is unknown, and said so
    rejected = doc["rejected_by_trainer"]
    assert sum(rejected.values()) == len(records)
    first = {r["images"][0] for r in records}
    assert set(rejected) == {f"{path}: not found or not an image; its token cost is unknown"
                             for path in first}
