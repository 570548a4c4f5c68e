"""ms-swift's ``objects`` form: ``<ref-object>``/``<bbox>`` placeholders and the lists that
fill them, read and written (see ``datakit.family.layouts.ms_swift``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from datakit.family.layouts._common import TurnReader, WriteError
from datakit.family.markup import IMAGE_TAG
from datakit.family.sample import Box, BoxSpace, Grounded, Part, Sample, Text
from datakit.family.spaces import PictureSizes, to_source_px

REF_OBJECT, BBOX = "<ref-object>", "<bbox>"
_PLACEHOLDER_RE = re.compile(r"<ref-object>|<bbox>")
_BBOX_TYPES: dict[str, BoxSpace] = {"real": "source_px", "norm1": "norm1"}


class Objects:
    """ms-swift's ``objects``: refs and boxes handed out in order to the placeholders."""

    def __init__(self, value: object, reader: TurnReader) -> None:
        self.reader = reader
        self.present = isinstance(value, Mapping)
        self.refs: list[str] = []
        self.boxes: list[Box | None] = []
        self.ref_at = self.box_at = 0
        if value is None:
            return
        if not isinstance(value, Mapping):
            reader.problem("not-an-object", "objects is not an object", "objects")
            return
        refs = value.get("ref") or []
        self.refs = [str(r) for r in refs] if isinstance(refs, list) else []
        bbox_type = value.get("bbox_type", "real")
        space = _BBOX_TYPES.get(bbox_type) if isinstance(bbox_type, str) else None
        if space is None:
            reader.problem(
                "bbox-type",
                f'objects.bbox_type is {bbox_type!r}; ms-swift takes "real" or "norm1"',
                "objects.bbox_type",
            )
            space = "source_px"
        image_ids = value.get("image_id") or []
        bboxes = value.get("bbox") or []
        for n, coords in enumerate(bboxes if isinstance(bboxes, list) else []):
            image = image_ids[n] if isinstance(image_ids, list) and n < len(image_ids) else 0
            ok = (
                isinstance(coords, list)
                and len(coords) in (2, 4)
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in coords)
            )
            if not ok or not isinstance(image, int):
                reader.problem(
                    "box-arity",
                    f"objects.bbox[{n}] must be [x1, y1, x2, y2] or [x, y] numbers on an "
                    "integer image_id",
                    f"objects.bbox[{n}]",
                )
                self.boxes.append(None)
                continue
            self.boxes.append(Box(tuple(float(v) for v in coords), space, image))

    def fill(self, parts: Sequence[Part]) -> tuple[Part, ...]:
        out: list[Part] = []
        for part in parts:
            if not isinstance(part, Text) or (
                "<ref-object>" not in part.text and "<bbox>" not in part.text
            ):
                out.append(part)
                continue
            done = 0
            for m in _PLACEHOLDER_RE.finditer(part.text):
                if m.group(0) == REF_OBJECT and self.ref_at < len(self.refs):
                    _add_text(out, part.text[done : m.start()])
                    out.append(Grounded(self.refs[self.ref_at], ()))
                    self.ref_at += 1
                    done = m.end()
                elif m.group(0) == BBOX and self.box_at < len(self.boxes):
                    box = self.boxes[self.box_at]
                    self.box_at += 1
                    if box is None:
                        continue
                    _add_text(out, part.text[done : m.start()])
                    last = out[-1] if out else None
                    if isinstance(last, Grounded) and done == m.start():
                        out[-1] = Grounded(last.label, (*last.boxes, box))
                    else:
                        out.append(Grounded(None, (box,)))
                    done = m.end()
            _add_text(out, part.text[done:])
        return tuple(out)

    def check_used(self) -> None:
        if self.ref_at < len(self.refs) or self.box_at < len(self.boxes):
            self.reader.problem(
                "objects-unused",
                f"objects has {len(self.refs)} ref and {len(self.boxes)} bbox but the texts "
                f"have only {self.ref_at} {REF_OBJECT} and {self.box_at} {BBOX} for them",
                "objects",
            )


def _add_text(out: list[Part], text: str) -> None:
    if not text:
        return
    last = out[-1] if out else None
    if isinstance(last, Text):
        out[-1] = Text(last.text + text)
    else:
        out.append(Text(text))


def write_objects(
    sample: Sample, sizes: Sequence[PictureSizes | None]
) -> tuple[list[dict[str, str]], dict[str, Any] | None]:
    """The messages with placeholders, and ``objects`` (None when there is nothing to fill)."""
    refs: list[str] = []
    bboxes: list[list[float]] = []
    image_ids: list[int] = []
    messages = []
    for turn in sample.turns:
        text: list[str] = []
        for part in turn.parts:
            if isinstance(part, Text):
                text.append(part.text)
            elif isinstance(part, Grounded):
                if part.label is not None:
                    refs.append(part.label)
                    text.append(REF_OBJECT)
                for box in part.boxes:
                    bboxes.append(_source_px(box, sizes))
                    image_ids.append(box.image)
                    text.append(BBOX)
            else:
                text.append(IMAGE_TAG)
        messages.append({"role": turn.role, "content": "".join(text)})
    objects = {"ref": refs, "bbox": bboxes, "bbox_type": "real", "image_id": image_ids}
    return messages, objects if bboxes or refs else None


def _source_px(box: Box, sizes: Sequence[PictureSizes | None]) -> list[float]:
    if box.space == "source_px":
        return [_plain(v) for v in box.coords]
    size = sizes[box.image] if 0 <= box.image < len(sizes) else None
    if size is None:
        raise WriteError(
            f"objects are written in pixels; a box on picture {box.image + 1} is in "
            f"{box.space} and that picture's size is unknown"
        )
    try:
        return [_plain(round(v, 2)) for v in to_source_px(box, size)]
    except ValueError as exc:
        raise WriteError(str(exc)) from exc


def _plain(v: float) -> float:
    # Whole numbers print as integers, as ms-swift's own examples do.
    return int(v) if float(v).is_integer() else float(v)
