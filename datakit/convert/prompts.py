"""Prompt templates for converters: named slots, several languages, a seeded per-sample pick.

A ``PromptSet`` maps a slot name (``grounding``, ``caption.followup``, ...) to templates per
language. Templates use ``str.format`` placeholders by name only (``{category}``); each
converter declares its slots with ``SlotSpec`` (which placeholders a template must use and
which it may use), and ``PromptSet.check`` rejects anything else before any work starts.

The pick for a sample depends only on the seed and the sample's stable key (its record id, for
example), never on how many picks came before: converting a subset, or the same data in another
order, gives every sample the same prompt.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datakit.errors import ConfigError

# Text that the tokenizer turns into control tokens: a template holding one would break the
# sample's structure (the converter writes every Picture/img/ref/box itself).
SPECIAL_TEXT_RE = re.compile(
    r"<\|(?:endoftext|im_start|im_end|extra_\d+)\|>|</?(?:img|ref|box|quad)>|<imgpad>"
)
_LANGUAGE_RE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")


@dataclass(frozen=True, slots=True)
class SlotSpec:
    """What templates of one slot must contain (``required``) and may contain (``optional``)."""

    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()

    @property
    def allowed(self) -> frozenset[str]:
        return self.required | self.optional


def placeholders(template: str) -> list[str]:
    """Names of the ``{name}`` fields of a template; raises ``ValueError`` on broken braces,
    positional fields, attribute/index access, conversions and format specs."""
    names = []
    for _, field, spec, conversion in string.Formatter().parse(template):
        if field is None:
            continue
        if field == "" or field.isdigit():
            raise ValueError("positional fields ({} or {0}) are not allowed; use {name}")
        if not field.isidentifier():
            raise ValueError(f"{{{field}}} is not a plain name")
        if spec or conversion:
            raise ValueError(f"{{{field}}} has a conversion or format spec; write just {{{field}}}")
        names.append(field)
    return names


@dataclass(frozen=True)
class PromptSet:
    """Templates by slot, then by language: ``templates[slot][language] = (template, ...)``."""

    templates: Mapping[str, Mapping[str, tuple[str, ...]]]
    source: str = "built-in"

    def languages(self, slot: str) -> list[str]:
        return sorted(self.templates.get(slot, {}))

    def merged(self, override: PromptSet) -> PromptSet:
        """This set with every slot that ``override`` defines replaced by the override's."""
        templates = dict(self.templates)
        templates.update(override.templates)
        return PromptSet(templates, f"{override.source} over {self.source}")

    def check(
        self,
        slots: Mapping[str, SlotSpec],
        languages: Sequence[str],
        used: Iterable[str] | None = None,
    ) -> None:
        """Raise ``ConfigError`` naming the first slot, language and template that cannot be
        used: an unknown slot, a broken template (empty, a placeholder missing or not allowed,
        control text), or no template in a selected language for a ``used`` slot (default:
        every slot in ``slots``)."""
        for slot in sorted(self.templates):
            if slot not in slots:
                raise ConfigError(
                    f"{self.source}: unknown prompt slot {slot!r}",
                    fix=f"use one of: {', '.join(sorted(slots))}",
                )
            for language in sorted(self.templates[slot]):
                for number, template in enumerate(self.templates[slot][language], 1):
                    _check_template(self.source, slot, language, number, template, slots[slot])
        if not languages:
            raise ConfigError("no prompt language selected", fix="pass --language, e.g. en")
        for slot in sorted(slots) if used is None else used:
            by_language = self.templates.get(slot, {})
            for language in languages:
                if not by_language.get(language):
                    have = ", ".join(sorted(by_language)) or "none"
                    raise ConfigError(
                        f"{self.source}: no {language!r} template for prompt slot {slot!r} "
                        f"(languages there: {have})",
                        fix=f"add [{slot}] {language} = [...] to the template file, "
                        "or choose another --language",
                    )

    def picker(self, seed: int, languages: Sequence[str]) -> PromptPicker:
        return PromptPicker(self, seed, tuple(languages))


def _check_template(
    source: str, slot: str, language: str, number: int, template: str, spec: SlotSpec
) -> None:
    where = f"{source}: [{slot}] {language} template {number} ({template!r})"
    if not template.strip():
        raise ConfigError(f"{where} is empty", fix="write the question text")
    try:
        names = placeholders(template)
    except ValueError as exc:
        raise ConfigError(
            f"{where}: {exc}", fix="write placeholders as {name}, literal braces as {{ and }}"
        ) from None
    allowed = ", ".join("{" + n + "}" for n in sorted(spec.allowed)) or "none"
    for name in names:
        if name not in spec.allowed:
            raise ConfigError(
                f"{where}: unknown placeholder {{{name}}}", fix=f"placeholders allowed: {allowed}"
            )
    missing = sorted(spec.required - set(names))
    if missing:
        name = missing[0]
        raise ConfigError(
            f"{where} does not use {{{name}}}", fix=f"every {slot} template must contain {{{name}}}"
        )
    special = SPECIAL_TEXT_RE.search(template)
    if special is not None:
        raise ConfigError(
            f"{where} contains {special.group(0)}, which the tokenizer reads as a control token",
            fix="leave pictures, refs and boxes to the converter; write only the question",
        )


