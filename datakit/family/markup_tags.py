"""Qwen2-VL's grounding tokens: ``<|object_ref_start|>`` ... ``<|box_end|>``.

One pass over the four tokens, each looked at once, so parsing is linear however the tokens
are mixed up. A token whose partner does not come next stays text and is reported.
"""

from __future__ import annotations

import re

from datakit.family.markup_parts import PartsBuilder, coord_ints, quote, why_bad_coords
from datakit.family.sample import Box, BoxSpace, Grounded

REF_START, REF_END = "<|object_ref_start|>", "<|object_ref_end|>"
BOX_START, BOX_END = "<|box_start|>", "<|box_end|>"

_TOKEN_RE = re.compile(r"<\|(object_ref_start|object_ref_end|box_start|box_end)\|>")
_COORD = r"(0|[1-9][0-9]{0,8})"
_BOX_RE = re.compile(rf"\({_COORD},{_COORD}\)(?:,\({_COORD},{_COORD}\))?")
_CLOSER = {"object_ref_start": "object_ref_end", "box_start": "box_end"}


def render_qwen2(part: Grounded) -> str:
    out = [] if part.label is None else [f"{REF_START}{part.label}{REF_END}"]
    for box in part.boxes:
        out.append(f"{BOX_START}{coords_text(coord_ints(box))}{BOX_END}")
    return "".join(out)


def coords_text(coords: list[int]) -> str:
    """``(x1,y1),(x2,y2)`` or ``(x,y)``."""
    return ",".join(f"({coords[i]},{coords[i + 1]})" for i in range(0, len(coords), 2))


def parse_qwen2(text: str, builder: PartsBuilder, space: BoxSpace) -> None:
    if "<|" not in text:
        builder.text(text)
        return
    tokens = list(_TOKEN_RE.finditer(text))
    done = 0  # text before this offset is in the builder
    i = 0
    while i < len(tokens):
        m = tokens[i]
        name = m.group(1)
        closer = _CLOSER.get(name)
        if closer is None:
            builder.problem(
                "stray-closing-tag", f"{m.group(0)} without its opening token", m.start()
            )
            i += 1
            continue
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        if after is None or after.group(1) != closer:
            if after is not None and after.group(1) == name:
                builder.problem(
                    "doubled-tag",
                    f"{m.group(0)} opened again at offset {after.start()} before "
                    f"<|{closer}|> closed it",
                    m.start(),
                )
            elif after is None:
                builder.problem("unclosed-tag", f"{m.group(0)} is never closed", m.start())
            else:
                builder.problem(
                    "unclosed-tag",
                    f"{m.group(0)} is not closed before {after.group(0)} at offset {after.start()}",
                    m.start(),
                )
            i += 1
            continue
        inner = text[m.end() : after.start()]
        builder.text(text[done : m.start()])
        done = after.end()
        i += 2
        if name == "object_ref_start":
            builder.ref(inner)
            continue
        box = _BOX_RE.fullmatch(inner)
        if box is None:
            kind, why = why_bad_coords(inner)
            builder.problem(kind, f"{BOX_START}{quote(inner)}{BOX_END} {why}", m.start())
            builder.text(text[m.start() : after.end()])
            continue
        coords = tuple(int(v) for v in box.groups() if v is not None)
        builder.box(Box(coords, space))
    builder.text(text[done:])
