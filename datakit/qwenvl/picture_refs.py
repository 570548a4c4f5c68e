"""Which picture a box refers to, as far as a v1 conversation can say.

The v1 format has no way to attach a ``<box>`` or ``<quad>`` to a picture. Qwen's own
``draw_bbox_on_latest_picture`` takes the latest picture, and so can a reader when there is only
one. Precisely:

- A box's *candidates* are the pictures before it in its own message; when there are none, the
  pictures of the latest earlier message that has any. Pictures are numbered from 1 in order of
  appearance across the conversation, as their ``Picture N:`` labels should be.
- One candidate: the box refers to it. None: the box has no picture.
- Two or more: the box refers to the one its *question* names, when the question names exactly
  one picture and that picture is a candidate. The question is the box's own message when that
  is a user message, else the latest user message before it. Otherwise the box is *ambiguous*.

A question names picture N with ``Picture N``, ``Image N`` or ``Photo N`` (any case, ``#``
allowed: ``image #2``), ``the Nth picture`` for first to tenth (``second image``), or in
Chinese ``图N``, ``图片N``, ``图像N``, ``照片N``, ``第N张``/``第N幅`` (N in digits, or 一 to 十
after 第). The ``Picture N: <img>`` labels themselves name nothing (they label every picture);
a label without its image does. Text in an answer never disambiguates: the answer is what the
model must predict from the question and the pictures.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the parser loads only for values that need it (pre-commit start-up)
    from datakit.qwenvl.grammar import ParsedValue

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
             "ninth", "tenth")
_CN_NUMERALS = "一二三四五六七八九十"
_NOT_A_SIZE = r"(?!\d|[.x×]\d)"  # "image 1920x1080" names no picture
# Matched against the lower-cased text: IGNORECASE makes the search several times slower.
_ENGLISH_NAME_RE = re.compile(
    rf"\b(?:picture|image|photo)\s?#?(\d{{1,6}}){_NOT_A_SIZE}"
    rf"|\b({'|'.join(_ORDINALS)})\s+(?:picture|image|photo)\b"
)
_CHINESE_NAME_RE = re.compile(
    rf"(?:图片|图像|照片|图)\s?(\d{{1,6}}){_NOT_A_SIZE}"
    rf"|第\s?(\d{{1,6}}|[{_CN_NUMERALS}])\s?[张幅]"
)


@dataclass(frozen=True, slots=True)
class BoxPlace:
    """Where one ``<box>``/``<quad>`` points: its candidates and what its question names."""

    message_index: int
    start: int  # character offset of the tag in its value
    value: str  # the value the tag is in
    # The candidates are consecutive picture numbers (1-based): first, first + 1, ... Kept as
    # two numbers, so that a value alternating boxes and pictures costs linear time.
    first: int
    count: int
    names: frozenset[int]  # pictures the question names (read only with 2+ candidates)
    same_message: bool  # the candidates are in the box's own message

    @property
    def candidates(self) -> tuple[int, ...]:
        """The picture numbers the box may refer to."""
        return tuple(range(self.first, self.first + self.count))

    @property
    def tag(self) -> str:
        """The tag as written: ``<box>(1,2),(3,4)</box>``."""
        close = "</box>" if self.value.startswith("<box>", self.start) else "</quad>"
        end = self.value.find(close, self.start)
        return self.value[self.start : end + len(close)]

    @property
    def picture(self) -> int | None:
        """The one picture the box refers to, or ``None`` (ambiguous, or no picture)."""
        if self.count == 1:
            return self.first
        if len(self.names) == 1:
            (named,) = self.names
            if self.first <= named < self.first + self.count:
                return named
        return None

    @property
    def ambiguous(self) -> bool:
        return self.count > 1 and self.picture is None

    def why_ambiguous(self) -> str:
        """What makes the box ambiguous, for a finding's message."""
        shown = pictures_text(range(self.first, self.first + self.count))
        where = (f"follows {self.count} pictures in its own message"
                 if self.same_message else
                 f"follows a message with {self.count} pictures")
        if not self.names:
            named = "its question names none of them"
        elif len(self.names) > 1:
            named = f"its question names {pictures_text(sorted(self.names))}"
        else:
            named = f"its question names {pictures_text(sorted(self.names))}, not one of them"
        return f"may mark any of {shown}: it {where}, and {named}"


_LISTED = 8  # picture numbers written out; more are counted


