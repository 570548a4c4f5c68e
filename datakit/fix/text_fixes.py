"""Fixers that rewrite a Qwen-VL v1 record's roles and texts in place."""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from datakit.fix.fixer import FixContext, Fixer, Outcome, map_values, messages, with_turns

ROLE_ALIASES = {
    "human": "user", "Human": "user", "HUMAN": "user", "User": "user", "USER": "user",
    "gpt": "assistant", "GPT": "assistant", "Assistant": "assistant", "ASSISTANT": "assistant",
    "bot": "assistant", "model": "assistant",
}
_NUM = r"\s*(-?\d+(?:\.\d+)?)\s*"
_BOX_RE = re.compile(rf"<box>\({_NUM},{_NUM}\)\s*,\s*\({_NUM},{_NUM}\)</box>")
_IMG_RE = re.compile(r"(Picture (\d{1,9}):( ?))?<img>")
_PATH_RE = re.compile(r"<img>(.*?)</img>", re.DOTALL)
_SPECIAL_RE = re.compile(r"<\|(im_start|im_end|endoftext|extra_(?:20[0-4]|1?\d?\d))\|>|<imgpad>")


def _unchanged(what: str) -> Outcome:
    return Outcome(None, f"nothing to repair: {what}")


def fix_roles(record: Any, ctx: FixContext) -> Outcome:
    turns = messages(record)
    if turns is None:
        return _unchanged("no list of messages")
    renamed: list[str] = []
    for m in turns:
        role = m.get("from")
        if isinstance(role, str) and role in ROLE_ALIASES:
            m["from"] = ROLE_ALIASES[role]
            renamed.append(role)
    unknown = [m.get("from") for m in turns if m.get("from") not in ("user", "assistant")]
    if unknown:
        return Outcome(None, f"role {unknown[0]!r} has no sure Qwen-VL equivalent; edit it by hand")
    if not renamed:
        return _unchanged("roles")
    return Outcome(with_turns(record, turns), f"renamed {', '.join(sorted(set(renamed)))}")


def _box_change(rewrite: Any) -> Any:
    """A value rewriter applying ``rewrite(coords) -> coords | None`` to each <box>."""

    def change(value: str) -> str:
        if "<box>" not in value:
            return value

        def one(m: re.Match[str]) -> str:
            coords = [float(g) for g in m.groups()]
            new = rewrite(coords)
            if new is None:
                return m.group(0)
            return "<box>({},{}),({},{})</box>".format(*(int(v) for v in new))

        return _BOX_RE.sub(one, value)

    return change


def _grid_edge(coords: list[float]) -> list[float] | None:
    if any(not v.is_integer() for v in coords) or max(coords) != 1000 or min(coords) < 0:
        return None
    return [min(v, 999.0) for v in coords]


def _swapped(coords: list[float]) -> list[float] | None:
    x1, y1, x2, y2 = coords
    if x1 <= x2 and y1 <= y2:
        return None
    return [min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)]


def _fractions(coords: list[float]) -> list[float] | None:
    if all(v.is_integer() for v in coords) or min(coords) < 0 or max(coords) > 1:
        return None
    return [min(999.0, math.floor(v * 1000 + 1e-9)) for v in coords]


def _values_fix(change: Any, did: str, left: str) -> Any:
    def apply(record: Any, ctx: FixContext) -> Outcome:
        new = map_values(record, change)
        return Outcome(new, did) if new is not None else Outcome(None, left)

    return apply


def _labelled(record: Any) -> Any:
    count = 0

    def label(m: re.Match[str]) -> str:
        nonlocal count
        count += 1
        if m.group(1) and int(m.group(2)) == count:
            return m.group(0)
        return f"Picture {count}: <img>"

    def change(value: str) -> str:
        return _IMG_RE.sub(label, value) if "<img>" in value else value

    return map_values(record, change)


def fix_labels(record: Any, ctx: FixContext) -> Outcome:
    new = _labelled(record)
    if new is None:
        return _unchanged("every <img> already has its label")
    return Outcome(new, "numbered the picture labels 1, 2, ... in order")


def _clean_path(value: str) -> str:
    if "<img>" not in value:
        return value
    return _PATH_RE.sub(
        lambda m: "<img>" + unicodedata.normalize("NFC", m.group(1).strip()) + "</img>", value
    )


def _escape(value: str) -> str:
    if "<|" not in value and "<imgpad>" not in value:
        return value
    return _SPECIAL_RE.sub(lambda m: f"< |{m.group(1)}| >" if m.group(1) else "< imgpad >", value)


def fix_leading_answer(record: Any, ctx: FixContext) -> Outcome:
    turns = messages(record)
    if turns is None or len(turns) < 2 or turns[0].get("from") != "assistant":
        return _unchanged("the first turn is not an answer before a question")
    return Outcome(with_turns(record, turns[1:]),
                   "dropped the answer that came before any question")


FIXERS = (
    Fixer("role-aliases", ("S005",), True, "human/gpt and other role aliases to user/assistant",
          fix_roles),
    Fixer("grid-edge", ("B002",), True, "1000 on the grid to 999",
          _values_fix(_box_change(_grid_edge), "wrote 1000 as 999, the grid's last cell",
                      "coordinates above 1000 are not the grid's edge (see B005/B006)")),
    Fixer("corners-swapped", ("B003",), True, "swapped corners put top-left first",
          _values_fix(_box_change(_swapped), "put the top-left corner first",
                      "no swapped box to repair")),
    Fixer("picture-labels", ("P001", "P002"), True, "picture labels renumbered or added",
          fix_labels),
    Fixer("image-paths", ("I002",), True, "image paths stripped of white space and NFC-normalised",
          _values_fix(_clean_path, "stripped and NFC-normalised the image paths",
                      "no path to normalise")),
    Fixer("box-fractions", ("B001",), False, "0..1 fractions in <box> to the grid",
          _values_fix(_box_change(_fractions), "put 0..1 fractions on the 0..999 grid",
                      "the malformed box is not a 0..1 fraction box; edit it by hand"),
          why="assumes numbers between 0 and 1 are fractions of the picture"),
    Fixer("leading-answer", ("C001",), False, "drop a leading assistant turn",
          fix_leading_answer,
          why="the dropped answer is lost; it may have belonged to a question cut off earlier"),
    Fixer("escape-special-tokens", ("T004",), False, "escape literal special tokens as < |x| >",
          _values_fix(_escape, "escaped the special tokens in the text", "no token to escape"),
          why="changes the text the model learns; the token may have been meant as markup"),
)
