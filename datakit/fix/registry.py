"""Every fixer, in the order they run on a record, and the rule codes each repairs."""

from __future__ import annotations

from datakit.fix import box_conventions, foreign, text_fixes
from datakit.fix.fixer import Fixer

# F002 (JSON Lines in a .json file, or an array in a .jsonl one) is repaired by rewriting the
# whole file in the format its extension names (datakit.fix.document), not by a record fixer.
FILE_LAYOUT_CODE = "F002"
FILE_LAYOUT_SUMMARY = "JSON Lines in a .json file to one array (an array in .jsonl to lines)"

# Foreign records first: once converted, the v1 fixers can act on them in the next round.
FIXERS: tuple[Fixer, ...] = (
    *foreign.FIXERS,
    *text_fixes.FIXERS,
    *box_conventions.FIXERS,
)
BY_CODE: dict[str, Fixer] = {code: f for f in FIXERS for code in f.codes}
FIXABLE_CODES: tuple[str, ...] = (FILE_LAYOUT_CODE, *BY_CODE)


def enabled(codes: set[str], *, unsafe: bool) -> tuple[Fixer, ...]:
    """The fixers allowed to run: some of their codes enabled, and safe unless ``unsafe``."""
    return tuple(f for f in FIXERS if (f.safe or unsafe) and codes.intersection(f.codes))
