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
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from datakit.qwenvl.grammar import Box, Image, ParsedValue, PictureLabel, Quad, Ref, Text

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
             "ninth", "tenth")
_CN_NUMERALS = "一二三四五六七八九十"
_NAME_RE = re.compile(
    r"\b(?:picture|image|photo)\s?#?(\d{1,6})(?!\d|[.x×]\d)"
    r"|(?:图片|图像|照片|图)\s?(\d{1,6})(?!\d|[.x×]\d)"
    rf"|第\s?(\d{{1,6}}|[{_CN_NUMERALS}])\s?[张幅]"
    rf"|\b({'|'.join(_ORDINALS)})\s+(?:picture|image|photo)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class BoxPlace:
    """Where one ``<box>``/``<quad>`` points: its candidates and what its question names."""

    message_index: int
    segment: Box | Quad
    candidates: tuple[int, ...]  # picture numbers, 1-based
    names: frozenset[int]  # pictures the question names (consulted only with 2+ candidates)
    same_message: bool  # the candidates are in the box's own message

    @property
    def start(self) -> int:
        """Character offset of the tag in its value."""
        return self.segment.start

    @property
    def tag(self) -> str:
        """The tag as written: ``<box>(1,2),(3,4)</box>``."""
        name = "box" if isinstance(self.segment, Box) else "quad"
        return f"<{name}>{self.segment.content}</{name}>"

    @property
    def picture(self) -> int | None:
        """The one picture the box refers to, or ``None`` (ambiguous, or no picture)."""
        if len(self.candidates) == 1:
            return self.candidates[0]
        if len(self.names) == 1:
            (named,) = self.names
            if named in self.candidates:
                return named
        return None

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1 and self.picture is None

    def why_ambiguous(self) -> str:
        """What makes the box ambiguous, for a finding's message."""
        shown = pictures_text(self.candidates)
        where = ("follows " + f"{len(self.candidates)} pictures in its own message"
                 if self.same_message else
                 f"follows a message with {len(self.candidates)} pictures")
        if not self.names:
            named = "its question names none of them"
        elif len(self.names) > 1:
            named = f"its question names {pictures_text(sorted(self.names))}"
        else:
            named = f"its question names {pictures_text(sorted(self.names))}, not one of them"
        return f"may mark any of {shown}: it {where}, and {named}"


def pictures_text(numbers: Iterable[int]) -> str:
    """``Picture 2`` or ``Pictures 1, 2``."""
    shown = [str(n) for n in numbers]
    return ("Picture " if len(shown) == 1 else "Pictures ") + ", ".join(shown)


def named_pictures(text: str) -> frozenset[int]:
    """The picture numbers ``text`` names (see the module docstring for the forms)."""
    if not text:
        return frozenset()
    found: set[int] = set()
    for m in _NAME_RE.finditer(text):
        digits, cn_digits, cn_ordinal, ordinal = m.groups()
        number = digits or cn_digits
        if number is not None:
            found.add(int(number))
        elif cn_ordinal is not None:
            found.add(int(cn_ordinal) if cn_ordinal.isdigit()
                      else _CN_NUMERALS.index(cn_ordinal) + 1)
        else:
            found.add(_ORDINALS.index(ordinal.lower()) + 1)
    return frozenset(found)


def question_text(parsed: ParsedValue) -> str:
    """The words of a message that can name a picture: its text and refs, and labels that have
    no image after them; labelled images and boxes are left out."""
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


def place_boxes(messages: Iterable[tuple[int, Any, ParsedValue]]) -> list[BoxPlace]:
    """Every box and quad of a conversation, in order, with its candidates.

    ``messages`` are ``(index in conversations, role, parsed value)`` for the messages whose
    value is a string, in order.
    """
    places: list[BoxPlace] = []
    pictures = 0
    group: tuple[int, ...] = ()  # the pictures of the latest message that has any
    names: frozenset[int] = frozenset()  # what the latest user message names
    for index, role, parsed in messages:
        own: list[int] = []
        if role == "user":
            names = named_pictures(question_text(parsed))
        for seg in parsed.segments:
            if isinstance(seg, Image):
                pictures += 1
                own.append(pictures)
            elif isinstance(seg, (Box, Quad)):
                candidates = tuple(own) if own else group
                places.append(BoxPlace(index, seg, candidates, names, bool(own)))
        if own:
            group = tuple(own)
    return places
