"""Every rule's documented failing example yields its code; its passing example does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from datakit.validation.engine import validate_files
from datakit.validation.registry import RULES
from datakit.validation.rule import Rule
from datakit.validation.settings import Settings

# Examples that need something a JSON text cannot carry are covered elsewhere:
# F006 (a record over the size limit) in tests/io, F007 (a missing file) and I005
# (an unreadable image) in the CLI and image tests.
NOT_SELF_CONTAINED = {"F006", "F007", "I005"}


def _run(rule: Rule, text: str, root: Path) -> list[str]:
    path = root / "example.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    settings = Settings(jobs=1, cache=False, base_dir=str(root))
    settings = settings.with_overrides(**dict(rule.example_settings))
    return [f.code for f in validate_files([str(path)], settings).findings]


RUNNABLE = [r for code, r in sorted(RULES.items()) if code not in NOT_SELF_CONTAINED]


@pytest.mark.parametrize("rule", RUNNABLE, ids=[f"{r.code}-{r.name}" for r in RUNNABLE])
def test_failing_example_yields_the_code(rule: Rule, example_root: Path) -> None:
    assert rule.code in _run(rule, rule.bad, example_root)


@pytest.mark.parametrize("rule", RUNNABLE, ids=[f"{r.code}-{r.name}" for r in RUNNABLE])
def test_passing_example_does_not(rule: Rule, example_root: Path) -> None:
    assert rule.code not in _run(rule, rule.good, example_root)


def test_every_rule_is_documented() -> None:
    for rule in RULES.values():
        assert rule.code[0] in "FSCTPBIKDX" and len(rule.code) == 4, rule.code
        assert rule.name == rule.name.lower() and " " not in rule.name
        assert rule.summary and rule.why and rule.fix and rule.bad and rule.good
    assert len({r.name for r in RULES.values()}) == len(RULES)
