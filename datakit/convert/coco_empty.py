"""Why a COCO conversion produced nothing, in one line.

An empty training file is never useful and often hides a mistake (a wrong ``--image-root``, a
file of another kind, a ``--categories`` typo), so the command line refuses to write one and
says what happened to the input instead.
"""

from __future__ import annotations

from datakit.convert.tally import Tally
from datakit.errors import DatakitError

# The item kinds whose fate explains an empty output, most telling first.
_KINDS = ("annotation", "caption", "image", "category")
_MOST_REASONS = 3


class NothingUsable(DatakitError):
    """Zero usable samples: nothing is written and the run exits 1."""

    exit_code = 1


def empty_reason(tally: Tally) -> str:
    """``"no usable sample: 37 annotations seen, none used (36 crowd, 1 missing-image); ..."``."""
    parts = []
    for kind in _KINDS:
        reasons = tally.skipped.get(kind)
        seen = tally.seen.get(kind, 0)
        if not seen:
            continue
        if not reasons or not sum(reasons.values()):
            continue
        ranked = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
        shown = ", ".join(f"{count:,} {reason}" for reason, count in ranked[:_MOST_REASONS])
        extra = len(ranked) - _MOST_REASONS
        more = f", {extra} more reasons" if extra > 0 else ""
        noun = kind if seen == 1 else f"{kind}s"
        used = tally.used.get(kind, 0)
        fate = "none used" if not used else f"{used:,} used"
        parts.append(f"{seen:,} {noun} seen, {fate} ({shown}{more})")
    if not parts:
        return "no usable sample: the input holds no images with annotations"
    return "no usable sample: " + "; ".join(parts)


# The option that most often explains each skip reason.
_FIXES = {
    "file-missing": "check --image-root: the images must be found under it by file_name",
    "unreadable": "check --image-root: the files found there are not readable images",
    "crowd": "add --include-crowd to keep crowd regions as boxes",
    "filtered-out": "check --categories against the file's category names",
    "beyond-limit": "raise --limit",
    "size-missing": "pass --image-root so that the sizes are read from the files",
    "task-not-selected": "choose a --task that this file has data for",
}


def empty_fix(tally: Tally) -> str:
    """The most likely fix, from the most frequent skip reason that has one."""
    counts: dict[str, int] = {}
    for reasons in tally.skipped.values():
        for reason, count in reasons.items():
            counts[reason] = counts.get(reason, 0) + count
    for reason, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        if reason in _FIXES:
            return _FIXES[reason]
    return "see the tally above for what each item was skipped as"
