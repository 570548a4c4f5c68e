"""The grammar of a Qwen-VL (v1) message value: pictures, images, refs, boxes and quads.

``parse_value`` splits a value into typed segments that carry their character offsets, and
reports structural problems (unclosed, stray or nested tags, malformed coordinates) as data;
it never raises on any string. ``render`` writes segments back; for well-formed input
``render(parse_value(x).segments) == x``.

Tags are matched the way the tokenizer sees them: ``<img>`` takes everything up to the first
``</img>`` as the path, and ``<box>``/``<quad>`` contents must be exactly ``(x,y),(x,y)``
(four or eight non-negative integers, no spaces).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from datakit.qwenvl.coordinates import parse_box, parse_quad, why_malformed

_TOKEN_RE = re.compile(r"<(/?)(img|ref|box|quad)>|Picture (\d{1,9}):( ?)")
_TAG_RE = re.compile(r"</?(?:img|ref|box|quad)>")


@dataclass(frozen=True, slots=True)
class Text:
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class PictureLabel:
    """``Picture N: `` (README form, ``spaced``) or ``Picture N:`` (the tokenizer's form)."""

    start: int
    end: int
    number: int
    spaced: bool


@dataclass(frozen=True, slots=True)
class Image:
    start: int
    end: int
    path: str
    path_start: int


@dataclass(frozen=True, slots=True)
class Ref:
    start: int
    end: int
    text: str
    text_start: int


@dataclass(frozen=True, slots=True)
class Box:
    """``<box>(x1,y1),(x2,y2)</box>``; ``xyxy_norm1000`` is ``None`` when malformed."""

    start: int
    end: int
    content: str
    xyxy_norm1000: tuple[int, int, int, int] | None


@dataclass(frozen=True, slots=True)
class Quad:
    """``<quad>(x1,y1),...,(x4,y4)</quad>``; ``points_norm1000`` is ``None`` when malformed."""

    start: int
    end: int
    content: str
    points_norm1000: tuple[int, ...] | None


Segment = Text | PictureLabel | Image | Ref | Box | Quad


@dataclass(frozen=True, slots=True)
class TagProblem:
    """A structural fault in a value, at ``[start, end)`` characters.

    ``kind``: ``unclosed-tag``, ``stray-closing-tag``, ``nested-tag``, ``malformed-box``,
    ``malformed-quad``.
    """

    kind: str
    tag: str
    start: int
    end: int
    message: str


@dataclass(frozen=True, slots=True)
class ParsedValue:
    segments: tuple[Segment, ...]
    problems: tuple[TagProblem, ...]

    def images(self) -> list[Image]:
        return [s for s in self.segments if isinstance(s, Image)]

    def boxes(self) -> list[Box]:
        return [s for s in self.segments if isinstance(s, Box)]


# Well-formed tags whole, in one pass: a label, an image, a ref without '<' inside, a box of
# four plain coordinates. Any other tag (a quad, a stray or unclosed tag, a malformed box, a
# ref holding '<') matches the last alternative and sends the value to the full parser.
_COORD = r"(0|[1-9][0-9]{0,8})"
_WELL_FORMED_RE = re.compile(
    r"Picture (\d{1,9}):( ?)|<img>(.*?)</img>|<ref>([^<]*)</ref>"
    rf"|<box>\({_COORD},{_COORD}\),\({_COORD},{_COORD}\)</box>"
    r"|</?(?:img|ref|box|quad)>",
    re.DOTALL,
)


def parse_value(value: str) -> ParsedValue:
    """Split ``value`` into segments and structural problems. Never raises."""
    if "<" not in value and "Picture" not in value:
        return ParsedValue((Text(0, len(value), value),) if value else (), ())
    parsed = _parse_well_formed(value)
    return parsed if parsed is not None else _parse_any(value)


def _parse_well_formed(value: str) -> ParsedValue | None:
    """``parse_value`` for values whose every tag is well formed (nearly all), about twice as
    fast; ``None`` for any other value."""
    segments: list[Segment] = []
    text_start = 0
    for m in _WELL_FORMED_RE.finditer(value):
        start, end = m.span()
        group = m.lastindex
        if group is None:
            return None
        if start > text_start:
            segments.append(Text(text_start, start, value[text_start:start]))
        if group == 2:
            segments.append(PictureLabel(start, end, int(m.group(1)), m.group(2) == " "))
        elif group == 3:
            segments.append(Image(start, end, m.group(3), start + 5))
        elif group == 4:
            segments.append(Ref(start, end, m.group(4), start + 5))
        else:
            x1, y1, x2, y2 = m.group(5, 6, 7, 8)
            content = value[start + 5 : end - 6]
            segments.append(Box(start, end, content, (int(x1), int(y1), int(x2), int(y2))))
        text_start = end
    if text_start < len(value):
        segments.append(Text(text_start, len(value), value[text_start:]))
    return ParsedValue(tuple(segments), ())


def _parse_any(value: str) -> ParsedValue:
    segments: list[Segment] = []
    problems: list[TagProblem] = []
    text_start = 0
    pos = 0
    n = len(value)
    # The last closing tag found per tag, or -1 for none left: still the next one while it
    # lies ahead, so a value of many unclosed tags is not searched to its end once per tag.
    next_close: dict[str, int] = {}

    def flush_text(upto: int) -> None:
        if upto > text_start:
            segments.append(Text(text_start, upto, value[text_start:upto]))

    while pos < n:
        m = _TOKEN_RE.search(value, pos)
        if m is None:
            break
        start = m.start()
        if m.group(3) is not None:
            flush_text(start)
            segments.append(PictureLabel(start, m.end(), int(m.group(3)), m.group(4) == " "))
            pos = text_start = m.end()
            continue
        closing, tag = m.group(1) == "/", m.group(2)
        if closing:
            problems.append(
                TagProblem(
                    "stray-closing-tag", tag, start, m.end(), f"</{tag}> without an opening <{tag}>"
                )
            )
            pos = m.end()
            continue
        close_tag = f"</{tag}>"
        inner_start = m.end()
        close_at = next_close.get(tag)
        if close_at is None or 0 <= close_at < inner_start:
            close_at = next_close[tag] = value.find(close_tag, inner_start)
        end = close_at + len(close_tag)
        if close_at < 0:
            problems.append(
                TagProblem("unclosed-tag", tag, start, m.end(), f"<{tag}> is never closed")
            )
            pos = m.end()
            continue
        nested = None if tag == "img" else _TAG_RE.search(value, inner_start, close_at)
        if nested is not None:
            problems.append(
                TagProblem(
                    "nested-tag",
                    tag,
                    nested.start(),
                    nested.end(),
                    f"{nested.group(0)} inside <{tag}>...</{tag}>",
                )
            )
            pos = end  # the whole span stays text: its inner tags are not trusted
            continue
        inner = value[inner_start:close_at]
        flush_text(start)
        if tag == "img":
            segments.append(Image(start, end, inner, inner_start))
        elif tag == "ref":
            segments.append(Ref(start, end, inner, inner_start))
        elif tag == "box":
            coords = parse_box(inner)
            if coords is None:
                problems.append(_malformed("box", inner, start, end))
            segments.append(Box(start, end, inner, coords))
        else:
            points = parse_quad(inner)
            if points is None:
                problems.append(_malformed("quad", inner, start, end))
            segments.append(Quad(start, end, inner, points))
        pos = text_start = end
    flush_text(n)
    # Text is cut only in front of a segment (a stray, unclosed or nested tag leaves
    # text_start where it was), so no two text pieces are ever neighbours.
    return ParsedValue(tuple(segments), tuple(problems))


def _malformed(tag: str, inner: str, start: int, end: int) -> TagProblem:
    why = why_malformed(inner, 2 if tag == "box" else 4)
    return TagProblem(f"malformed-{tag}", tag, start, end, f"<{tag}>{inner}</{tag}>: {why}")


def render(segments: Sequence[Segment]) -> str:
    """Write segments in canonical form."""
    return "".join(render_segment(s) for s in segments)


def render_segment(segment: Segment) -> str:
    if isinstance(segment, Text):
        return segment.text
    if isinstance(segment, PictureLabel):
        return f"Picture {segment.number}:{' ' if segment.spaced else ''}"
    if isinstance(segment, Image):
        return f"<img>{segment.path}</img>"
    if isinstance(segment, Ref):
        return f"<ref>{segment.text}</ref>"
    if isinstance(segment, Box):
        if segment.xyxy_norm1000 is None:
            return f"<box>{segment.content}</box>"
        return box_tag(segment.xyxy_norm1000)
    if segment.points_norm1000 is None:
        return f"<quad>{segment.content}</quad>"
    p = segment.points_norm1000
    return "<quad>" + ",".join(f"({p[i]},{p[i + 1]})" for i in range(0, len(p), 2)) + "</quad>"


def box_tag(xyxy_norm1000: Sequence[int]) -> str:
    """``<box>(x1,y1),(x2,y2)</box>`` for a box already on the 0..999 grid."""
    x1, y1, x2, y2 = xyxy_norm1000
    return f"<box>({x1},{y1}),({x2},{y2})</box>"


def grounding(ref_text: str, boxes_xyxy_norm1000: Sequence[Sequence[int]]) -> str:
    """``<ref>TEXT</ref>`` followed by one ``<box>`` per box (at least one)."""
    if not boxes_xyxy_norm1000:
        raise ValueError("a grounding needs at least one box")
    return f"<ref>{ref_text}</ref>" + "".join(box_tag(b) for b in boxes_xyxy_norm1000)


def picture(number: int, path: str) -> str:
    """The README's image prefix: ``Picture N: <img>PATH</img>\\n``."""
    return f"Picture {number}: <img>{path}</img>\n"
