"""A sample's conversation as gallery HTML: tags shown literally and coloured like their boxes,
the spans findings point at marked, each box followed by the picture it is drawn on (or the
pictures it may mark, when the text does not say), and the trainer's cut at ``max_len`` shown
where it falls. Every piece of data is HTML-escaped.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from datakit.findings import Finding
from datakit.gallery.cut import CutMark
from datakit.gallery.layout import SamplePlan, message_index
from datakit.qwenvl.grammar import (
    Box,
    Image,
    ParsedValue,
    PictureLabel,
    Ref,
    Segment,
    Text,
    render_segment,
)
from datakit.qwenvl.picture_refs import pictures_text

CSS = """
.msg.past-cut { opacity: .45; }
.cut { display: inline-block; background: #c1121f; color: #fff; font-size: 11px;
  font-weight: bold; border-radius: 3px; padding: 0 4px; margin: 0 2px; }
.tag.box.faulty { outline: 2px dashed #ff0000; }
.on { font-size: 11px; color: #555; margin-left: 2px; }
.on.ambiguous { color: #c1121f; font-weight: bold; }
"""


def messages_html(plan: SamplePlan, findings: Sequence[Finding], cut: CutMark | None
                  ) -> list[str]:
    """One ``div.msg`` per message; messages after the cut are dimmed and say so."""
    e = html.escape
    marks = _finding_marks(findings)
    many = len(plan.pictures) > 1
    out = []
    for m_index, (message, parsed) in enumerate(plan.messages):
        role = message.get("from") if isinstance(message, dict) else None
        role_text = role if isinstance(role, str) else json.dumps(role, ensure_ascii=False)
        css_role = role if role in ("user", "assistant") else "other"
        flagged = " flagged" if m_index in marks.whole_messages else ""
        past = cut is not None and m_index > cut.message_index
        out.append(f"<div class=\"msg {css_role}{flagged}{' past-cut' if past else ''}\">"
                   f"<span class=\"role\">{e(role_text)}</span>")
        if past:
            out.append(" <span class=\"where\">(after the cut: not trained on)</span>")
        out.append("<div class=\"value\">")
        at_cut = cut if cut is not None and m_index == cut.message_index else None
        if at_cut is not None and at_cut.char_offset is None:
            out.append(_cut_marker(at_cut, exact=False))
            at_cut = None
        if parsed is None:
            value = message.get("value") if isinstance(message, dict) else message
            out.append(e(json.dumps(value, ensure_ascii=False)))
        else:
            out.append(_value(parsed, plan, m_index, marks.offsets.get(m_index, {}), many,
                              at_cut))
        out.append("</div></div>")
    return out


def _cut_marker(cut: CutMark, exact: bool = True) -> str:
    where = "here" if exact else "in this message"
    return (f"<span class=\"cut\" title=\"{cut.tokens} tokens &gt; max_len {cut.max_len}\">"
            f"&#9986; cut at max_len {cut.max_len} {where}</span>")


@dataclass
class _Marks:
    whole_messages: set[int] = field(default_factory=set)
    offsets: dict[int, dict[int, str]] = field(default_factory=dict)  # message -> offset -> sev


def _finding_marks(findings: Sequence[Finding]) -> _Marks:
    marks = _Marks()
    for f in findings:
        m_index = message_index(f.location.json_path)
        if m_index is None:
            continue
        if f.location.char_offset is None:
            marks.whole_messages.add(m_index)
        else:
            at = marks.offsets.setdefault(m_index, {})
            if at.get(f.location.char_offset) != "error":
                at[f.location.char_offset] = f.severity.value
    return marks


def _split_at(segments: tuple[Segment, ...], offset: int) -> list[Segment]:
    """``segments`` with the text segment that holds ``offset`` split there."""
    out: list[Segment] = []
    for seg in segments:
        if isinstance(seg, Text) and seg.start < offset < seg.end:
            cut = offset - seg.start
            out += [Text(seg.start, offset, seg.text[:cut]), Text(offset, seg.end, seg.text[cut:])]
        else:
            out.append(seg)
    return out


def _value(
    parsed: ParsedValue,
    plan: SamplePlan,
    m_index: int,
    flagged: dict[int, str],
    many_pictures: bool,
    cut: CutMark | None,
) -> str:
    """One value's segments; ``cut``, when given, is marked at its character."""
    e = html.escape
    value_end = parsed.segments[-1].end if parsed.segments else 0
    cut_offset = cut.char_offset if cut is not None else None
    segments = parsed.segments if cut_offset is None else _split_at(parsed.segments, cut_offset)
    faulty = {(box.message_index, box.start) for box in plan.faulty}
    out = []
    for n, segment in enumerate(segments):
        if cut is not None and segment.start == cut_offset:
            out.append(_cut_marker(cut))
            cut = None
        hits = [(o, sev) for o, sev in flagged.items() if segment.start <= o < segment.end]
        if not hits and n == len(segments) - 1:
            hits = [(o, sev) for o, sev in flagged.items() if o >= value_end]
        if isinstance(segment, Text):
            out.append(_text(segment, hits))
            continue
        text = e(render_segment(segment))
        colour = plan.colours.get((m_index, segment.start))
        style = f" style=\"background: rgba{(*colour, 0.35)}\"" if colour else ""
        kind = _kind(segment)
        fault = " faulty" if (m_index, segment.start) in faulty else ""
        span = f"<span class=\"tag {kind}{fault}\"{style}>{text}</span>"
        if hits:
            span = f"<mark class=\"sev-{_worst(hits)}\">{span}</mark>"
        out.append(span + _drawn_on(plan, m_index, segment, many_pictures))
    if cut is not None:  # the cut falls at the value's end (its <|im_end|> or newline)
        out.append(_cut_marker(cut))
    return "".join(out)


def _drawn_on(plan: SamplePlan, m_index: int, segment: Segment, many_pictures: bool) -> str:
    """After a box: the picture it is drawn on, when the sample has several."""
    if not many_pictures or not isinstance(segment, Box):
        return ""
    on = plan.drawn_on.get((m_index, segment.start))
    if not on:
        return ""
    if len(on) == 1:
        return f"<span class=\"on\">&#8594; {pictures_text(on)}</span>"
    return (f"<span class=\"on ambiguous\">? one of {pictures_text(on)} (P004: the text does "
            "not say which)</span>")


def _text(segment: Text, hits: list[tuple[int, str]]) -> str:
    """Plain text; a flagged offset marks the word (or character) it points at."""
    e = html.escape
    if not hits:
        return e(segment.text)
    out, pos = [], 0
    for offset, severity in sorted(hits):
        local = min(max(offset - segment.start, pos), len(segment.text))
        end = local + 1
        while end < len(segment.text) and not segment.text[end].isspace() and end - local < 24:
            end += 1
        out.append(e(segment.text[pos:local]))
        out.append(f"<mark class=\"sev-{severity}\">{e(segment.text[local:end]) or ' '}</mark>")
        pos = max(pos, end)
    out.append(e(segment.text[pos:]))
    return "".join(out)


def _kind(segment: Segment) -> str:
    if isinstance(segment, Image):
        return "img"
    if isinstance(segment, PictureLabel):
        return "pic"
    if isinstance(segment, (Ref, Box)):
        return "ref" if isinstance(segment, Ref) else "box"
    return "quad"


def _worst(hits: list[tuple[int, str]]) -> str:
    order = {"error": 2, "warning": 1, "info": 0}
    return max((sev for _, sev in hits), key=lambda s: order.get(s, 0))
