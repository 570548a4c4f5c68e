"""Which rule codes a ``select``, ``ignore``, ``severity`` or ``per-file-ignores`` pattern names.

The catalogue below is every rule's code and name, written out so that the settings can refuse a
pattern that matches no rule while ``[tool.datakit]`` is read, without importing the rules
(they import the run context, which holds the settings). ``registry.RULES`` is the same list
built from the rule modules; tests/validation/test_code_patterns.py holds the two together.
"""

from __future__ import annotations

from datakit.errors import ConfigError

# code -> name, under the rule module whose RULES lists them, in the registry's order
CODES: dict[str, str] = {
    # rules/file.py
    "F001": "invalid-json",
    "F002": "wrong-top-level",
    "F003": "empty-file",
    "F004": "invalid-utf8",
    "F005": "utf8-bom",
    "F006": "record-too-large",
    "F007": "unreadable-file",
    "F008": "nonstandard-json-constant",
    "F009": "duplicate-key",
    # rules/record.py
    "S001": "record-not-object",
    "S002": "conversations-missing",
    "S003": "conversations-empty",
    "S004": "message-not-object",
    "S005": "unknown-role",
    "S006": "value-not-string",
    "S007": "id-missing",
    "S008": "id-invalid-type",
    # rules/dialect.py
    "X001": "foreign-image-placeholder",
    "X002": "images-outside-text",
    "X003": "foreign-record-layout",
    "X004": "foreign-grounding-tokens",
    "X005": "foreign-box-text",
    # rules/conversation.py
    "C001": "leading-assistant-turn",
    "C002": "roles-not-alternating",
    "C003": "last-turn-from-user",
    "C004": "empty-value",
    "C005": "image-in-assistant-turn",
    # rules/tags.py
    "T001": "unclosed-tag",
    "T002": "stray-closing-tag",
    "T003": "nested-tag",
    "T004": "literal-special-token",
    # rules/pictures.py
    "P001": "image-without-label",
    "P002": "picture-numbering",
    "P003": "label-without-image",
    # rules/ambiguity.py
    "P004": "box-picture-ambiguous",
    # rules/boxes.py
    "B001": "malformed-box",
    "B002": "box-out-of-grid",
    "B003": "box-corners-swapped",
    "B004": "box-zero-area",
    "B005": "box-convention",
    "B006": "box-in-pixels",
    # rules/images.py
    "I001": "image-path-too-long",
    "I002": "image-path-not-normalized",
    "I003": "image-missing",
    "I004": "image-not-a-file",
    "I005": "image-unreadable",
    "I006": "image-undecodable",
    "I007": "image-too-small",
    "I008": "image-extreme-aspect",
    "I009": "image-outside-root",
    "I010": "image-url",
    "I011": "image-root-wrong",
    # rules/tokens.py
    "K001": "token-cut-in-image",
    "K002": "token-answer-cut",
    "K003": "token-over-limit",
    "K004": "tokenizer-failure",
    # rules/dataset.py
    "D001": "duplicate-id",
    "D002": "duplicate-sample",
    "D003": "holdout-leak",
    # rules/family_choice.py
    "F010": "family-target",
    "F011": "family-target-ambiguous",
    # rules/family_record.py
    "S009": "family-record-structure",
    "T005": "family-markup-malformed",
    "P005": "family-image-count",
    # rules/family_dialect.py
    "X006": "v1-markup-for-target",
    "X007": "family-markup-mismatch",
    "T006": "family-special-token-in-text",
    # rules/family_images.py
    "I012": "image-refused-by-processor",
    "P006": "family-image-in-answer",
    "P007": "swift-objects-mismatch",
    # rules/family_boxes.py
    "B007": "box-off-picture",
    # rules/family_scale.py
    "B008": "box-scale-of-another-model",
    # rules/family_tokens.py
    "K005": "token-cut-in-image-pads",
    "K006": "token-answer-cut-family",
    "K007": "token-nothing-supervised",
    "K008": "swift-sample-dropped",
    "K009": "swift-sample-raises",
}


def matches(code: str, patterns: tuple[str, ...]) -> bool:
    """Whether a pattern names the rule: a prefix of its code, its name, or ALL."""
    name = CODES[code]
    return any(
        code.startswith(p.upper()) or p.lower() == name or p.upper() == "ALL"
        for p in patterns
    )


def check_patterns(patterns: tuple[str, ...], where: str) -> None:
    """Refuse a pattern that matches no rule. An empty one is refused too: every code starts
    with "", so it would select (or ignore) every rule."""
    for pattern in patterns:
        if not pattern.strip():
            raise ConfigError(
                f"{where}: an empty code matches every rule",
                fix="remove it, or name the codes (see `datakit rules`); ALL means every rule",
            )
        if pattern.upper() != "ALL" and not any(matches(c, (pattern,)) for c in CODES):
            raise ConfigError(
                f"{where}: {pattern!r} matches no rule", fix="see `datakit rules` for the codes"
            )
