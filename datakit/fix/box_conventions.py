"""Unsafe fixers for a whole file whose boxes are in another convention (B005, B006): the
validator's dataset verdict says which, and every box of the file is rewritten by it."""

from __future__ import annotations

import re
from typing import Any

from datakit.fix.fixer import REMOVE, FixContext, Fixer, Outcome, messages, with_turns
from datakit.fix.text_fixes import _BOX_RE

_IMG_OR_BOX_RE = re.compile(r"<img>(.*?)</img>|" + _BOX_RE.pattern, re.DOTALL)


def _conventions(ctx: FixContext) -> set[str]:
    return {
        str(f.data.get("convention")) + ("/resized" if f.data.get("space") == "resized" else "")
        for code in ("B005", "B006") for f in ctx.verdicts.get(code, ())
    }


def _rewrite(record: Any, box: Any) -> tuple[dict[str, Any] | None, str]:
    """Every <box> through ``box(coords, picture path | None) -> coords | str`` (a str says
    why that box cannot be rewritten, and the record is left as it was)."""
    turns = messages(record)
    if turns is None:
        return None, "no list of messages"
    picture: str | None = None
    changed = False
    for m in turns:
        value = m.get("value")
        if not isinstance(value, str) or ("<box>" not in value and "<img>" not in value):
            continue
        out: list[str] = []
        at = 0
        for match in _IMG_OR_BOX_RE.finditer(value):
            if match.group(1) is not None:
                picture = match.group(1).strip()
                continue
            new = box([float(g) for g in match.groups()[1:]], picture)
            if isinstance(new, str):
                return None, new
            out += [value[at:match.start()], "<box>({},{}),({},{})</box>".format(*new)]
            at = match.end()
        text = "".join(out) + value[at:]
        if text != value:
            m["value"] = text
            changed = True
    return (with_turns(record, turns), "") if changed else (None, "no box to rewrite")


def fix_convention(record: Any, ctx: FixContext) -> Outcome:
    conventions = _conventions(ctx)
    if "xywh" in conventions:
        def corners(c: list[float], _picture: str | None) -> list[int] | str:
            x, y, w, h = (int(v) for v in c)
            if w < 0 or h < 0:
                return "a box has a negative width or height"
            return [x, y, min(999, x + w), min(999, y + h)]

        new, why = _rewrite(record, corners)
        note = "read [x, y, w, h] boxes as such and wrote their corners (the file's verdict)"
        return Outcome(new, note if new is not None else why)
    if "pixels" in conventions or "pixels-below-1000" in conventions:
        from datakit.family.spaces import PictureSizes, source_px_to_space

        def grid(c: list[float], picture: str | None) -> list[int] | str:
            size = ctx.image_size(picture) if picture is not None else None
            if size is None:
                return f"the size of picture {picture!r} is unknown (no such readable file)"
            return [int(v) for v in source_px_to_space(c, "norm1000", PictureSizes(size),
                                                        v1_grid=True)]

        new, why = _rewrite(record, grid)
        note = "put pixel boxes on the 0..999 grid with their picture's size (the file's verdict)"
        return Outcome(new, note if new is not None else why)
    if "fractions" in conventions:
        return Outcome(None, "0..1 fractions truncated to integers have lost the boxes; "
                       "export them again from the source")
    return Outcome(None, "boxes in pixels of the resized picture need the model's resize; "
                   "convert with `datakit convert dialect`")


def fix_duplicate(record: Any, ctx: FixContext) -> Outcome:
    where = ctx.findings[0].message if ctx.findings else "an earlier record"
    return Outcome(REMOVE, f"removed: {where}")


FIXERS = (
    Fixer("box-convention", ("B005", "B006"), False,
          "pixel, [x, y, w, h] boxes to grid corners, by the file's verdict", fix_convention,
          why="trusts a verdict drawn from the whole file, and the picture sizes on disk",
          dataset=True),
    Fixer("duplicate-samples", ("D002",), False, "remove exact duplicate samples",
          fix_duplicate, why="the copy's id and other keys go with it"),
)
