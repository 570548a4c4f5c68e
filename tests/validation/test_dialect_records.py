"""X002, X003: records laid out for another framework, and images the trainer never shows."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from datakit.findings import Finding
from datakit.validation.engine import validate_files
from datakit.validation.rules.dialect_signs import any_string_has
from datakit.validation.settings import Settings

TESTS = Path(__file__).resolve().parent.parent
ROOT = TESTS.parent
DIALECTS = TESTS / "data" / "dialects"  # see its NOTICE.md
THIRD_PARTY = TESTS / "io" / "data"  # see its NOTICE.md

ASK = "<image>\nWhat is in the picture?"


def _turns(user: str = "What is in the picture?", answer: str = "A dog.",
           roles: tuple[str, str] = ("user", "assistant")) -> list[dict[str, str]]:
    return [{"from": roles[0], "value": user}, {"from": roles[1], "value": answer}]


def _findings(tmp_path: Path, records: list[Any], name: str = "d.json") -> list[Finding]:
    path = tmp_path / name
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return validate_files([str(path)], Settings(jobs=1, cache=False, images="none")).findings


def _x(findings: list[Finding]) -> list[tuple[str, str | None]]:
    return [(f.code, f.data.get("dialect")) for f in findings if f.code.startswith("X")]


SHAREGPT = ("human", "gpt")
LAYOUTS: list[tuple[str, dict[str, Any], list[tuple[str, str | None]]]] = [
    ("llava", {"id": "a", "image": "img/x.jpg", "conversations": _turns(ASK, roles=SHAREGPT)},
     [("X003", "LLaVA / InternVL / qwen-vl-finetune"), ("X002", None),
      ("X001", "LLaVA / LLaMA-Factory / ms-swift / InternVL / qwen-vl-finetune")]),
    ("llava-roles-fixed", {"id": "a", "image": "img/x.jpg", "conversations": _turns(ASK)},
     [("X002", None), ("X001", "LLaVA / LLaMA-Factory / ms-swift / InternVL / qwen-vl-finetune")]),
    ("llava-placeholder-dropped", {"id": "a", "image": "img/x.jpg", "conversations": _turns()},
     [("X002", None)]),
    ("image-url", {"id": "a", "image_url": "https://example.com/x.jpg",
                   "conversations": _turns()}, [("X002", None)]),
    ("llama-factory-sharegpt",
     {"conversations": _turns("What is in the picture?<video>", roles=SHAREGPT),
      "videos": ["v/1.mp4"]},
     [("X003", "LLaMA-Factory sharegpt"), ("X002", None),
      ("X001", "LLaVA / LLaMA-Factory / ms-swift / InternVL / qwen-vl-finetune")]),
    ("messages", {"messages": [{"role": "user", "content": ASK},
                               {"role": "assistant", "content": "A dog."}],
                  "images": ["img/x.jpg"]},
     [("X003", "ms-swift / LLaMA-Factory / OpenAI"), ("X002", None)]),
    ("typed-parts", {"messages": [
        {"role": "user", "content": [{"type": "image", "image": "img/x.jpg"},
                                     {"type": "text", "text": "What is in the picture?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "A dog."}]}]},
     [("X003", "OpenAI / Qwen2-VL chat")]),
    ("conversations-role-content", {"conversations": [
        {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]},
     [("X003", "LLaMA-Factory sharegpt with OpenAI tags")]),
    ("conversations-typed-values", {"id": "a", "conversations": [
        {"from": "user", "value": [{"type": "text", "text": "Hi"}]},
        {"from": "assistant", "value": "Hello"}]},
     [("X003", "OpenAI / Qwen2-VL chat")]),
    ("ms-swift-grounding", {
        "messages": [{"role": "user", "content": "<image>Find <ref-object>"},
                     {"role": "assistant", "content": "<bbox>"}],
        "images": ["img/x.jpg"],
        "objects": {"ref": ["dog"], "bbox": [[90.9, 160.8, 135, 212.8]]}},
     [("X003", "ms-swift (grounding)"), ("X002", None)]),
    ("ms-swift-objects-with-conversations", {
        "id": "a", "conversations": _turns("Picture 1: <img>img/x.jpg</img>\nFind the dog"),
        "objects": {"ref": ["dog"], "bbox": [[1, 2, 3, 4]]}},
     [("X003", "ms-swift (grounding)")]),
    ("query-response", {"query": "What?", "response": "A dog.", "images": ["img/x.jpg"]},
     [("X003", "ms-swift (query/response)"), ("X002", None)]),
    ("alpaca", {"instruction": "Describe", "input": "", "output": "A dog."},
     [("X003", "Alpaca (LLaMA-Factory alpaca)")]),
    # Not a dialect: S005 already says all there is to say, with the hint.
    ("sharegpt-text-only", {"id": "a", "conversations": _turns(roles=SHAREGPT)}, []),
    # v1 records that keep their image list as metadata beside the <img> they show
    ("v1-with-image-key", {"id": "a", "image": "img/x.jpg",
                           "conversations": _turns("Picture 1: <img>img/x.jpg</img>\nWhat?")},
     []),
    ("v1-with-empty-images", {"id": "a", "images": [], "image": "",
                              "conversations": _turns()}, []),
    ("v1-with-other-keys", {"id": "a", "source": "coco", "image_id": 139, "width": 640,
                            "conversations": _turns()}, []),
]


@pytest.mark.parametrize(("record", "expected"), [(r, e) for _, r, e in LAYOUTS],
                         ids=[n for n, _, _ in LAYOUTS])
def test_layouts(tmp_path: Path, record: dict[str, Any],
                 expected: list[tuple[str, str | None]]) -> None:
    assert sorted(_x(_findings(tmp_path, [record])), key=str) == sorted(expected, key=str)


def test_layout_message_says_how_to_convert(tmp_path: Path) -> None:
    record = {"messages": [{"role": "user", "content": "Hi"}], "images": ["a.jpg", "b.jpg"]}
    findings = sorted((f for f in _findings(tmp_path, [record]) if f.code.startswith("X")),
                      key=lambda f: f.code, reverse=True)
    assert [(f.code, f.location.json_path, f.message) for f in findings] == [
        ("X003", "$[0].messages",
         "record has \"messages\" with \"role\"/\"content\": the ms-swift / LLaMA-Factory / "
         "OpenAI layout, not Qwen-VL v1's; rename \"messages\" to \"conversations\" and "
         "\"role\"/\"content\" to \"from\"/\"value\" (roles \"user\"/\"assistant\", no \"system\" "
         "turns), and write each image into its user turn as 'Picture N: <img>PATH</img>\\n'"),
        ("X002", "$[0].images",
         "\"images\" lists 2 images but no value has <img>PATH</img>: Qwen-VL v1's trainer never "
         "shows them; write each into its user turn as 'Picture N: <img>PATH</img>\\n'"),
    ]
    assert findings[1].data == {"key": "images", "images": 2}


def test_img_elsewhere_in_a_foreign_record_counts_as_shown(tmp_path: Path) -> None:
    # ms-swift's query/response with the image written inline, v1 style: only the layout
    record = {"query": "<img>a.jpg</img>What?", "response": "A dog.", "image": "a.jpg"}
    assert _x(_findings(tmp_path, [record])) == [("X003", "ms-swift (query/response)")]


def test_any_string_has_walks_deep_records_without_recursion() -> None:
    nested: Any = "<img>a.jpg</img>"
    for _ in range(5000):
        nested = [{"k": nested}]
    assert any_string_has({"query": nested, "images": ["<img>"]}, "<img>", frozenset({"images"}))
    assert not any_string_has({"query": [[["q"]]], "images": ["<img>"]}, "<img>",
                              frozenset({"images"}))


def _codes(path: Path) -> Counter[str]:
    settings = Settings(jobs=1, cache=False, images="none")
    return Counter(f.code for f in validate_files([str(path)], settings).findings)


def test_llama_factory_demo_file() -> None:
    # six "messages" records with "images" and <image> placeholders
    codes = _codes(THIRD_PARTY / "llama_factory_mllm_demo.json")
    assert codes == Counter({"S002": 6, "S007": 6, "X003": 6, "X002": 6})


def test_ms_swift_query_response_files() -> None:
    # images listed beside the text: never shown
    assert _codes(DIALECTS / "ms_swift_multi_modal_2.jsonl") == Counter(
        {"S002": 3, "S007": 3, "X003": 3, "X002": 3})
    # images written inline as <img>URL</img>: only the layout is foreign
    assert _codes(DIALECTS / "ms_swift_multi_modal_1.jsonl") == Counter(
        {"S002": 3, "S007": 3, "X003": 3})


def test_llava_caption_table_images_are_never_shown() -> None:
    codes = _codes(THIRD_PARTY / "llava_caps_boxes_coco2014_val_80.jsonl")
    assert codes == Counter({"S002": 80, "X002": 80})


def _v1_files() -> list[str]:
    golden = TESTS / "golden"
    files = [ROOT / "samples" / "grounding.json", ROOT / "samples" / "grounding.jsonl",
             TESTS / "vectors" / "qwen_vl_readme.json"]
    for folder in (golden / "coco", golden / "refcoco"):
        files += [p for p in sorted(folder.glob("*.json*"))
                  if not p.name.endswith((".tally.json", ".report.json", ".holdout.json"))]
    return [str(p) for p in files]


def test_v1_data_converted_from_real_coco_stays_clean() -> None:
    files = _v1_files()
    assert len(files) > 10
    settings = Settings(jobs=1, cache=False, images="none", select=("X",))
    assert validate_files(files, settings).findings == []


def test_issue_case_roles_fixed_fails_through_the_cli(tmp_path: Path) -> None:
    # LLaVA data after renaming human/gpt as S005 suggests: it used to be clean.
    record = {"id": "a", "image": "img/x.jpg", "conversations": _turns(ASK)}
    (tmp_path / "d.json").write_text(json.dumps([record]), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "datakit", "validate", "--no-cache", "--images", "none",
         "--format", "json", "d.json"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert out.returncode == 1, out.stderr
    report = json.loads(out.stdout)
    assert [f["code"] for f in report["findings"]] == ["X001", "X002"]
