"""Qwen-family targets through ``validate_files``: target resolution, the X rules both ways,
boxes on the wrong scale, cuts through image pads, and v1 files untouched by ``auto``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from datakit.findings import Finding
from datakit.validation.engine import validate_files
from datakit.validation.settings import Settings

QWEN2_BOX = "<|object_ref_start|>the dog<|object_ref_end|><|box_start|>(10,20),(500,600)<|box_end|>"


def _json_box(*coords: int) -> str:
    return json.dumps([{"bbox_2d": list(coords), "label": "dog"}])


def _swift(answer: str, image: str = "pic.jpg", user: str = "<image>Where is the dog?") -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": user},
                         {"role": "assistant", "content": answer}], "images": [image]}


def _sharegpt(answer: str, images: list[str], user: str) -> dict[str, Any]:
    return {"conversations": [{"from": "human", "value": user}, {"from": "gpt", "value": answer}],
            "images": images}


def _finetune(answer: str, image: str = "pic.jpg") -> dict[str, Any]:
    return {"image": image, "conversations": [
        {"from": "human", "value": "<image>\nWhere is the dog?"}, {"from": "gpt", "value": answer}]}


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (640, 427), (90, 120, 30)).save(tmp_path / "pic.jpg")
    Image.new("RGB", (1000, 1000), (10, 20, 30)).save(tmp_path / "big.jpg")
    Image.new("RGB", (6000, 20), (10, 20, 30)).save(tmp_path / "strip.png")
    return tmp_path


def _run(folder: Path, records: list[Any], **settings: Any) -> list[Finding]:
    path = folder / "d.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    chosen = Settings(jobs=1, cache=False, base_dir=str(folder)).with_overrides(**settings)
    return validate_files([str(path)], chosen).findings


def _codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


# -- resolution ------------------------------------------------------------------------------

@pytest.mark.parametrize(("record", "framework", "layout"), [
    (_swift(QWEN2_BOX), "ms-swift", "ms-swift"),
    (_sharegpt(QWEN2_BOX, ["pic.jpg"], "<image>Where is the dog?"), "llama-factory", "sharegpt"),
    (_finetune(QWEN2_BOX), "qwen-vl-finetune", "qwen-vl-finetune"),
])
def test_auto_names_each_layout_and_the_model_its_markup_says(
        folder: Path, record: dict[str, Any], framework: str, layout: str) -> None:
    findings = _run(folder, [record], target="auto")
    assert _codes(findings) == ["F010"]
    notice = findings[0]
    assert notice.data == {"model": "qwen2-vl", "framework": framework, "max_len": notice.data[
        "max_len"]}
    assert notice.message.startswith("checked as Qwen2-VL data for ")
    assert f"({layout} layout, cut length" in notice.message
    assert "the markup is qwen2-vl's" in notice.message


def test_auto_without_boxes_says_it_cannot_tell_and_skips_tokens(folder: Path) -> None:
    long_answer = "dog " * 3000  # far past any cut length: still no token finding
    findings = _run(folder, [_swift(long_answer)], target="auto")
    assert _codes(findings) == ["F010", "F011"]
    ambiguous = findings[1]
    assert ambiguous.severity.value == "warning"
    assert ambiguous.fix == "pass --target (qwen2-vl or qwen2.5-vl or qwen3-vl)"


def test_auto_with_json_boxes_below_1000_leaves_two_candidates(folder: Path) -> None:
    findings = _run(folder, [_swift(_json_box(10, 20, 300, 200))], target="auto")
    assert _codes(findings) == ["F010", "F011"]
    assert findings[1].data == {"candidates": ["qwen2.5-vl", "qwen3-vl"]}


def test_auto_keeps_v1_files_exactly(folder: Path) -> None:
    v1 = [{"id": "a", "image": "pic.jpg", "conversations": [
        {"from": "user", "value": "<image>\nWhat is it?"}, {"from": "assistant", "value": "x"}]},
          {"id": "b", "conversations": [{"from": "human", "value": "hi"},
                                        {"from": "assistant", "value": "<box>(1,2),(3,1000)</box>"}]}]
    assert _run(folder, v1, target="auto") == _run(folder, v1)


def test_framework_default_cut_length_and_an_explicit_one(folder: Path) -> None:
    record = _finetune(QWEN2_BOX)
    assert _run(folder, [record], target="auto")[0].data["max_len"] == 8192
    assert _run(folder, [record], target="auto", max_len=4096)[0].data["max_len"] == 4096


# -- X rules both ways -----------------------------------------------------------------------

def test_explicit_qwen_vl_keeps_flagging_other_dialects(folder: Path) -> None:
    codes = _codes(_run(folder, [_swift(QWEN2_BOX)], target="qwen-vl", images="none"))
    assert "X003" in codes and "F010" not in codes


def test_v1_data_under_a_family_target_is_an_error(folder: Path) -> None:
    v1 = [{"id": "a", "conversations": [
        {"from": "user", "value": "Picture 1: <img>pic.jpg</img>\nWhere is the dog?"},
        {"from": "assistant", "value": "<ref>the dog</ref><box>(10,20),(500,600)</box>"}]}]
    findings = _run(folder, v1, target="qwen2.5-vl")
    x006 = [f for f in findings if f.code == "X006"]
    assert [(f.location.json_path, f.location.char_offset) for f in x006] == [
        ("$[0].conversations[0].value", 11), ("$[0].conversations[1].value", 0)]
    assert all(f.severity.value == "error" for f in x006)


def test_qwen2_tags_in_a_qwen25_json_file_are_an_error(folder: Path) -> None:
    findings = _run(folder, [_swift(QWEN2_BOX)], target="qwen2.5-vl", framework="ms-swift")
    x007 = [f for f in findings if f.code == "X007"]
    assert len(x007) == 1
    assert x007[0].message.startswith("'<|object_ref_start|>' (4 in this text) is Qwen2-VL")
    assert x007[0].location.json_path == "$[0].messages[1].content"


def test_json_boxes_in_a_qwen2_file_are_an_error(folder: Path) -> None:
    codes = _codes(_run(folder, [_swift(_json_box(10, 20, 300, 200))], target="qwen2-vl"))
    assert "X007" in codes


def test_literal_special_token_in_text(folder: Path) -> None:
    findings = _run(folder, [_swift("A dog.<|im_end|>")], target="qwen3-vl")
    t006 = [f for f in findings if f.code == "T006"]
    assert [(f.location.json_path, f.location.char_offset) for f in t006] == [
        ("$[0].messages[1].content", 6)]


# -- structure, placeholders, images ---------------------------------------------------------

def test_image_count_and_image_in_answer(folder: Path) -> None:
    record = _finetune("<image>\nA dog.")
    codes = _codes(_run(folder, [record], target="qwen2-vl"))
    assert "P005" in codes and "P006" in codes


def test_missing_listed_image_is_i003_at_its_list_item(folder: Path) -> None:
    findings = _run(folder, [_swift(QWEN2_BOX, image="nope.jpg")], target="qwen2-vl")
    missing = [f for f in findings if f.code == "I003"]
    assert [f.location.json_path for f in missing] == ["$[0].images[0]"]


@pytest.mark.parametrize(("framework", "expected"), [
    ("qwen-vl-finetune", True), ("ms-swift", True), ("llama-factory", False)])
def test_extreme_aspect_is_refused_by_the_processor(folder: Path, framework: str,
                                                    expected: bool) -> None:
    record = (_swift("A strip.", image="strip.png") if framework == "ms-swift" else
              _finetune("A strip.", image="strip.png"))
    codes = _codes(_run(folder, [record], target="qwen2-vl", framework=framework))
    assert ("I012" in codes) is expected


# -- boxes on the target's scale -------------------------------------------------------------

def test_qwen25_with_grid_boxes_is_an_error(folder: Path) -> None:
    # pic.jpg 640x427 is 644x420 after Qwen2.5-VL's resize: 0..1000 boxes go past it
    records = [_swift(_json_box(100, 150, 900, 800)) for _ in range(10)]
    findings = _run(folder, records, target="qwen2.5-vl", framework="ms-swift")
    b007 = [f for f in findings if f.code == "B007"]
    assert len(b007) == 10
    assert b007[0].message == (
        "box [100, 150, 900, 800] goes past the resized picture (644x420 px, from 640x427) "
        "(900); values up to 1000 on a smaller picture look like the 0..1000 grid of "
        "Qwen2-VL/Qwen3-VL")
    assert "B008" in _codes(findings)


def test_qwen3_with_resized_pixel_boxes_is_an_error(folder: Path) -> None:
    records = [_swift(_json_box(10, 20, 600, 400)), _swift(_json_box(40, 30, 300, 410))] * 5
    findings = _run(folder, records, target="qwen3-vl", framework="ms-swift")
    assert _codes(findings).count("B007") == 0
    scale = [f for f in findings if f.code == "B008"]
    assert len(scale) == 1
    assert scale[0].message.startswith("all 10 boxes on 10 records stay within their picture's "
                                       "resized size and reach its far edge: they are resized "
                                       "pixels (Qwen2.5-VL's scale)")


def test_qwen3_grid_boxes_are_clean(folder: Path) -> None:
    records = [_swift(_json_box(10, 20, 900, 950)), _swift(_json_box(40, 30, 300, 410))] * 3
    codes = _codes(_run(folder, records, target="qwen3-vl", framework="ms-swift"))
    assert "B007" not in codes and "B008" not in codes


def test_qwen_vl_finetune_readme_grounding_example(folder: Path) -> None:
    # The grounding instance of QwenLM/Qwen3-VL qwen-vl-finetune/README.md (Apache-2.0),
    # its answer written as the JSON string it stands for; the COCO picture is 640 px wide.
    Image.new("RGB", (640, 427)).save(folder / "COCO_train2014_000000580957.jpg")
    record = {"image": "COCO_train2014_000000580957.jpg", "conversations": [
        {"from": "human", "value": "<image>\nLocate house in this image and output the bbox "
                                   "coordinates in JSON format."},
        {"from": "gpt", "value": '{\n"bbox_2d": [135, 114, 1016, 672]\n}'}]}
    for target in ("qwen2.5-vl", "qwen3-vl"):
        findings = _run(folder, [record], target=target)
        b007 = [f for f in findings if f.code == "B007"]
        assert len(b007) == 1, (target, _codes(findings))
        assert "1016" in b007[0].message
        assert b007[0].location.json_path == "$[0].conversations[1].value"


def test_swapped_corners_and_negative_values(folder: Path) -> None:
    codes = _codes(_run(folder, [_swift(_json_box(300, 20, 100, 200)),
                                 _swift(_json_box(-3, 20, 100, 200))], target="qwen3-vl"))
    assert codes == ["F010", "B003", "T005"]  # the markup reader refuses a negative value


# -- tokens ----------------------------------------------------------------------------------

def test_llama_factory_cutoff_1024_cuts_the_second_image(folder: Path) -> None:
    # LLaMA-Factory #5964: two pictures, cutoff_len 1024; 1000x1000 costs 729 pads each
    record = _sharegpt(QWEN2_BOX, ["big.jpg", "big.jpg"], "<image><image>Compare them.")
    findings = _run(folder, [record], target="qwen2-vl", max_len=1024)
    cut = [f for f in findings if f.code == "K005"]
    assert len(cut) == 1, _codes(findings)
    assert "picture 2" in cut[0].message
    assert "Image features and image tokens do not match" in cut[0].message
    assert cut[0].fix.startswith("Raise the cut length")
    assert "K005" not in _codes(_run(folder, [record], target="qwen2-vl", max_len=2048))


def test_ms_swift_delete_and_raise(folder: Path) -> None:
    record = _swift("dog " * 600)
    assert "K008" in _codes(_run(folder, [record], target="qwen2-vl", max_len=512))
    raised = _run(folder, [record], target="qwen2-vl", max_len=512, truncation_strategy="raise")
    assert "K009" in _codes(raised)
