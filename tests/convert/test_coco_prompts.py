"""Prompt sets: template checks up front, template files, the seeded per-sample pick."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from datakit.convert.coco_prompts import BUILTIN, SLOTS
from datakit.convert.prompts import (
    PromptSet,
    SlotSpec,
    load_prompt_file,
    placeholders,
    prompt_set_from_data,
    required_languages,
)
from datakit.errors import ConfigError

GROUNDING = {"grounding": SlotSpec(required=frozenset({"category"}))}


def test_the_builtin_sets_pass_their_own_checks() -> None:
    BUILTIN.check(SLOTS, ["en", "zh"])
    assert BUILTIN.languages("grounding") == ["en", "zh"]


@pytest.mark.parametrize(
    "template,message",
    [
        ("Where {}", "positional fields ({} or {0}) are not allowed; use {name}"),
        ("Where {0}", "positional fields ({} or {0}) are not allowed; use {name}"),
        ("{category!r}", "{category} has a conversion or format spec; write just {category}"),
        ("{category:>9}", "{category} has a conversion or format spec; write just {category}"),
        ("{category.name}", "{category.name} is not a plain name"),
        ("{category", "expected '}' before end of string"),
    ],
)
def test_placeholders_rejects_anything_but_plain_names(template: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        placeholders(template)
    assert str(info.value) == message


def test_placeholders_reads_names_and_literal_braces() -> None:
    assert placeholders("{{x}} {category} and {category}") == ["category", "category"]


@pytest.mark.parametrize(
    "template,message,fix",
    [
        ("Where?", "f.json: [grounding] en template 1 ('Where?') does not use {category}",
         "every grounding template must contain {category}"),
        ("{cat}?", "f.json: [grounding] en template 1 ('{cat}?'): unknown placeholder {cat}",
         "placeholders allowed: {category}"),
        ("  ", "f.json: [grounding] en template 1 ('  ') is empty", "write the question text"),
        ("<img>{category}", "f.json: [grounding] en template 1 ('<img>{category}') contains "
         "<img>, which the tokenizer reads as a control token",
         "leave pictures, refs and boxes to the converter; write only the question"),
    ],
)
def test_bad_templates_are_named_with_a_fix(template: str, message: str, fix: str) -> None:
    prompts = PromptSet({"grounding": {"en": (template,)}}, "f.json")
    with pytest.raises(ConfigError) as info:
        prompts.check(GROUNDING, ["en"])
    assert (info.value.message, info.value.fix) == (message, fix)


def test_unknown_slots_and_missing_languages() -> None:
    with pytest.raises(ConfigError) as info:
        PromptSet({"grounding": {"en": ("{category}",)}, "bogus": {}}, "f").check(GROUNDING, ["en"])
    assert info.value.message == "f: unknown prompt slot 'bogus'"
    prompts = PromptSet({"grounding": {"en": ("{category}",)}}, "f")
    with pytest.raises(ConfigError) as info:
        prompts.check(GROUNDING, ["en", "zh"])
    assert info.value.message == (
        "f: no 'zh' template for prompt slot 'grounding' (languages there: en)"
    )
    prompts.check(GROUNDING, ["en", "zh"], used=[])  # not used: no template needed


def test_template_files_in_json_and_toml(tmp_path: Path) -> None:
    data = {"grounding": {"en": ["Show me the {category}."], "fr": "Où est le {category} ?"}}
    as_json = tmp_path / "t.json"
    as_json.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    as_toml = tmp_path / "t.toml"
    as_toml.write_text(
        '[grounding]\nen = ["Show me the {category}."]\nfr = "Où est le {category} ?"\n',
        encoding="utf-8",
    )
    for path in (as_json, as_toml):
        prompts = load_prompt_file(path)
        assert prompts.templates == {
            "grounding": {"en": ("Show me the {category}.",), "fr": ("Où est le {category} ?",)}
        }
        merged = BUILTIN.merged(prompts)
        merged.check(SLOTS, ["fr"], used=["grounding"])
        assert merged.templates["detection"] == BUILTIN.templates["detection"]
        assert merged.source == f"{path} over built-in"


@pytest.mark.parametrize(
    "name,text,message",
    [
        ("bad.json", "{", "bad.json:1:2: not valid JSON (Expecting property name enclosed in "
         "double quotes)"),
        ("bad.toml", "[grounding\n", "bad.toml: not valid TOML (Expected ']' at the end of a "
         "table declaration (at line 1, column 11))"),
        ("list.json", "[]", "list.json: the top level must be a table of prompt slots"),
        ("slot.json", '{"grounding": ["x"]}', "slot.json: [grounding] must be a table of "
         "languages"),
        ("lang.json", '{"grounding": {"english!": ["x"]}}', "lang.json: [grounding] 'english!' "
         "is not a language code"),
        ("items.json", '{"grounding": {"en": [1]}}', "items.json: [grounding] en must be a list "
         "of strings"),
    ],
)
def test_broken_template_files(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_prompt_file(path)
    assert info.value.message == f"{tmp_path}/{message}"


def test_missing_template_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_prompt_file(tmp_path / "none.toml")
    assert info.value.message.startswith(f"cannot read prompt templates {tmp_path}/none.toml")


def test_picks_depend_on_seed_and_key_only() -> None:
    picker = BUILTIN.picker(0, ["en", "zh"])
    keys = [f"coco-{i}-grounding-1" for i in range(2000)]
    picks = [picker.choose("grounding", key) for key in keys]
    again = BUILTIN.picker(0, ["en", "zh"])
    assert [again.choose("grounding", key) for key in reversed(keys)] == picks[::-1]
    other_seed = BUILTIN.picker(1, ["en", "zh"])
    assert [other_seed.choose("grounding", key) for key in keys] != picks
    # Every template is used, and the languages are balanced.
    counts = Counter(picks)
    assert len(counts) == sum(len(t) for t in BUILTIN.templates["grounding"].values())
    languages = Counter(language for language, _ in picks)
    assert 900 < languages["en"] < 1100


def test_one_language_per_sample_across_slots() -> None:
    picker = BUILTIN.picker(5, ["en", "zh"])
    for i in range(200):
        key = f"coco-{i}-caption"
        language = picker.language(key)
        assert picker.choose("caption", key)[0] == language
        assert picker.choose("caption.followup", f"{key}#2", language)[0] == language


def test_render_fills_placeholders() -> None:
    prompts = prompt_set_from_data({"grounding": {"en": ["Find {category} {{not}}"]}}, "x")
    assert prompts.picker(0, ["en"]).render("grounding", "k", category="a {b}") == (
        "Find a {b} {not}"
    )


def test_required_languages() -> None:
    assert required_languages(" en, zh ,en,,") == ["en", "zh"]