def pictures_text(numbers: Sequence[int]) -> str:
    """``Picture 2``, ``Pictures 1, 2`` or ``Pictures 1, 2, ... 8 and 92 more``."""
    shown = [str(n) for n in numbers[:_LISTED]]
    more = f" and {len(numbers) - _LISTED:,} more" if len(numbers) > _LISTED else ""
    return ("Picture " if len(shown) == 1 else "Pictures ") + ", ".join(shown) + more


def named_pictures(text: str) -> frozenset[int]:
    """The picture numbers ``text`` names (see the module docstring for the forms)."""
    found: set[int] = set()
    lower = text.lower()
    # Most questions hold none of the words: two substring tests instead of a search.
    if "pictur" in lower or "imag" in lower or "photo" in lower:
        for digits, ordinal in _ENGLISH_NAME_RE.findall(lower):
            found.add(int(digits) if digits else _ORDINALS.index(ordinal) + 1)
    if "图" in text or "第" in text or "照片" in text:
        for digits, cn_ordinal in _CHINESE_NAME_RE.findall(text):
            if digits:
                found.add(int(digits))
            else:
                found.add(int(cn_ordinal) if cn_ordinal.isdigit()
                          else _CN_NUMERALS.index(cn_ordinal) + 1)
    return frozenset(found) if found else _NONE


def question_text(value: str, parsed: ParsedValue | None) -> str:
    """The words of a message that can name a picture: its text and refs, and labels that have
    no image after them; labelled images and boxes are left out. ``parsed`` ``None``: the
    value's tags are paired (``tag_scan.tags_paired``), and a regular expression reads it."""
    if parsed is None:
        return _NOT_WORDS_RE.sub("\n", value)
    from datakit.qwenvl.grammar import Image, PictureLabel, Ref, Text

    segments = parsed.segments
    parts: list[str] = []
    for i, seg in enumerate(segments):
        if isinstance(seg, (Text, Ref)):
            parts.append(seg.text)
        elif isinstance(seg, PictureLabel):
            following = segments[i + 1] if i + 1 < len(segments) else None
            if not isinstance(following, Image):
                parts.append(f"Picture {seg.number}")
    return "\n".join(parts)


# What question_text leaves out of a value whose tags are paired.
_NOT_WORDS_RE = re.compile(
    r"Picture \d{1,9}: ?<img>.*?</img>|<img>.*?</img>|<box>.*?</box>|<quad>.*?</quad>|</?ref>",
    re.DOTALL,
)
_OPENING_RE = re.compile(r"<(?:(img)|box|quad)>")

Message = tuple[int, Any, str, "ParsedValue | None"]


def _tags(value: str, parsed: ParsedValue | None) -> list[tuple[bool, int]]:
    """(is an image, start) of every image, box and quad, in order."""
    if parsed is None:  # paired tags: every opening tag is its segment's start
        return [(m.group(1) is not None, m.start()) for m in _OPENING_RE.finditer(value)]
    from datakit.qwenvl.grammar import Box, Image, Quad

    return [(isinstance(seg, Image), seg.start) for seg in parsed.segments
            if isinstance(seg, (Image, Box, Quad))]


def place_boxes(messages: Iterable[Message]) -> list[BoxPlace]:
    """Every box and quad of a conversation, in order, with its candidates.

    ``messages`` are ``(index in conversations, role, value, parsed value)`` for the messages
    whose value is a string, in order; the parsed value may be ``None`` when the value's tags
    are paired (``tag_scan.tags_paired``): a regular expression then finds them, faster.
    """
    places: list[BoxPlace] = []
    pictures = 0
    group = (0, 0)  # (first, count): the pictures of the latest message that has any
    question: tuple[str, ParsedValue | None] | None = None  # the latest user message
    names: frozenset[int] | None = None  # what it names, read when first needed
    for index, role, value, parsed in messages:
        if role == "user":
            question, names = (value, parsed), None
        if "<" not in value:
            continue
        own = 0  # pictures so far in this message: pictures - own + 1 .. pictures
        for is_image, start in _tags(value, parsed):
            if is_image:
                pictures += 1
                own += 1
                continue
            first, count = (pictures - own + 1, own) if own else group
            if count < 2:
                places.append(BoxPlace(index, start, value, first, count, _NONE, bool(own)))
                continue
            if names is None:
                names = named_pictures(question_text(*question)) if question else _NONE
            places.append(BoxPlace(index, start, value, first, count, names, bool(own)))
        if own:
            group = (pictures - own + 1, own)
    return places


_NONE: frozenset[int] = frozenset()
