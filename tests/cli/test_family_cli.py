"""``datakit validate`` and ``datakit tokens`` for Qwen-family targets, as real subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

QWEN2_BOX = "<|object_ref_start|>the dog<|object_ref_end|><|box_start|>(10,20),(500,600)<|box_end|>"


def _datakit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "datakit", *args], cwd=cwd,
                          capture_output=True, text=True)


def _sharegpt(answer: str, images: list[str], user: str) -> dict[str, Any]:
    return {"conversations": [{"from": "human", "value": user}, {"from": "gpt", "value": answer}],
            "images": images}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    Image.new("RGB", (1000, 1000), (10, 20, 30)).save(tmp_path / "big.jpg")
    two = _sharegpt(QWEN2_BOX, ["big.jpg", "big.jpg"], "<image><image>Compare them.")
    (tmp_path / "two.json").write_text(json.dumps([two]), encoding="utf-8")
    plain = {"messages": [{"role": "user", "content": "<image>What is it?"},
                          {"role": "assistant", "content": "A dog."}], "images": ["big.jpg"]}
    (tmp_path / "plain.jsonl").write_text(json.dumps(plain) + "\n", encoding="utf-8")
    return tmp_path


def test_validate_cut_through_the_second_image_at_cutoff_1024(folder: Path) -> None:
    out = _datakit(folder, "validate", "--no-cache", "--format", "json", "--cutoff-len", "1024",
                   "two.json")
    assert out.returncode == 1, out.stderr
    findings = json.loads(out.stdout)["findings"]
    assert [f["code"] for f in findings] == ["F010", "K005"]
    assert findings[0]["message"].startswith(
        "checked as Qwen2-VL data for LLaMA-Factory (sharegpt layout, cut length 1,024 tokens)")
    assert "picture 2" in findings[1]["message"]
    clean = _datakit(folder, "validate", "--no-cache", "two.json")
    assert clean.returncode == 0, clean.stdout


def test_validate_explicit_qwen_vl_flags_the_foreign_layout(folder: Path) -> None:
    out = _datakit(folder, "validate", "--no-cache", "--format", "json", "--target", "qwen-vl",
                   "two.json")
    assert out.returncode == 1
    codes = [f["code"] for f in json.loads(out.stdout)["findings"]]
    assert "X003" in codes and "F010" not in codes


def test_validate_ambiguous_file_warns_with_the_fix(folder: Path) -> None:
    out = _datakit(folder, "validate", "--no-cache", "--format", "github", "plain.jsonl")
    assert out.returncode == 0, out.stderr
    assert ("::warning file=plain.jsonl,title=F011 family-target-ambiguous::the data does not "
            "say which of qwen2-vl, qwen2.5-vl, qwen3-vl it is for") in out.stdout
    strict = _datakit(folder, "validate", "--no-cache", "--strict", "plain.jsonl")
    assert strict.returncode == 1


def test_config_keys_and_their_ranges(folder: Path) -> None:
    (folder / "pyproject.toml").write_text(
        '[tool.datakit]\ntarget = "qwen2-vl"\nframework = "llama-factory"\nmax-len = 1024\n',
        encoding="utf-8")
    out = _datakit(folder, "validate", "--no-cache", "--format", "json", "plain.jsonl")
    notice = json.loads(out.stdout)["findings"][0]
    assert notice["code"] == "F010"
    assert notice["message"].startswith("checked as Qwen2-VL data for LLaMA-Factory (sharegpt "
                                        "layout, cut length 1,024 tokens)")
    (folder / "pyproject.toml").write_text('[tool.datakit]\ntarget = "qwen4-vl"\n',
                                           encoding="utf-8")
    bad = _datakit(folder, "validate", "--no-cache", "plain.jsonl")
    assert bad.returncode == 2
    assert ("[tool.datakit] target must be one of auto, qwen-vl, qwen2-vl, qwen2.5-vl, "
            "qwen3-vl, not 'qwen4-vl'") in bad.stderr
    assert "Traceback" not in bad.stderr


def test_framework_with_qwen_vl_is_a_usage_error(folder: Path) -> None:
    out = _datakit(folder, "validate", "--target", "qwen-vl", "--framework", "ms-swift",
                   "plain.jsonl")
    assert out.returncode == 2
    assert "Qwen-VL v1 has its own finetune.py" in out.stderr


def test_tokens_for_a_family_target(folder: Path) -> None:
    out = _datakit(folder, "tokens", "--format", "jsonl", "--max-len", "1024", "two.json")
    assert out.returncode == 1, out.stderr  # the cut inside picture 2 stops training
    row = json.loads(out.stdout)
    assert (row["target"], row["framework"], row["image_pads"]) == (
        "qwen2-vl", "llama-factory", [729, 729])
    assert (row["truncated"], row["cut_at"], row["cut"], row["cut_picture"],
            row["cut_in_image"]) == (True, 1024, "inside-image-pads", 1, True)
    assert row["tokens"] > 1024
    fits = _datakit(folder, "tokens", "--format", "jsonl", "two.json")
    assert fits.returncode == 0
    assert json.loads(fits.stdout)["cut"] is None


def test_tokens_refuse_to_guess_the_model(folder: Path) -> None:
    out = _datakit(folder, "tokens", "plain.jsonl")
    assert out.returncode == 2
    assert "does not say which of qwen2-vl, qwen2.5-vl, qwen3-vl" in out.stderr
    assert "fix: pass --target (qwen2-vl or qwen2.5-vl or qwen3-vl)" in out.stderr
    chosen = _datakit(folder, "tokens", "--format", "jsonl", "--target", "qwen3-vl",
                      "plain.jsonl")
    assert chosen.returncode == 0, chosen.stderr
    row = json.loads(chosen.stdout)
    assert (row["target"], row["framework"], row["images"]) == ("qwen3-vl", "ms-swift", 1)
