"""Grounded text in each model's markup: ``render_turn`` writes a turn, ``parse_text`` reads one.

Markups (``ModelProfile.box_markup``):
- ``v1-tags`` (Qwen-VL): ``<ref>dog</ref><box>(x1,y1),(x2,y2)</box>``, several boxes after one
  ref, boxes without a ref; a picture is ``Picture N: <img>PATH</img>\\n`` (written by
  ``datakit.qwenvl.grammar`` so that output is byte-identical to the v1 converter).
- ``qwen2-tags`` (Qwen2-VL): ``<|object_ref_start|>dog<|object_ref_end|>`` then
  ``<|box_start|>(x1,y1),(x2,y2)<|box_end|>`` (or a point ``(x,y)``), boxes without a ref.
- ``json`` (Qwen2.5-VL, Qwen3-VL): each run of grounded phrases with boxes becomes one block,
  the form of Qwen's cookbooks and of its models' own answers::

      ```json
      [
      \\t{"bbox_2d": [x1, y1, x2, y2], "label": "dog"},
      \\t{"point_2d": [x, y], "label": "cat"}
      ]
      ```

  one entry per box (a tab, then the object with ``", "`` and ``": "`` separators, labels
  unescaped), entries joined by ``",\\n"``. A ``Grounded`` without boxes (the "where is X"
  of a question) is its label as plain text, so it reads back as ``Text``.

In every layout but Qwen-VL's own, a picture is a placeholder tag (``<image>``), given as
``image_tag``. ``render_turn`` wants the turn's boxes already in the model's space
(``ModelProfile.box_space``; writers convert with ``datakit.family.spaces``) and raises
``ValueError`` otherwise. ``parse_text`` never raises: it returns the parts and the problems it
found, each with its character offset in ``text``; a malformed tag or block stays text, so
``render(parse(x))`` loses nothing, and ``parse(render(parts))`` gives the parts back (texts
merged, box-less phrases of the ``json`` markup as text, and in the tag markups boxes
without a ref that follow a phrase's boxes joined to that phrase, since the text cannot tell
them apart). Parsing is linear in ``len(text)``.
"""

from __future__ import annotations

from collections.abc import Sequence

from datakit.family import markup_json, markup_tags
from datakit.family.markup_parts import (
    ParsedText,
    PartsBuilder,
    Problem,
    SlotText,
    coord_ints,
)
from datakit.family.profiles import ModelProfile
from datakit.family.sample import Box, Grounded, Image, ImageSlot, Text, Turn
from datakit.qwenvl import grammar

__all__ = ["IMAGE_TAG", "ParsedText", "Problem", "parse_text", "render_turn"]

IMAGE_TAG = "<image>"


def parse_text(
    text: str, model: ModelProfile, *, image_tag: str | None = None, first_image: int = 0
) -> ParsedText:
    """The parts of ``text`` in ``model``'s markup, with the problems found. ``image_tag``
    (e.g. ``<image>``) marks pictures; v1 ``<img>`` tags always do. Never raises."""
    builder = PartsBuilder(image_tag, first_image)
    markup = model.box_markup
    if markup == "v1-tags":
        _parse_v1(text, builder, model)
    elif markup == "qwen2-tags":
        markup_tags.parse_qwen2(text, builder, model.box_space)
    else:
        markup_json.parse_json(text, builder, model.box_space)
    return builder.finish()


def _parse_v1(text: str, builder: PartsBuilder, model: ModelProfile) -> None:
    if "<" not in text and "Picture" not in text:
        builder.text(text)
        return
    parsed = grammar.parse_value(text)
    for p in parsed.problems:
        builder.problem(p.kind, p.message, p.start)
    segments = parsed.segments
    skip_newline = False
    for i, seg in enumerate(segments):
        if isinstance(seg, grammar.Text):
            builder.text(seg.text[1:] if skip_newline and seg.text.startswith("\n") else seg.text)
        elif isinstance(seg, grammar.PictureLabel):
            follows = segments[i + 1] if i + 1 < len(segments) else None
            if not isinstance(follows, grammar.Image):
                builder.text(grammar.render_segment(seg))
        elif isinstance(seg, grammar.Image):
            builder.slot(seg.path)
        elif isinstance(seg, grammar.Ref):
            builder.ref(seg.text)
        elif isinstance(seg, grammar.Box) and seg.xyxy_norm1000 is not None:
            builder.box(Box(seg.xyxy_norm1000, model.box_space))
        else:
            builder.text(grammar.render_segment(seg))
        skip_newline = isinstance(seg, grammar.Image)


def render_turn(
    turn: Turn,
    model: ModelProfile,
    *,
    images: Sequence[Image] = (),
    image_tag: str | None = None,
) -> str:
    """``turn`` as text in ``model``'s markup. Pictures become ``image_tag`` or, when it is
    None, v1's ``Picture N: <img>PATH</img>\\n`` (path from ``images``) for Qwen-VL and
    ``<image>`` for the others. Raises ``ValueError`` for a box not in the model's space."""
    for part in turn.parts:
        if isinstance(part, Grounded):
            for box in part.boxes:
                if box.space != model.box_space:
                    raise ValueError(
                        f"a box in {box.space} cannot be written for {model.title}, whose "
                        f"boxes are in {model.box_space}; convert it first"
                    )
    if model.box_markup == "json":
        return markup_json.render_parts(turn.parts, _slot_text(model, images, image_tag))
    out: list[str] = []
    slot_text = _slot_text(model, images, image_tag)
    for part in turn.parts:
        if isinstance(part, Text):
            out.append(part.text)
        elif isinstance(part, ImageSlot):
            out.append(slot_text(part.index))
        elif model.box_markup == "v1-tags":
            out.append(_v1_grounded(part))
        else:
            out.append(markup_tags.render_qwen2(part))
    return "".join(out)


def _slot_text(model: ModelProfile, images: Sequence[Image], image_tag: str | None) -> SlotText:
    if image_tag is not None:
        return lambda _index: image_tag
    if model.box_markup != "v1-tags":
        return lambda _index: IMAGE_TAG

    def picture(index: int) -> str:
        if not 0 <= index < len(images):
            raise ValueError(f"picture {index + 1} has no image path to write")
        return grammar.picture(index + 1, images[index].path)

    return picture


def _v1_grounded(part: Grounded) -> str:
    boxes = [tuple(coord_ints(b)) for b in part.boxes]
    if any(len(b) != 4 for b in boxes):
        raise ValueError("Qwen-VL has no point markup; a box needs four coordinates")
    if part.label is None:
        return "".join(grammar.box_tag(b) for b in boxes)
    if not boxes:
        return f"<ref>{part.label}</ref>"
    return grammar.grounding(part.label, boxes)
