"""Qwen2.5-VL / Qwen3-VL grounding answers: ```` ```json ```` blocks of ``bbox_2d`` / ``point_2d``.

A block is read only when it mentions ``bbox_2d`` or ``point_2d`` (other JSON is text); a
block with any fault stays text, whole, and each fault is reported with its offset. A text
that is nothing but such JSON, without the fence, is read too (models answer both ways).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from datakit.family.markup_parts import PartsBuilder, SlotText, coord_ints, quote
from datakit.family.sample import Box, BoxSpace, Grounded, ImageSlot, Part, Text

FENCE_OPEN = "```json"
FENCE_CLOSE = "```"
_KEYS = {"bbox_2d": 4, "point_2d": 2}


def render_parts(parts: Sequence[Part], slot_text: SlotText) -> str:
    out: list[str] = []
    run: list[Grounded] = []
    for part in parts:
        if isinstance(part, Grounded) and part.boxes:
            run.append(part)
            continue
        if run:
            out.append(render_block(run))
            run = []
        if isinstance(part, Text):
            out.append(part.text)
        elif isinstance(part, ImageSlot):
            out.append(slot_text(part.index))
        elif part.label is not None:
            out.append(part.label)
    if run:
        out.append(render_block(run))
    return "".join(out)


def render_block(phrases: Sequence[Grounded]) -> str:
    entries: list[str] = []
    for phrase in phrases:
        label = (
            ""
            if phrase.label is None
            else f', "label": {json.dumps(phrase.label, ensure_ascii=False)}'
        )
        for box in phrase.boxes:
            key = "point_2d" if box.is_point else "bbox_2d"
            coords = ", ".join(str(v) for v in coord_ints(box))
            entries.append(f'\t{{"{key}": [{coords}]{label}}}')
    return f"{FENCE_OPEN}\n[\n" + ",\n".join(entries) + f"\n]\n{FENCE_CLOSE}"


def _mentions_grounding(text: str) -> bool:
    return "bbox_2d" in text or "point_2d" in text


def parse_json(text: str, builder: PartsBuilder, space: BoxSpace) -> None:
    if not _mentions_grounding(text):
        builder.text(text)
        return
    if FENCE_OPEN not in text:
        stripped = text.strip()
        if stripped[:1] in ("[", "{") and stripped == text:
            phrases = _read_block(text, 0, builder, space)
            if phrases is not None:
                _emit(builder, phrases)
                return
        builder.text(text)
        return
    done = 0
    search = 0
    while True:
        start = text.find(FENCE_OPEN, search)
        if start < 0:
            break
        content_start = start + len(FENCE_OPEN)
        end = text.find(FENCE_CLOSE, content_start)
        if end < 0:
            if _mentions_grounding(text[content_start:]):
                builder.problem("unclosed-fence", f"{FENCE_OPEN} block is never closed", start)
            break
        search = end + len(FENCE_CLOSE)
        content = text[content_start:end]
        if not _mentions_grounding(content):
            continue
        phrases = _read_block(content, content_start, builder, space)
        if phrases is None:
            continue
        builder.text(text[done:start])
        _emit(builder, phrases)
        done = search
    builder.text(text[done:])


def _emit(builder: PartsBuilder, phrases: list[Grounded]) -> None:
    for phrase in phrases:
        # Even a phrase without a label starts afresh: its boxes are not the previous one's.
        builder.ref(phrase.label)
        for box in phrase.boxes:
            builder.box(box)


def _read_block(
    content: str, base: int, builder: PartsBuilder, space: BoxSpace
) -> list[Grounded] | None:
    """The phrases of one block, or None (problems reported) when it has any fault."""
    try:
        data: Any = json.loads(content)
    except json.JSONDecodeError as exc:
        builder.problem("invalid-json", f"JSON does not parse: {exc.msg}", base + exc.pos)
        return None
    except (ValueError, RecursionError) as exc:
        builder.problem("invalid-json", f"JSON does not parse: {exc}", base)
        return None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        builder.problem("json-not-grounding", "grounding JSON must be a list of objects", base)
        return None
    phrases: list[Grounded] = []
    cursor = 0
    ok = True
    for n, entry in enumerate(data, start=1):
        at = base
        if isinstance(entry, dict):
            key = "bbox_2d" if "bbox_2d" in entry else "point_2d"
            found = content.find(f'"{key}"', cursor)
            if found >= 0:
                at, cursor = base + found, found + 1
        box = _entry_box(entry, n, at, builder, space)
        if box is None:
            ok = False
            continue
        label = entry.get("label")
        if phrases and phrases[-1].label == label:
            phrases[-1] = Grounded(label, (*phrases[-1].boxes, box))
        else:
            phrases.append(Grounded(label, (box,)))
    return phrases if ok else None


def _entry_box(
    entry: object, n: int, at: int, builder: PartsBuilder, space: BoxSpace
) -> Box | None:
    if not isinstance(entry, dict):
        builder.problem("json-not-grounding", f"entry {n} is not an object", at)
        return None
    keys = [k for k in _KEYS if k in entry]
    if len(keys) != 1:
        builder.problem(
            "json-not-grounding", f"entry {n} needs exactly one of bbox_2d or point_2d", at
        )
        return None
    key = keys[0]
    extra = sorted(set(entry) - {key, "label"})
    if extra:
        builder.problem(
            "unknown-key", f"entry {n} has {quote(', '.join(extra))}, which is not kept", at
        )
        return None
    label = entry.get("label")
    if label is not None and not isinstance(label, str):
        builder.problem("label-not-text", f"entry {n}: label is not a string", at)
        return None
    coords = entry[key]
    want = _KEYS[key]
    if not isinstance(coords, list) or len(coords) != want:
        count = len(coords) if isinstance(coords, list) else "no list of"
        shape = "[x1, y1, x2, y2]" if want == 4 else "[x, y]"
        builder.problem(
            "box-arity", f"entry {n}: {key} has {count} numbers; it needs {want}, {shape}", at
        )
        return None
    for v in coords:
        if isinstance(v, bool) or not isinstance(v, int):
            builder.problem(
                "non-integer-coordinate",
                f"entry {n}: {key} has {quote(json.dumps(v))}, not a whole number",
                at,
            )
            return None
        if v < 0:
            builder.problem(
                "negative-coordinate", f"entry {n}: {key} has the negative number {v}", at
            )
            return None
    return Box(tuple(coords), space)
