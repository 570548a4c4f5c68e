"""Real files from other projects, and the Qwen-VL README's own samples, behave as their
content says."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from datakit.validation.engine import validate_files
from datakit.validation.settings import Settings

TESTS = Path(__file__).resolve().parent.parent
THIRD_PARTY = TESTS / "io" / "data"  # real files from other projects (see its NOTICE.md)


def _codes(path: Path, **overrides: object) -> Counter[str]:
    settings = Settings(jobs=1, cache=False).with_overrides(**overrides)
    return Counter(f.code for f in validate_files([str(path)], settings).findings)


def test_qwen_vl_readme_samples_have_no_errors_without_image_files() -> None:
    # identity_1's image is a URL (never fetched) and identity_2's local images are not shipped.
    report = validate_files([str(TESTS / "vectors" / "qwen_vl_readme.json")],
                            Settings(jobs=1, cache=False, images="none"))
    assert [(f.code, f.severity.value) for f in report.findings] == []


def test_qwen_vl_readme_samples_with_image_files() -> None:
    codes = _codes(TESTS / "vectors" / "qwen_vl_readme.json", images="header")
    assert codes == Counter({"I003": 2, "I010": 1})


def test_ms_swift_system_turn_is_an_unknown_role() -> None:
    # Line 1 starts with {"from": "system"}: Qwen-VL's trainer raises KeyError: 'system'.
    assert _codes(THIRD_PARTY / "ms_swift_conversations.jsonl") == Counter({"S005": 1, "S007": 3})


def test_llama_factory_messages_are_not_conversations() -> None:
    # "messages" instead of "conversations", and no ids, on each of its six records; the
    # layout is named (X003) and its "images" are never shown (X002)
    assert _codes(THIRD_PARTY / "llama_factory_mllm_demo.json") == Counter(
        {"S002": 6, "S007": 6, "X003": 6, "X002": 6})
