"""The settings refuse rule patterns from a written-out catalogue of codes (so that reading
``[tool.datakit]`` does not import the rules): it must be exactly the registry's rules."""

from __future__ import annotations

import subprocess
import sys

import pytest

from datakit.errors import ConfigError
from datakit.validation.code_patterns import CODES, check_patterns, matches
from datakit.validation.registry import FAMILIES, RULES


def test_the_catalogue_is_every_rule_of_the_registry_in_its_order() -> None:
    built = [(rule.code, rule.name) for family in FAMILIES for rule in family.RULES]
    missing = sorted(set(built) - set(CODES.items()))
    stale = sorted(set(CODES.items()) - set(built))
    assert (missing, stale) == ([], []), "add the missing (code, name) pairs to CODES in " \
        "datakit/validation/code_patterns.py and remove the stale ones"
    assert list(CODES.items()) == built
    assert list(CODES) == list(RULES)


def test_reading_settings_does_not_import_the_rules() -> None:
    probe = (
        "import sys\n"
        "from datakit.validation.settings import settings_from_table\n"
        "settings_from_table({'ignore': ['B', 'box-zero-area']}, source='x')\n"
        "print(sorted(m for m in sys.modules if m.startswith('datakit.validation.r')))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("pattern", "codes"),
    [
        ("b00", ["B001", "B002", "B003", "B004", "B005", "B006", "B007", "B008"]),
        ("Box-Zero-Area", ["B004"]),
        ("k00", ["K001", "K002", "K003", "K004", "K005", "K006", "K007", "K008", "K009"]),
        ("swift-objects-mismatch", ["P007"]),
    ],
)
def test_a_pattern_is_a_code_prefix_or_a_rule_name(pattern: str, codes: list[str]) -> None:
    assert [code for code in CODES if matches(code, (pattern,))] == codes
    check_patterns((pattern,), "select")


def test_all_matches_every_rule_and_nothing_else_is_invented() -> None:
    assert all(matches(code, ("all",)) for code in CODES)
    with pytest.raises(ConfigError) as raised:
        check_patterns(("B0", "box-zero"), "per-file-ignores 'a.json'")
    assert str(raised.value).splitlines()[0] == \
        "per-file-ignores 'a.json': 'box-zero' matches no rule"