class PromptPicker:
    """Seeded choice of language and template per sample key (see the module docstring)."""

    def __init__(self, prompts: PromptSet, seed: int, languages: tuple[str, ...]) -> None:
        self._prompts = prompts
        self._seed = seed
        self._languages = languages
        self._salt = f"{seed}\x00".encode()

    def language(self, key: str) -> str:
        """The sample's language, uniformly among the selected ones (the same for every slot,
        so that all turns of one conversation speak one language)."""
        if len(self._languages) == 1:
            return self._languages[0]
        return self._languages[self._hash("", key) % len(self._languages)]

    def choose(self, slot: str, key: str, language: str | None = None) -> tuple[str, str]:
        """``(language, template)`` for the sample ``key``: the language from ``language(key)``
        unless given, then a template of that language uniformly."""
        if language is None:
            language = self.language(key)
        templates = self._prompts.templates[slot][language]
        if len(templates) == 1:
            return language, templates[0]
        return language, templates[self._hash(slot, key) % len(templates)]

    def render(self, slot: str, key: str, language: str | None = None, **values: str) -> str:
        return self.choose(slot, key, language)[1].format(**values)

    def _hash(self, slot: str, key: str) -> int:
        text = f"{slot}\x00{key}".encode()
        digest = hashlib.blake2b(self._salt + text, digest_size=8).digest()
        return int.from_bytes(digest, "big")


def prompt_set_from_data(data: Any, source: str) -> PromptSet:
    """Build a set from parsed JSON/TOML: ``{slot: {language: [template, ...]}}``."""
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{source}: the top level must be a table of prompt slots",
            fix='write e.g. {"grounding": {"en": ["Where is the {category}?"]}}',
        )
    templates: dict[str, dict[str, tuple[str, ...]]] = {}
    for slot, by_language in data.items():
        if not isinstance(by_language, Mapping):
            raise ConfigError(
                f"{source}: [{slot}] must be a table of languages",
                fix=f'write e.g. [{slot}] en = ["..."]',
            )
        templates[str(slot)] = {}
        for language, items in by_language.items():
            if not _LANGUAGE_RE.fullmatch(str(language)):
                raise ConfigError(
                    f"{source}: [{slot}] {language!r} is not a language code",
                    fix="use codes such as en, zh, zh-Hant",
                )
            templates[str(slot)][str(language)] = _template_list(source, slot, language, items)
    return PromptSet(templates, source)


def _template_list(source: str, slot: str, language: str, items: Any) -> tuple[str, ...]:
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, list) or not all(isinstance(t, str) for t in items):
        raise ConfigError(
            f"{source}: [{slot}] {language} must be a list of strings",
            fix=f'write {language} = ["first template", "second template"]',
        )
    return tuple(items)


# Template files are a few kilobytes; a larger one is the wrong file (or /dev/zero).
MAX_TEMPLATE_FILE_BYTES = 8 << 20


def load_prompt_file(path: Path) -> PromptSet:
    """Read a JSON (``.json``) or TOML (any other name) template file."""
    text = _read_template_text(path)
    try:
        if path.suffix.lower() == ".json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ConfigError(
                    f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})",
                    fix="fix the syntax",
                ) from None
        else:
            data = _parse_toml(path, text)
    except RecursionError:
        # Both parsers recurse once per level of nesting.
        raise ConfigError(f"{path}: lists or tables nested too deeply",
                          fix="templates are {slot: {language: [template, ...]}}") from None
    except ValueError:
        # Both parsers' syntax errors are handled above; this is int() refusing a number of
        # more digits than it converts (4,300 by default).
        raise ConfigError(f"{path}: an integer longer than Python reads",
                          fix="templates are {slot: {language: [template, ...]}}") from None
    return prompt_set_from_data(data, str(path))


def _read_template_text(path: Path) -> str:
    """The file's text; only a regular file outside /proc, /sys and /dev is opened."""
    from datakit.io.safe_open import NotOpened, open_regular

    try:
        handle, _ = open_regular(str(path))
        with handle:
            data = handle.read(MAX_TEMPLATE_FILE_BYTES + 1)
    except NotOpened as exc:
        raise ConfigError(f"cannot read prompt templates {path}: {exc.detail}",
                          fix="check the path; templates are a JSON or TOML file") from None
    except OSError as exc:
        raise ConfigError(f"cannot read prompt templates {path}: {exc.strerror}",
                          fix="check the path") from None
    if len(data) > MAX_TEMPLATE_FILE_BYTES:
        raise ConfigError(f"prompt templates {path} are larger than "
                          f"{MAX_TEMPLATE_FILE_BYTES:,} bytes", fix="check that it is the "
                          "template file: templates are {slot: {language: [template, ...]}}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read prompt templates {path}: not UTF-8 text ({exc.reason} "
                          f"at byte {exc.start})", fix="save the file as UTF-8") from None


def _parse_toml(path: Path, text: str) -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})", fix="fix the syntax") from None
    raise ConfigError(
        f"{path}: TOML template files need Python 3.11 or later",
        fix="write the templates as JSON (a .json file) instead",
    )


def required_languages(text: str) -> list[str]:
    """Split a ``--language`` value (``en``, ``en,zh``) into codes, in order, without repeats."""
    out: list[str] = []
    for part in text.split(","):
        code = part.strip()
        if code and code not in out:
            out.append(code)
    return out


def all_templates(prompts: PromptSet) -> Iterable[tuple[str, str, str]]:
    """Every ``(slot, language, template)``, sorted by slot and language."""
    for slot in sorted(prompts.templates):
        for language in sorted(prompts.templates[slot]):
            for template in prompts.templates[slot][language]:
                yield slot, language, template
