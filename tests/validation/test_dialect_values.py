"""X001, X004, X005: other dialects' markup inside a value is named, v1 text is left alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from datakit.findings import Finding
from datakit.validation.engine import validate_files
from datakit.validation.rules import dialect
from datakit.validation.rules.dialect_signs import VALUE_SIGNS
from datakit.validation.settings import Settings

QWEN2 = "Qwen2-VL / Qwen2.5-VL / Qwen3-VL"
LLAVA = "LLaVA / LLaMA-Factory / ms-swift / InternVL / qwen-vl-finetune"
QUESTION = "Picture 1: <img>img/ok.jpg</img>\nWhere is the dog?"


def _findings(tmp_path: Path, question: str, answer: str) -> list[Finding]:
    record = {"id": "a", "conversations": [{"from": "user", "value": question},
                                           {"from": "assistant", "value": answer}]}
    path = tmp_path / "d.json"
    path.write_text(json.dumps([record]), encoding="utf-8")
    settings = Settings(jobs=1, cache=False, images="none", select=("X",))
    return validate_files([str(path)], settings).findings


# (user value, assistant value, code, dialect, char offset of the first sign)
SIGNS = [
    ("<image>\nWhere is the dog?", "On the sofa.", "X001", LLAVA, 0),
    ("Where is the dog?<video>", "On the sofa.", "X001", LLAVA, 17),
    ("<|vision_start|><|image_pad|><|vision_end|>Where?", "Here.", "X001", QWEN2, 0),
    ("<|vision_start|><|video_pad|><|vision_end|>What happens?", "It runs.", "X001", QWEN2, 0),
    ("<|image|>Where is the dog?", "On the sofa.", "X001", "Llama 3.2 Vision / mPLUG-Owl3", 0),
    ("<|image_1|>\nWhere is the dog?", "On the sofa.", "X001", "Phi-3-vision", 0),
    ("Compare <image 1> and <image 2>.", "The first.", "X001", "MMMU-style numbered", 8),
    ("<Img><ImageHere></Img> Where?", "Here.", "X001", "MiniGPT-4 / MiniGPT-v2", 0),
    ("<image_placeholder>Where?", "Here.", "X001", "DeepSeek-VL", 0),
    ("Picture 1: <img><IMG_CONTEXT><IMG_CONTEXT></img>\nWhere?", "Here.", "X001",
     "InternVL (expanded)", 16),
    ("<fake_token_around_image>Where?", "Here.", "X001", "Idefics", 0),
    (QUESTION, "<|object_ref_start|>the dog<|object_ref_end|><|box_start|>(10,20),(500,600)"
               "<|box_end|>", "X004", "Qwen2-VL", 0),
    ("Where is <|object_ref_start|>the dog<|object_ref_end|>?", "<box>(1,2),(3,4)</box>",
     "X004", "Qwen2-VL", 9),
    (QUESTION, "<|ref|>the dog<|/ref|><|det|>[[10, 20, 500, 600]]<|/det|>", "X004",
     "DeepSeek-VL2", 0),
    (QUESTION, "<loc0256><loc0128><loc0512><loc0640> dog ; <loc0001><loc0002><loc0003>"
               "<loc0004> dog", "X004", "PaliGemma", 0),
    (QUESTION, "dog<loc_52><loc_332><loc_932><loc_774>", "X004", "Florence-2", 3),
    (QUESTION, "<grounding><phrase> a dog</phrase><object><patch_index_0044>"
               "<patch_index_0863></object>", "X004", "Kosmos-2", 42),
    (QUESTION, "[grounding] the dog {<10><20><50><60>}", "X004", "MiniGPT-v2", 20),
    (QUESTION, "<ref>the dog</ref><box>[[10, 20, 500, 600]]</box>", "X004", "InternVL", 18),
    ("Find <ref-object> in the picture.", "There.", "X004", "ms-swift placeholder", 5),
    (QUESTION, '<point x="61.5" y="40.2" alt="dog">dog</point>', "X004", "Molmo point", 0),
    (QUESTION, '[{"bbox_2d": [12, 30, 200, 180], "label": "dog"}]', "X005",
     "Qwen2.5-VL / Qwen3-VL JSON", 3),
    (QUESTION, '```json\n{"point_2d": [120, 300], "label": "dog"}\n```', "X005",
     "Qwen2.5-VL / Qwen3-VL JSON", 10),
    (QUESTION, "The dog [[086,540,400,760]] sits on the sofa [[000,300,999,999]].", "X005",
     "CogVLM", 8),
]


@pytest.mark.parametrize(("question", "answer", "code", "dialect_name", "offset"), SIGNS,
                         ids=[f"{s[2]}-{s[3]}-{i}" for i, s in enumerate(SIGNS)])
def test_each_sign_names_its_dialect(tmp_path: Path, question: str, answer: str, code: str,
                                     dialect_name: str, offset: int) -> None:
    findings = _findings(tmp_path, question, answer)
    ours = [f for f in findings if f.data.get("dialect") == dialect_name]
    assert [f.code for f in ours] == [code]
    assert ours[0].location.char_offset == offset
    assert dialect_name in ours[0].message


def test_every_sign_has_an_example_above() -> None:
    # a sign without an example could also be missed by the pre-check in dialect.check
    assert {sign.dialect for sign in VALUE_SIGNS} == {s[3] for s in SIGNS}


def test_one_finding_per_dialect_and_value_with_the_count(tmp_path: Path) -> None:
    answer = ('[{"bbox_2d": [12, 30, 200, 180], "label": "dog"}, '
              '{"bbox_2d": [1, 3, 20, 18], "label": "cat"}]')
    (finding,) = _findings(tmp_path, QUESTION, answer)
    assert finding.code == "X005"
    assert finding.location.json_path == "$[0].conversations[1].value"
    assert finding.message == (
        "'bbox_2d' is Qwen2.5-VL / Qwen3-VL JSON markup (2 in this value); Qwen-VL v1 learns "
        "it as plain text, not as a box; write <ref>TEXT</ref><box>(x1,y1),(x2,y2)</box>; "
        "Qwen2.5-VL's bbox_2d are pixels of the resized image, Qwen3-VL's are 0..1000"
    )


def test_qwen2_image_markup_is_one_finding(tmp_path: Path) -> None:
    (finding,) = _findings(tmp_path, "<|vision_start|><|image_pad|><|vision_end|>Where?", "x")
    assert finding.message == (
        "'<|vision_start|><|image_pad|><|vision_end|>' is Qwen2-VL / Qwen2.5-VL / Qwen3-VL "
        "markup; Qwen-VL v1 reads it as plain text and shows no image; write "
        "'Picture N: <img>PATH</img>\\n' in its place"
    )


def test_two_dialects_in_one_value_are_two_findings(tmp_path: Path) -> None:
    findings = _findings(tmp_path, "<image>\nFind the dog.",
                         "<|box_start|>(1,2),(3,4)<|box_end|> and {\"bbox_2d\": [1, 2, 3, 4]}")
    assert [(f.code, f.data["dialect"]) for f in findings] == [
        ("X001", LLAVA), ("X004", "Qwen2-VL"), ("X005", "Qwen2.5-VL / Qwen3-VL JSON")]


CLEAN = [
    (QUESTION, "<ref>the dog</ref><box>(10,20),(500,600)</box><box>(1,2),(3,4)</box>"),
    ("Picture 1: <img>img/ok.jpg</img>\nPicture 2: <img>img/b.png</img>\nRead it.",
     "<ref>text</ref><quad>(1,2),(3,4),(5,6),(7,8)</quad>"),
    ("Is x < 5 when y > 3? And 2<3, a <-> b, I <3 dogs.", "Yes: x<y<z."),
    ("What does <html><body> do? And <b>bold</b>, <image/>?", "They are HTML tags."),
    ('Give the list [1, 2, 3, 4] and matrix [[1, 2], [3, 4]].', "[[1, 2], [3, 4]] and [[1,2,3,4]]"),
    ("What is a conv_2d layer? And bbox_2dx or my_bbox_2d_list?", "A 2d convolution."),
    ("Explain <location> and <locate> and <imagery>.", "Words in brackets."),
    ('What is {"box": [1, 2]} and {<a>}?', "JSON and braces."),
    ("图中<ref>红色的猫</ref>在哪里？", "<ref>红色的猫</ref><box>(0,0),(999,999)</box>"),
]


@pytest.mark.parametrize(("question", "answer"), CLEAN, ids=[str(i) for i in range(len(CLEAN))])
def test_ordinary_v1_text_is_not_a_dialect(tmp_path: Path, question: str, answer: str) -> None:
    assert _findings(tmp_path, question, answer) == []


def test_clean_values_never_reach_the_slow_path(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # The per-value cost on a clean record is the pre-check alone: the sign search and the
    # record look-up must not run for v1 text and {"id", "conversations"} records.
    def fail(*args: object) -> None:
        raise AssertionError("slow path reached")

    monkeypatch.setattr(dialect, "_report_value", fail)
    monkeypatch.setattr(dialect, "_check_record", fail)
    samples = Path(__file__).resolve().parent.parent.parent / "samples"
    for question, answer in CLEAN[:2] + CLEAN[-1:]:
        assert _findings(tmp_path, question, answer) == []
    settings = Settings(jobs=1, cache=False, images="none", select=("X",))
    report = validate_files([str(samples / "grounding.json"), str(samples / "grounding.jsonl")],
                            settings)
    assert report.findings == []
