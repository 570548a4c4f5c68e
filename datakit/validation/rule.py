"""What a rule is: a stable code, a name that states the fault, a severity, options and docs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from datakit.findings import Severity

Scope = Literal["file", "record", "dataset"]


@dataclass(frozen=True, slots=True)
class Option:
    """A typed rule option; ``key`` is its name under ``[tool.datakit]`` (and its CLI flag)."""

    key: str
    type: type
    default: Any
    help: str


@dataclass(frozen=True, slots=True)
class Rule:
    """A validation rule's identity and documentation.

    ``bad`` and ``good`` are whole example files (JSON array text) that the test suite runs
    through ``datakit validate``: ``bad`` must yield this rule's code and ``good`` must not.
    Example files may reference the images the rule-example harness provides
    (``img/ok.jpg`` 64x48, ``img/tiny.png`` 8x8, ``img/wide.png`` 1200x40,
    ``img/sliver.png`` 603x3, ``img/broken.jpg``).
    """

    code: str
    name: str
    severity: Severity
    scope: Scope
    summary: str
    why: str
    fix: str
    bad: str
    good: str
    options: tuple[Option, ...] = field(default=())
    # Example files may need non-default settings (e.g. images="decode"); keys as in [tool.datakit].
    example_settings: tuple[tuple[str, Any], ...] = field(default=())
