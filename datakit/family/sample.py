"""The neutral sample: turns, images with their sizes, text, refs and boxes in a stated space.

Every reader (Qwen-VL v1 JSON, ms-swift JSONL, LLaMA-Factory sharegpt, qwen-vl-finetune JSON)
produces these; every writer consumes them. Nothing here knows a dialect's markup: a box is
four numbers and the space they are in, and the writer puts it on the target's scale.

Box spaces (``BoxSpace``):
- ``norm1000``: integers on the relative 0..1000 grid (Qwen-VL v1 uses [0, 1000), Qwen2-VL and
  Qwen3-VL 0..1000);
- ``resized_px``: absolute pixels of the image after the model's resize (Qwen2.5-VL);
- ``source_px``: absolute pixels of the image file as stored (COCO, ms-swift ``bbox_type: real``);
- ``norm1``: fractions 0..1 of the image (ms-swift ``bbox_type: norm1``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

BoxSpace = Literal["norm1000", "resized_px", "source_px", "norm1"]
Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class Box:
    """A box (top-left, bottom-right) or a point (x, y) in ``space``, on picture ``image``
    (0-based index into ``Sample.images``)."""

    coords: tuple[float, ...]
    space: BoxSpace
    image: int = 0

    @property
    def is_point(self) -> bool:
        return len(self.coords) == 2


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class ImageSlot:
    """Where picture ``index`` (0-based) stands in the conversation."""

    index: int


@dataclass(frozen=True, slots=True)
class Grounded:
    """A phrase and the boxes it refers to. ``label`` is None for a box without a ref."""

    label: str | None
    boxes: tuple[Box, ...]


Part = Text | ImageSlot | Grounded


@dataclass(frozen=True, slots=True)
class Turn:
    role: Role
    parts: tuple[Part, ...]

    def text(self) -> str:
        """The turn's plain text, refs by their label, pictures and boxes left out."""
        out = []
        for part in self.parts:
            if isinstance(part, Text):
                out.append(part.text)
            elif isinstance(part, Grounded) and part.label is not None:
                out.append(part.label)
        return "".join(out)


@dataclass(frozen=True, slots=True)
class Image:
    """A picture: its path as the trainer opens it, and its stored size when known."""

    path: str
    size_px: tuple[int, int] | None = None  # (width, height) of the file

    def with_size(self, size_px: tuple[int, int] | None) -> Image:
        return Image(self.path, size_px)


@dataclass(frozen=True, slots=True)
class Sample:
    """One training sample. ``extra`` keeps the record's other keys, in order, so that a
    rewrite loses nothing."""

    turns: tuple[Turn, ...]
    images: tuple[Image, ...] = ()
    id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def system(self) -> str | None:
        first = self.turns[0] if self.turns else None
        return first.text() if first is not None and first.role == "system" else None

    def boxes(self) -> Iterator[Box]:
        for turn in self.turns:
            for part in turn.parts:
                if isinstance(part, Grounded):
                    yield from part.boxes
